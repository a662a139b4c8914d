// A reconcile workflow's run as its steps share it (the Reconciliation), and what a pass tells the user: the
// phase it enters, Events, its one status write, and the report of a pass that failed.
import { ActivityFailure, ApplicationFailure, log, TimeoutFailure, uuid4 } from '@temporalio/workflow';
import type { EventRecord } from '../activities/types.js';
import type { DockerClusterRef } from '../api/refs.js';
import type { PassStatus } from '../api/status.js';
import type { Phase, ReconcileInput, ReconcileState } from './definitions.js';
import { failureBackoffMs, kube } from './options.js';

/** What one reconcile workflow knows across its passes. The signal handlers set `changed` and `operatorPause`. */
export interface Reconciliation {
  readonly input: ReconcileInput;
  readonly ref: DockerClusterRef;
  /** What the `state` query answers; carried over continue-as-new. */
  readonly state: ReconcileState;
  /** Why an operator paused reconciliation (the pause signal), until the resume signal. */
  operatorPause: string | undefined;
  /** A signal asked for a pass since the current one started. */
  changed: boolean;
  /** Failed passes in a row: the backoff before the next one grows with them. */
  failures: number;
  /** Events are recorded beside the pass, not in its way; each pass waits for its own at the end. */
  pendingEvents: Promise<void>[];
  /**
   * Addresses the API server refused as this DockerCluster's endpoint: they are other DockerClusters' endpoints,
   * whose load balancers are missing. Its load balancer is moved off them until its own endpoint is written.
   */
  endpointsTaken: string[];
}

export type Outcome = { done: true } | { done: false; requeueAfter?: number };

/** The pass's one status write (CAPD's deferred patch); a pass that found nothing to report writes none. */
export async function writeStatus(run: Reconciliation, pass: PassStatus): Promise<void> {
  if (run.state.phase === 'Deleted' || Object.keys(pass).length === 0) return;
  await kube(`Write status (${run.state.phase})`).updateStatus(run.ref, pass);
}

/** Puts a failed pass on the object (condition, Event once per message) and schedules a slow retry. */
export async function reportFailure(run: Reconciliation, error: unknown, pass: PassStatus): Promise<Outcome> {
  const { state } = run;
  run.failures += 1;
  const message = describeFailure(error);
  const firstTime = state.lastError !== message;
  state.lastError = message;
  state.phase = 'Failing';
  const requeueAfter = failureBackoffMs(run.input, run.failures);
  log.warn('Reconcile failed', { ...logFields(run), error: message, retryInMs: requeueAfter });
  // The Event is recorded on its own, so a status the provider may not write does not silence it.
  if (firstTime) event(run, 'Warning', 'ReconcileFailed', message);
  pass.loadBalancer = { status: 'False', reason: 'NotAvailable', message };
  try {
    await writeStatus(run, pass);
  } catch (reportError) {
    log.warn('Could not report the failure in status', {
      ...logFields(run),
      error: describeFailure(reportError),
    });
  }
  return { done: false, requeueAfter };
}

/** Moves to a phase; the first time it is entered, an Event tells the user. */
export function enter(run: Reconciliation, phase: Phase, eventReason?: string, message?: string): void {
  const { state } = run;
  const previous = state.phase;
  state.phase = phase;
  if (phase !== 'Paused') delete state.pausedBy;
  if (phase === previous) return;
  log.info('Phase changed', { ...logFields(run), from: previous, to: phase });
  if (eventReason && message) event(run, 'Normal', eventReason, message);
}

export function event(run: Reconciliation, type: EventRecord['type'], reason: string, message: string): void {
  const recorded = kube(`Event ${reason}`).recordEvent(run.ref, { key: uuid4(), type, reason, message });
  run.pendingEvents.push(
    recorded.catch((error) =>
      log.warn('Could not record an Event', { ...logFields(run), reason, error: describeFailure(error) }),
    ),
  );
}

export async function eventsRecorded(run: Reconciliation): Promise<void> {
  const recording = run.pendingEvents;
  run.pendingEvents = [];
  await Promise.all(recording);
}

/** Carried by every log line of the workflow, beside the workflow id the SDK adds. */
export function logFields({ ref, state }: Reconciliation) {
  return { namespace: ref.namespace, name: ref.name, cluster: state.clusterName };
}

/**
 * A failed step: an activity's failure arrives wrapped in ActivityFailure, a local activity's as the failure
 * itself (or a timeout). Anything else (a cancelled workflow, a bug) is not the world's fault and propagates.
 */
export function isStepFailure(error: unknown): boolean {
  return (
    error instanceof ActivityFailure || error instanceof ApplicationFailure || error instanceof TimeoutFailure
  );
}

function describeFailure(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}

/** The type of a step's ApplicationFailure (as thrown by the activity), if it is one. */
export function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
