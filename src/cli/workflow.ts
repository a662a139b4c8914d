// A DockerCluster's reconcile workflow as the CLI sees it: whether it runs, and its state when it does.
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { DockerClusterRef } from '../activities/types.js';
import { type ReconcileState, stateQuery, workflowIdOf } from '../workflows/definitions.js';
import { messageOf } from './errors.js';
import type { Temporal } from './temporal.js';

const queryTimeoutMs = 5_000;
/** gRPC status DEADLINE_EXCEEDED. */
const deadlineExceeded = 4;

export interface WorkflowView {
  id: string;
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ...; NOT_FOUND when there never was one. */
  status: string;
  runId?: string;
  /** The workflow's `state` query, while it runs. */
  state?: ReconcileState;
  /** Why the state could not be queried. */
  queryError?: string;
}

export async function inspectWorkflow(temporal: Temporal, ref: DockerClusterRef): Promise<WorkflowView> {
  const id = workflowIdOf(ref);
  const handle = temporal.client.workflow.getHandle(id);
  let description: Awaited<ReturnType<typeof handle.describe>>;
  try {
    description = await temporal.call(() => handle.describe());
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { id, status: 'NOT_FOUND' };
    throw error;
  }
  const view: WorkflowView = { id, status: description.status.name, runId: description.runId };
  if (view.status !== 'RUNNING') return view;
  try {
    view.state = await temporal.call(
      () => temporal.client.workflow.getHandle(id, description.runId).query(stateQuery),
      queryTimeoutMs,
    );
  } catch (error) {
    view.queryError = isDeadline(error)
      ? `no worker answered within ${queryTimeoutMs / 1000} s (is the provider's worker running?)`
      : messageOf(error);
  }
  return view;
}

function isDeadline(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && e.code === deadlineExceeded) return true;
  }
  return false;
}
