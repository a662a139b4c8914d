// Starting and signalling a DockerCluster's reconcile workflow from outside it: the watcher with "changed",
// operator tools with "pause" and "resume".
import type { Client, WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { type DockerClusterRef, workflowIdOf } from '../api/refs.js';
import { dockerClusterNameKey, dockerClusterNamespaceKey } from '../api/search-attributes.js';
import { type ReconcileInput, reconcileWorkflowType } from './definitions.js';

/** Where and how a reconcile workflow runs when a signal has to start it. */
interface WorkflowStartOptions {
  taskQueue: string;
  resyncSeconds: number;
}

/** Sends a signal to a DockerCluster's reconcile workflow, starting the workflow first when it is not running. */
export async function signalWithStart<Args extends unknown[]>(
  client: Client,
  ref: DockerClusterRef,
  { taskQueue, resyncSeconds }: WorkflowStartOptions,
  signal: SignalDefinition<Args>,
  ...signalArgs: Args
): Promise<WorkflowHandleWithSignaledRunId> {
  return await client.workflow.signalWithStart<(input: ReconcileInput) => Promise<unknown>, unknown[]>(
    reconcileWorkflowType,
    {
      workflowId: workflowIdOf(ref),
      taskQueue,
      args: [{ dockerCluster: ref, resyncInterval: `${resyncSeconds} seconds` }],
      signal,
      signalArgs,
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A workflow that completed (its DockerCluster deleted or gone) is never started again by a late signal;
      // one that failed may be.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: dockerClusterNamespaceKey, value: ref.namespace },
        { key: dockerClusterNameKey, value: ref.name },
      ],
      staticSummary: `Reconcile DockerCluster ${ref.namespace}/${ref.name}`,
    },
  );
}
