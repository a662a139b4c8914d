// One long-lived workflow per DockerCluster: the tutorial's reconcile loop, made durable. Each pass runs the
// steps in steps.ts; between passes the workflow waits for a signal or its resync. Deterministic orchestration
// only: every read and write of the world is an activity. How a change to the workflow reaches running
// workflows: "Changing the workflow" in docs/DEVELOPING.md.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PassStatus } from '../api/status.js';
import {
  changedSignal,
  pauseSignal,
  type ReconcileInput,
  type ReconcileState,
  resumeSignal,
  stateQuery,
} from './definitions.js';
import { defaultMaxHistoryEvents, metrics, resyncAfter } from './options.js';
import {
  eventsRecorded,
  isStepFailure,
  type Outcome,
  type Reconciliation,
  reportFailure,
  writeStatus,
} from './reconciliation.js';
import { reconcile } from './steps.js';

export async function reconcileDockerCluster(input: ReconcileInput): Promise<ReconcileState> {
  const run = startReconciliation(input);
  for (;;) {
    const outcome = await reconcilePass(run);
    if (outcome.done) return run.state;

    await condition(() => run.changed, outcome.requeueAfter ?? resyncAfter(input));

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
  }
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
