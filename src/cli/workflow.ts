// A DockerCluster's reconcile workflow as the CLI sees it: whether it runs, and its state when it does.
import { QueryRejectedError, WorkflowNotFoundError } from '@temporalio/client';
import { type DockerClusterRef, workflowIdOf } from '../api/refs.js';
import { type ReconcileState, stateQuery } from '../workflows/definitions.js';
import { messageOf } from './errors.js';
import { hasGrpcStatus, type Temporal } from './temporal.js';

const queryTimeoutMs = 5_000;
/**
 * gRPC statuses of a call whose deadline passed: DEADLINE_EXCEEDED when the client's timer fires first,
 * CANCELLED when the server resets the call at the deadline first. The CLI cancels no call itself.
 */
const deadlinePassed = new Set([4, 1]);

export interface WorkflowView {
  id: string;
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ...; NOT_FOUND when there never was one. */
  status: string;
  /** The workflow's `state` query, while it runs. */
  state?: ReconcileState;
  /** Why the state could not be queried. */
  queryError?: string;
}

/**
 * Queries the workflow's state: one call while it runs, the usual case. The CLI's client has queries to a
 * closed workflow refused (temporal.ts), and the workflow is then described for how it ended.
 */
export async function inspectWorkflow(temporal: Temporal, ref: DockerClusterRef): Promise<WorkflowView> {
  const id = workflowIdOf(ref);
  const handle = temporal.client.workflow.getHandle(id);
  try {
    return {
      id,
      status: 'RUNNING',
      state: await temporal.call(() => handle.query(stateQuery), queryTimeoutMs),
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { id, status: 'NOT_FOUND' };
    const { status } = await temporal.call(() => handle.describe());
    if (error instanceof QueryRejectedError) return { id, status: status.name };
    const queryError = hasGrpcStatus(error, deadlinePassed)
      ? `no worker answered within ${queryTimeoutMs / 1000} s (is the provider's worker running?)`
      : messageOf(error);
    return { id, status: status.name, queryError };
  }
}
