// The reconcile workflow's interface, shared by the workflow, the watcher and the operator tools.
import type { Duration } from '@temporalio/common';
import { defineQuery, defineSignal, type Sinks } from '@temporalio/workflow';
import type { DockerClusterRef } from '../api/refs.js';

export const reconcileWorkflowType = 'reconcileDockerCluster';

export type Phase =
  | 'Starting'
  | 'ExternallyManaged'
  | 'WaitingForOwner'
  | 'Paused'
  | 'Provisioning'
  | 'Ready'
  | 'Deleting'
  | 'Deleted'
  | 'Failing';

export interface ReconcileState {
  phase: Phase;
  /** Who or what asked for the pause, while paused. */
  pausedBy?: string;
  clusterName?: string;
  endpoint?: { host: string; port: number };
  containerId?: string;
  /** The Docker engine its load balancer was provisioned on. */
  engine?: string;
  /** The host port the load balancer publishes the endpoint port on; a re-created one keeps it. */
  hostPort?: string;
  lastError?: string;
  lastReconcileTime?: string;
  reconciles: number;
}

export interface ReconcileInput {
  dockerCluster: DockerClusterRef;
  /** How often an unchanged DockerCluster is checked again, to repair drift. */
  resyncInterval?: Duration;
  /** Continue as new past this many history events, even before the server suggests it (default 5000). */
  maxHistoryEvents?: number;
  /**
   * How soon a failed pass is tried again: after `initial` (default 5 s), doubling with each failure in a row up
   * to `maximum` (default 10 minutes).
   */
  failureBackoff?: { initial?: Duration; maximum?: Duration };
  /** What a previous run handed over through continue-as-new. */
  carried?: { state: ReconcileState; operatorPause?: string };
}

/**
 * Something changed (the watcher saw the object or its Cluster change): reconcile now. The watcher does not
 * pass on the echo of the workflow's own writes (src/watcher/changes.ts).
 */
export const changedSignal = defineSignal('changed');
/** An operator pauses reconciliation; the reason shows in the Paused condition. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
export const resumeSignal = defineSignal('resume');
export const stateQuery = defineQuery<ReconcileState>('state');

/** Side channels from the workflow to the worker that leave no trace in history (metrics). */
export interface ReconcileSinks extends Sinks {
  metrics: { reconciled(outcome: string): void };
}
