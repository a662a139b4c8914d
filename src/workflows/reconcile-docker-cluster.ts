// One long-lived workflow per DockerCluster: the tutorial's reconcile loop, made durable. Each pass runs the
// steps in steps.ts; between passes the workflow waits for a signal or its resync. Deterministic orchestration
// only: every read and write of the world is an activity. How a change to the workflow reaches running
// workflows: "Changing the workflow" in docs/DEVELOPING.md.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Observation } from '../activities/types.js';
import type { PassStatus } from '../api/status.js';
import {
  changedSignal,
  pauseSignal,
  type ReconcileInput,
  type ReconcileState,
  resumeSignal,
  stateQuery,
} from './definitions.js';
import { defaultMaxHistoryEvents, dockerOn, metrics, observation, resyncAfter } from './options.js';
import {
  eventsRecorded,
  isStepFailure,
  type Outcome,
  type Reconciliation,
  reportFailure,
  writeStatus,
} from './reconciliation.js';
import { reconcile } from './steps.js';

/** Workflows started before it replay their resyncs as full passes (docs/DEVELOPING.md, "Changing the workflow"). */
const idleCheckPatch = 'idle-check';

export async function reconcileDockerCluster(input: ReconcileInput): Promise<ReconcileState> {
  const run = startReconciliation(input);
  for (;;) {
    const outcome = await reconcilePass(run);
    if (outcome.done) return run.state;
    const settled = patched(idleCheckPatch) ? await settledObservation(run) : undefined;

    // A signal (the watcher saw a change, Docker an event of the load balancer, an operator's pause or
    // resume) runs a pass; a resync first checks whether anything the last Ready pass depended on changed.
    for (;;) {
      const signalled = await condition(() => run.changed, outcome.requeueAfter ?? resyncAfter(input));

      const info = workflowInfo();
      if (
        info.continueAsNewSuggested ||
        info.historyLength > (input.maxHistoryEvents ?? defaultMaxHistoryEvents)
      ) {
        await condition(allHandlersFinished);
        const { state, operatorPause } = run;
        return await continueAsNew<typeof reconcileDockerCluster>({
          ...input,
          carried: { state, ...(operatorPause && { operatorPause }) },
        });
      }
      if (signalled || !settled || !(await unchangedSince(run, settled))) break;
    }
  }
}

/** After a Ready pass, what it depended on, as the next resync compares it; undefined after any other pass. */
async function settledObservation(run: Reconciliation): Promise<Observation | undefined> {
  const { containerId } = run.state;
  if (run.state.phase !== 'Ready' || !containerId) return undefined;
  let observed: Observation;
  try {
    observed = await observe(run, 'Observe what the pass left', containerId);
  } catch (error) {
    if (!isStepFailure(error)) throw error;
    return undefined;
  }
  // Changed already (e.g. the load balancer stopped meanwhile): not a state to keep; the resync runs a pass.
  return observed.cluster && observed.loadBalancer?.running ? observed : undefined;
}

/**
 * An idle resync: one read of everything, compared with what the last Ready pass left. Unchanged, it ends
 * here, writing nothing; anything else (a difference, a failed read) runs a full pass.
 */
async function unchangedSince(run: Reconciliation, settled: Observation): Promise<boolean> {
  try {
    const now = await observe(run, 'Resync: anything changed?', settled.loadBalancer?.containerId as string);
    // Both were made by the same activity code from the same kinds of reads: equal JSON, equal observations.
    const unchanged = JSON.stringify(now) === JSON.stringify(settled);
    if (unchanged) metrics.reconciled('Unchanged');
    return unchanged;
  } catch (error) {
    if (!isStepFailure(error)) throw error;
    return false;
  }
}

/**
 * The observation, read in this worker; when the load balancer lives on another engine than this worker's, that
 * engine's worker inspects it (one activity more).
 */
async function observe(run: Reconciliation, summary: string, containerId: string): Promise<Observation> {
  const { engine } = run.state;
  const observed = await observation(summary).observeLoadBalancer({
    ref: run.ref,
    containerId,
    ...(engine && { engine }),
  });
  if (!('inspectOn' in observed)) return observed;
  const { inspectOn, ...read } = observed;
  const loadBalancer = await dockerOn(inspectOn.engine, summary).inspectLoadBalancer(inspectOn.input);
  return { ...read, loadBalancer };
}

/** The run's Reconciliation, picked up from the previous run if there was one, and its signal handlers. */
function startReconciliation(input: ReconcileInput): Reconciliation {
  const run: Reconciliation = {
    input,
    ref: input.dockerCluster,
    state: input.carried?.state ?? { phase: 'Starting', reconciles: 0 },
    operatorPause: input.carried?.operatorPause,
    changed: false,
    failures: 0,
    pendingEvents: [],
    endpointsTaken: [],
  };
  setHandler(changedSignal, () => {
    run.changed = true;
  });
  setHandler(pauseSignal, (reason) => {
    run.operatorPause = reason ? `paused by an operator: ${reason}` : 'paused by an operator';
    run.changed = true;
  });
  setHandler(resumeSignal, () => {
    run.operatorPause = undefined;
    run.changed = true;
  });
  setHandler(stateQuery, () => run.state);
  return run;
}

/** One pass: reconcile and write the status it found, or report its failure; then its Events and metrics. */
async function reconcilePass(run: Reconciliation): Promise<Outcome> {
  const { state } = run;
  run.changed = false;
  const pass: PassStatus = {};
  let outcome: Outcome;
  try {
    outcome = await reconcile(run, pass);
    await writeStatus(run, pass);
    run.failures = 0;
    delete state.lastError;
  } catch (error) {
    if (!isStepFailure(error)) throw error;
    outcome = await reportFailure(run, error, pass);
  }
  await eventsRecorded(run);
  state.reconciles += 1;
  metrics.reconciled(state.lastError ? 'failed' : state.phase);
  state.lastReconcileTime = new Date().toISOString();
  return outcome;
}
