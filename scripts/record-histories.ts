// Records the reconcile workflow's history for each shape of its life into test/histories/<shape>.json
// (npm run record-histories [-- shape...]), run by a real worker on the stack's Temporal over the workflow
// test's stub activities. test/unit/replay.test.ts replays every committed history against the
// current workflow code: a change that would break running workflows fails it (docs/DEVELOPING.md).
import { mkdirSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { changedSignal, pauseSignal, resumeSignal } from '../src/workflows/definitions.js';
import { historiesDir, writeHistory } from '../test/support/histories.js';
import { eventually } from '../test/support/stack.js';
import { ownedDockerCluster, ownerCluster, type StubWorld } from '../test/support/stub-activities.js';
import {
  type ReconcileHandle,
  type Scenario,
  type ScenarioOptions,
  WorkflowRig,
} from '../test/support/workflow-rig.js';

interface Shape {
  world: () => Partial<StubWorld>;
  options?: ScenarioOptions;
  /** Drives the workflow from its start to the end of the shape. */
  drive(scenario: Scenario): Promise<unknown>;
}

const provisioned = () => ({
  dockerCluster: ownedDockerCluster(),
  cluster: ownerCluster(),
  backends: [{ name: 'cp-0', address: '172.18.0.7', draining: false }],
});

const ready = (scenario: Scenario) =>
  scenario.until('Ready', (s) => s.phase === 'Ready' && s.reconciles >= 1);

const shapes: Record<string, Shape> = {
  provision: { world: provisioned, drive: ready },
  // A control-plane Machine joins: the watcher's signal starts another pass, which reconfigures HAProxy.
  change: {
    world: provisioned,
    async drive(scenario) {
      await ready(scenario);
      scenario.world.backends?.push({ name: 'cp-1', address: '172.18.0.8', draining: false });
      await scenario.handle.signal(changedSignal);
      await scenario.until('a second pass', (s) => s.reconciles >= 2);
    },
  },
  'pause-resume': {
    world: provisioned,
    async drive(scenario) {
      const { handle, until } = scenario;
      await ready(scenario);
      await handle.signal(pauseSignal, 'maintenance window');
      await until('Paused', (s) => s.phase === 'Paused');
      await handle.signal(resumeSignal);
      await until('Ready again', (s) => s.phase === 'Ready' && s.reconciles >= 3);
    },
  },
  delete: {
    world: provisioned,
    async drive(scenario) {
      await ready(scenario);
      (scenario.world.dockerCluster as NonNullable<StubWorld['dockerCluster']>).deleting = true;
      await scenario.handle.signal(changedSignal);
      await scenario.handle.result();
    },
  },
  // Resyncs that find nothing changed (one observation each), then one that finds a new Machine and runs a pass.
  idle: {
    world: provisioned,
    options: { input: { resyncInterval: '1 second' } },
    async drive(scenario) {
      await ready(scenario);
      await eventually('two idle resyncs', async () =>
        scenario.stubs.count('observeLoadBalancer') >= 3 ? true : undefined,
      );
      scenario.world.backends?.push({ name: 'cp-1', address: '172.18.0.8', draining: false });
      await scenario.until('a second pass', (s) => s.reconciles >= 2);
    },
  },
  // Since engines have task queues: placed on the default engine, provisioned through its task queue, an idle
  // resync, then deleted through it.
  engines: {
    world: provisioned,
    options: { input: { resyncInterval: '1 second' } },
    async drive(scenario) {
      await ready(scenario);
      await eventually('an idle resync', async () =>
        scenario.stubs.count('observeLoadBalancer') >= 2 ? true : undefined,
      );
      (scenario.world.dockerCluster as NonNullable<StubWorld['dockerCluster']>).deleting = true;
      await scenario.handle.signal(changedSignal);
      await scenario.handle.result();
    },
  },
  // The load-balancer image cannot be pulled: reported, retried after the backoff, then ready.
  failure: {
    world: provisioned,
    options: {
      failures: {
        createLoadBalancer: [
          ApplicationFailure.nonRetryable('image nope:1 cannot be pulled', 'ImageNotFound'),
        ],
      },
    },
    async drive({ until }) {
      await until('Failing', (s) => s.phase === 'Failing');
      await until('Ready after the retry', (s) => s.phase === 'Ready');
    },
  },
};

/** Waits until no workflow task or activity is pending, so that the history ends between two passes. */
async function settled(handle: ReconcileHandle): Promise<void> {
  await eventually('the workflow to settle', async () => {
    const { raw, status } = await handle.describe();
    if (status.name !== 'RUNNING') return true;
    return raw.pendingWorkflowTask || raw.pendingActivities?.length ? undefined : true;
  });
}

const names = process.argv.slice(2);
for (const name of names) {
  if (!shapes[name]) throw new Error(`no shape ${name}; the shapes: ${Object.keys(shapes).join(', ')}`);
}
const rig = await WorkflowRig.connect();
try {
  mkdirSync(historiesDir, { recursive: true });
  for (const [name, shape] of Object.entries(shapes)) {
    if (names.length > 0 && !names.includes(name)) continue;
    const handle = await rig.scenario(shape.world(), shape.options ?? {}, async (scenario) => {
      await shape.drive(scenario);
      await settled(scenario.handle);
    });
    const history = await handle.fetchHistory();
    console.log(`${writeHistory(name, history)}: ${history.events?.length} events`);
  }
} finally {
  await rig.close();
}
