// Every branch of the reconcile workflow, run by a real worker on the real Temporal dev server. The
// activities are stubs over a small in-memory world, so each branch can be driven on purpose.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import type { LoadBalancerSpec } from '../../src/activities/types.js';
import { finalizer } from '../../src/api/dockercluster.js';
import { defaultEngine } from '../../src/api/engines.js';
import { workflowIdOf } from '../../src/api/refs.js';
import { localActivityOf } from '../../src/observability/history.js';
import { metricSinks } from '../../src/observability/metrics.js';
import { Signaller } from '../../src/watcher/signaller.js';
import { changedSignal, pauseSignal, resumeSignal, stateQuery } from '../../src/workflows/definitions.js';
import { eventually, uniqueName } from '../support/stack.js';
import {
  ownedDockerCluster,
  ownerCluster,
  type StubWorld,
  stubActivities,
} from '../support/stub-activities.js';
import { WorkflowRig } from '../support/workflow-rig.js';

/** The calls of the reconcile passes: without Events, the owner's read and the observation after a Ready pass. */
function passWork(names: string[]): string[] {
  const aside = ['recordEvent', 'getOwnerCluster', 'observeLoadBalancer'];
  return names.filter((name) => !aside.includes(name));
}

describe('reconcile workflow', () => {
  let rig: WorkflowRig;

  before(async () => {
    rig = await WorkflowRig.connect();
  });

  after(async () => {
    await rig.close();
  });

  it('completes when the DockerCluster is gone without its finalizer, leaving the container alone', async () => {
    // As after clusterctl move: the object went elsewhere, and its load balancer serves it there.
    await rig.scenario(
      { dockerCluster: null, containerId: 'moved' },
      {},
      async ({ handle, stubs, world }) => {
        const result = await handle.result();
        assert.equal(result.phase, 'Deleted');
        assert.deepEqual(stubs.names(), ['getDockerCluster']);
        assert.equal(world.containerId, 'moved');
      },
    );
  });

  it('leaves an externally managed DockerCluster alone', async () => {
    const dockerCluster = ownedDockerCluster({ managedBy: 'someone-else' });
    await rig.scenario({ dockerCluster, cluster: ownerCluster() }, {}, async ({ stubs, until }) => {
      await until('ExternallyManaged', (state) => state.phase === 'ExternallyManaged');
      assert.deepEqual(stubs.names(), ['getDockerCluster']);
    });
  });

  it('waits for the owner reference, then provisions once it is set', async () => {
    const dockerCluster = ownedDockerCluster();
    delete dockerCluster.ownerClusterName;
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster() },
      {},
      async ({ handle, stubs, world, until }) => {
        await until('WaitingForOwner', (state) => state.phase === 'WaitingForOwner');
        assert.equal(stubs.count('addFinalizer'), 0, 'nothing is created before the owner is known');
        assert.equal(stubs.count('createLoadBalancer'), 0);

        (world.dockerCluster as NonNullable<StubWorld['dockerCluster']>).ownerClusterName = 'cluster-a';
        await handle.signal(changedSignal);
        await until('Ready', (state) => state.phase === 'Ready');
      },
    );
  });

  it('provisions: finalizer, engine, Machines, network, container (configured before it starts), IP, endpoint, ready — in that order', async () => {
    const backends = [{ name: 'cp-0', address: '172.18.0.7', draining: false }];
    await rig.scenario(
      { dockerCluster: ownedDockerCluster(), cluster: ownerCluster(), backends },
      {},
      async ({ stubs, until }) => {
        const state = await until('Ready', (s) => s.phase === 'Ready');
        assert.deepEqual(state.endpoint, { host: '172.18.0.2', port: 6443 });
        const work = passWork(stubs.names());
        assert.deepEqual(work, [
          'getDockerCluster',
          'addFinalizer',
          'placeOnEngine',
          'requireEngineServed',
          'listControlPlaneMachines',
          'ensureNetwork',
          'createLoadBalancer',
          'getLoadBalancerAddress',
          'setControlPlaneEndpoint',
          'updateStatus',
        ]);
        const created = stubs.calls.find((call) => call.name === 'createLoadBalancer');
        assert.deepEqual(
          (created?.args[0] as LoadBalancerSpec | undefined)?.backends,
          backends,
          'the control-plane Machines are the backends',
        );
        assert.equal(stubs.statuses().length, 1, 'one status write for the whole pass');
        const finalStatus = stubs.statuses()[0];
        assert.equal(finalStatus?.ready, true);
        assert.deepEqual(finalStatus?.initialization, { provisioned: true });
        assert.equal(finalStatus?.observedGeneration, 2, 'the generation of its own endpoint write');
        assert.deepEqual(
          finalStatus?.conditions?.map((c) => `${c.type}=${c.status}/${c.observedGeneration}`),
          ['LoadBalancerAvailable=True/2', 'Paused=False/2', 'Ready=True/2'],
        );
        assert.deepEqual(
          stubs.events().map((event) => event.reason),
          ['FinalizerAdded', 'LoadBalancerCreated', 'Ready'],
        );
        assert.match(stubs.events()[0]?.message ?? '', new RegExp(finalizer));
      },
    );
  });

  it('applies a custom HAProxy template to the new load balancer once it runs; a missing ConfigMap is reported', async () => {
    const templateRef = { customHAProxyConfigTemplateRef: { name: 'lb-template' } };
    const dockerCluster = ownedDockerCluster({ spec: { loadBalancer: templateRef } });
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster() },
      {},
      async ({ handle, stubs, world, until }) => {
        const failing = await until('Failing', (s) => s.phase === 'Failing');
        assert.match(failing.lastError ?? '', /ConfigMap lb-template does not exist/);
        assert.equal(stubs.count('createLoadBalancer'), 0, 'nothing is created from a template not read');
        assert.equal(stubs.condition('LoadBalancerAvailable')?.status, 'False');

        world.templates = { 'lb-template': 'frontend control-plane\n' };
        await handle.signal(changedSignal);
        await until('Ready', (s) => s.phase === 'Ready');
        const work = passWork(stubs.names());
        assert.deepEqual(work.slice(work.lastIndexOf('getDockerCluster')), [
          'getDockerCluster',
          'requireEngineServed',
          'listControlPlaneMachines',
          'getHAProxyTemplate',
          'ensureNetwork',
          'createLoadBalancer',
          'configureLoadBalancer',
          'getLoadBalancerAddress',
          'setControlPlaneEndpoint',
          'updateStatus',
        ]);
        const configured = stubs.calls.find((call) => call.name === 'configureLoadBalancer');
        assert.deepEqual((configured?.args[0] as { template?: unknown } | undefined)?.template, {
          configMap: 'lb-template',
          text: 'frontend control-plane\n',
        });
      },
    );
  });

  it('a resync that finds nothing changed ends after one observation and writes nothing; one that finds a change runs a pass', async () => {
    const backends = [{ name: 'cp-0', address: '172.18.0.7', draining: false }];
    await rig.scenario(
      { dockerCluster: ownedDockerCluster(), cluster: ownerCluster(), backends },
      { input: { resyncInterval: '1 second' } },
      async ({ handle, stubs, world, until }) => {
        await until('Ready', (s) => s.phase === 'Ready');
        await eventually('two idle resyncs after the observation of the Ready pass', async () =>
          stubs.count('observeLoadBalancer') >= 3 ? true : undefined,
        );
        const afterPass = stubs.names().slice(stubs.names().indexOf('updateStatus') + 1);
        assert.deepEqual(
          [...new Set(afterPass.filter((name) => name !== 'recordEvent'))],
          ['observeLoadBalancer'],
          'nothing but the observation',
        );
        assert.equal(stubs.statuses().length, 1, 'no status write after the pass');
        assert.equal((await handle.query(stateQuery)).reconciles, 1, 'no second pass');

        const observations = ((await handle.fetchHistory()).events ?? []).flatMap((event, index) =>
          localActivityOf(event)?.activityType === 'observeLoadBalancer' ? [index] : [],
        );
        const idle = observations.slice(1).map((index, n) => index - (observations[n] as number));
        assert.ok(idle.length >= 2);
        console.log(`# history events per idle resync: ${idle.join(', ')}`);
        for (const events of idle) assert.ok(events <= 6, `an idle resync took ${events} history events`);

        // A control-plane Machine joins and no signal says so: the next resync finds it and runs a pass.
        world.backends?.push({ name: 'cp-1', address: '172.18.0.8', draining: false });
        await until('a pass that reconfigures the load balancer', (s) => s.reconciles >= 2);
        const reconfigured = stubs.calls.findLast((call) => call.name === 'configureLoadBalancer');
        assert.deepEqual((reconfigured?.args[0] as LoadBalancerSpec | undefined)?.backends, world.backends);
      },
    );
  });

  it('keeps an endpoint host the user set, and the port from spec', async () => {
    const dockerCluster = ownedDockerCluster({
      spec: { controlPlaneEndpoint: { host: 'api.example.test', port: 7443 } },
    });
    await rig.scenario({ dockerCluster, cluster: ownerCluster() }, {}, async ({ stubs, until }) => {
      const state = await until('Ready', (s) => s.phase === 'Ready');
      assert.deepEqual(state.endpoint, { host: 'api.example.test', port: 7443 });
      assert.equal(stubs.count('setControlPlaneEndpoint'), 0, 'nothing to write when the spec is complete');
      const created = stubs.calls.find((call) => call.name === 'createLoadBalancer');
      assert.equal((created?.args[0] as { port?: number } | undefined)?.port, 7443);
    });
  });

  it('asks a re-created load balancer for the address and host port it had, and keeps the endpoint', async () => {
    const dockerCluster = ownedDockerCluster({
      hasFinalizer: true,
      endpointFromLoadBalancer: true,
      spec: { controlPlaneEndpoint: { host: '172.18.0.9', port: 6443 } },
    });
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster(), ip: '172.18.0.9', hostPort: '32768' },
      {},
      async ({ stubs, until }) => {
        const state = await until('Ready', (s) => s.phase === 'Ready');
        assert.deepEqual(state.endpoint, { host: '172.18.0.9', port: 6443 });
        assert.equal(stubs.count('setControlPlaneEndpoint'), 0, 'a set endpoint is never written again');
        const created = stubs.calls.find((call) => call.name === 'createLoadBalancer');
        assert.equal((created?.args[0] as LoadBalancerSpec | undefined)?.address, '172.18.0.9');
        assert.equal(state.hostPort, '32768', 'the host port is kept for the next re-creation');
      },
    );
  });

  it('reports a load balancer that is not on the endpoint address, and does not move the endpoint', async () => {
    const dockerCluster = ownedDockerCluster({
      hasFinalizer: true,
      endpointFromLoadBalancer: true,
      spec: { controlPlaneEndpoint: { host: '172.18.0.9', port: 6443 } },
    });
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster(), ip: '172.18.0.3' },
      {},
      async ({ stubs, world, until }) => {
        const state = await until('Failing', (s) => s.phase === 'Failing');
        assert.match(state.lastError ?? '', /is on 172\.18\.0\.3, not on the endpoint 172\.18\.0\.9/);
        assert.equal(stubs.count('setControlPlaneEndpoint'), 0);
        assert.deepEqual(world.dockerCluster?.spec.controlPlaneEndpoint, { host: '172.18.0.9', port: 6443 });
      },
    );
  });

  for (const [why, world, expected] of [
    [
      'the DockerCluster annotation',
      { dockerCluster: ownedDockerCluster({ pausedAnnotation: true }), cluster: ownerCluster() },
      /paused annotation/,
    ],
    [
      'Cluster.spec.paused',
      {
        dockerCluster: ownedDockerCluster(),
        cluster: ownerCluster({ pausedBy: 'Cluster cluster-a has spec.paused' }),
      },
      /spec\.paused/,
    ],
  ] as const) {
    it(`is paused by ${why}: Paused=True, no infrastructure work, continues when unpaused`, async () => {
      await rig.scenario(structuredClone(world), {}, async ({ handle, stubs, world: live, until }) => {
        const state = await until('Paused', (s) => s.phase === 'Paused');
        assert.match(state.pausedBy ?? '', expected);
        const paused = stubs.condition('Paused');
        assert.equal(paused?.status, 'True');
        assert.match(paused?.message ?? '', expected);
        // Nothing was provisioned yet, and Ready says why it is unknown.
        assert.equal(stubs.condition('Ready')?.status, 'Unknown');
        assert.match(stubs.condition('Ready')?.message ?? '', expected);
        assert.equal(
          stubs.count('addFinalizer') + stubs.count('createLoadBalancer') + stubs.count('deleteLoadBalancer'),
          0,
        );

        (live.dockerCluster as NonNullable<StubWorld['dockerCluster']>).pausedAnnotation = false;
        delete (live.cluster as NonNullable<StubWorld['cluster']>).pausedBy;
        await handle.signal(changedSignal);
        await until('Ready', (s) => s.phase === 'Ready' && s.pausedBy === undefined);
      });
    });
  }

  it("is paused by an operator's signal with a reason, and resumes on the resume signal", async () => {
    await rig.scenario(
      { dockerCluster: ownedDockerCluster(), cluster: ownerCluster() },
      {},
      async ({ handle, stubs, until }) => {
        await until('Ready', (s) => s.phase === 'Ready');
        await handle.signal(pauseSignal, 'maintenance window');
        const state = await until('Paused', (s) => s.phase === 'Paused');
        assert.equal(state.pausedBy, 'paused by an operator: maintenance window');
        assert.equal(stubs.condition('Paused')?.message, 'paused by an operator: maintenance window');
        // A pause does not make a serving load balancer unready; Ready says that reconciliation is paused.
        assert.equal(stubs.condition('Ready')?.summary, 'True/Ready');
        assert.equal(
          stubs.condition('Ready')?.message,
          'reconciliation is paused: paused by an operator: maintenance window',
        );
        const writes = stubs.statuses().length;

        const creates = stubs.count('createLoadBalancer');
        await handle.signal(changedSignal);
        await until('a reconcile while paused', (s) => s.reconciles >= state.reconciles + 1);
        assert.equal(stubs.count('createLoadBalancer'), creates, 'a change while paused does no work');
        assert.equal(stubs.statuses().length, writes, 'a pass that changes nothing writes no status');

        await handle.signal(resumeSignal);
        await until('Ready again', (s) => s.phase === 'Ready' && s.reconciles > state.reconciles + 1);
        assert.equal(stubs.count('createLoadBalancer'), creates + 1);
      },
    );
  });

  it('deletes: container removed, then the finalizer, and completes', async () => {
    const dockerCluster = ownedDockerCluster({ deleting: true, hasFinalizer: true, engine: defaultEngine });
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster(), containerId: 'abc' },
      {},
      async ({ handle, stubs }) => {
        const result = await handle.result();
        assert.equal(result.phase, 'Deleted');
        const work = stubs.names().filter((name) => name !== 'recordEvent');
        assert.deepEqual(work, [
          'getDockerCluster',
          'getOwnerCluster',
          'requireEngineServed',
          'deleteLoadBalancer',
          'removeFinalizer',
        ]);
        assert.equal(stubs.statuses().length, 0, 'an object that is gone has no status to write');
      },
    );
  });

  it('on an engine without a worker: reports it by name and makes no Docker call; provisions once a worker serves it', async () => {
    const dockerCluster = ownedDockerCluster({ engine: 'engine-b' });
    await rig.scenario(
      { dockerCluster, cluster: ownerCluster(), servedEngines: [defaultEngine] },
      { engines: [defaultEngine, 'engine-b'] },
      async ({ handle, stubs, world, until }) => {
        const failing = await until('Failing', (s) => s.phase === 'Failing');
        assert.match(failing.lastError ?? '', /no worker serves Docker engine engine-b/);
        assert.match(stubs.condition('LoadBalancerAvailable')?.message ?? '', /Docker engine engine-b/);
        assert.equal(stubs.count('placeOnEngine'), 0, 'a DockerCluster named onto an engine stays there');
        assert.equal(stubs.count('ensureNetwork') + stubs.count('createLoadBalancer'), 0);

        world.servedEngines = [defaultEngine, 'engine-b'];
        await handle.signal(changedSignal);
        const ready = await until('Ready', (s) => s.phase === 'Ready');
        assert.equal(ready.engine, 'engine-b');
      },
    );
  });

  it('refuses to move a provisioned load balancer to another engine named by its label', async () => {
    await rig.scenario(
      {
        dockerCluster: ownedDockerCluster(),
        cluster: ownerCluster(),
        servedEngines: [defaultEngine, 'engine-b'],
      },
      {},
      async ({ handle, stubs, world, until }) => {
        await until('Ready', (s) => s.phase === 'Ready' && s.engine === defaultEngine);
        (world.dockerCluster as NonNullable<typeof world.dockerCluster>).engine = 'engine-b';
        await handle.signal(changedSignal);
        const failing = await until('Failing', (s) => s.phase === 'Failing');
        assert.match(
          failing.lastError ?? '',
          /on Docker engine default, but its label .* now names engine-b/,
        );
        assert.equal(stubs.count('createLoadBalancer'), 1, 'no load balancer on a second engine');
      },
    );
  });

  it('deletes a DockerCluster never placed on an engine without a Docker call', async () => {
    const dockerCluster = ownedDockerCluster({ deleting: true, hasFinalizer: true });
    await rig.scenario({ dockerCluster, cluster: ownerCluster() }, {}, async ({ handle, stubs }) => {
      assert.equal((await handle.result()).phase, 'Deleted');
      assert.equal(stubs.count('deleteLoadBalancer'), 0);
      assert.equal(stubs.count('removeFinalizer'), 1);
    });
  });

  it('removes the finalizer of a DockerCluster deleted before it had an owner', async () => {
    const dockerCluster = ownedDockerCluster({ deleting: true, hasFinalizer: true });
    delete dockerCluster.ownerClusterName;
    await rig.scenario({ dockerCluster, cluster: null }, {}, async ({ handle, stubs }) => {
      assert.equal((await handle.result()).phase, 'Deleted');
      assert.equal(stubs.count('removeFinalizer'), 1);
    });
  });

  it('retries a transient activity failure and still becomes ready', async () => {
    const failures = { createLoadBalancer: [new Error('docker engine restarting')] };
    await rig.scenario(
      { dockerCluster: ownedDockerCluster(), cluster: ownerCluster() },
      { failures },
      async ({ stubs, until }) => {
        const state = await until('Ready', (s) => s.phase === 'Ready');
        assert.equal(stubs.count('createLoadBalancer'), 2, 'one failed attempt, one retry');
        assert.equal(state.lastError, undefined);
        assert.equal(
          stubs.events().some((event) => event.type === 'Warning'),
          false,
        );
      },
    );
  });

  // Container creation is an activity; adding the finalizer a local activity: their failures reach the
  // workflow differently wrapped, and both must be reported, not fail the workflow.
  for (const [step, message, type] of [
    [
      'createLoadBalancer',
      'load-balancer image nope:1 is not on the Docker engine and cannot be pulled',
      'ImageNotFound',
    ],
    ['addFinalizer', 'adding the finalizer: permission denied (403)', 'PermissionDenied'],
  ] as const) {
    it(`surfaces a non-retryable failure of ${step} as a condition and a Warning event, and does not spin`, async () => {
      const failures = { [step]: [ApplicationFailure.nonRetryable(message, type)] };
      await rig.scenario(
        { dockerCluster: ownedDockerCluster(), cluster: ownerCluster() },
        { failures },
        async ({ handle, stubs, until }) => {
          const state = await until('Failing', (s) => s.phase === 'Failing');
          assert.equal(state.lastError, message);
          // The Event and the status are written side by side: wait for both.
          await eventually('the failure in status and a Warning event', async () =>
            stubs.condition('LoadBalancerAvailable')?.status === 'False' &&
            stubs.events().some((event) => event.type === 'Warning')
              ? true
              : undefined,
          );
          assert.equal(stubs.condition('LoadBalancerAvailable')?.message, message);
          assert.equal(stubs.condition('Ready')?.summary, 'False/NotAvailable');
          assert.equal(stubs.condition('Ready')?.message, message);
          const warning = stubs.events().find((event) => event.type === 'Warning');
          assert.equal(warning?.reason, 'ReconcileFailed');
          assert.equal(warning?.message, message);

          const failedAt = Date.now();
          // The workflow waits for the next try on a timer, which its history shows.
          const backoff = await eventually('the backoff timer in the history', async () => {
            const { events } = await handle.fetchHistory();
            return (
              events?.find((event) => event.timerStartedEventAttributes)?.timerStartedEventAttributes ??
              undefined
            );
          });
          assert.equal(tsToMs(backoff.startToFireTimeout), 5_000);
          assert.equal(stubs.count(step), 1, 'no retry within seconds: the next try is 5 s later');
          await eventually('the slow retry', async () => (stubs.count(step) === 2 ? true : undefined));
          assert.ok(Date.now() - failedAt >= 4_000, 'the workflow retried after its backoff, not at once');
          await until('Ready after the retry', (s) => s.phase === 'Ready');
        },
      );
    });
  }

  it('a late change for a completed DockerCluster starts no new run of its workflow', async () => {
    const stubs = stubActivities({ dockerCluster: null, cluster: null, ip: '172.18.0.2' });
    const taskQueue = uniqueName('signaller-test');
    const ref = { namespace: 'default', name: uniqueName('gone'), uid: randomUUID() };
    // The signaller's own log says when it has dealt with a request.
    const logLines: string[] = [];
    const capturingLogger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
    const signaller = new Signaller({
      client: rig.client,
      taskQueue,
      resyncSeconds: 3600,
      logger: capturingLogger,
    });
    try {
      await rig.runWorkers(taskQueue, stubs, async () => {
        signaller.request(ref);
        const handle = rig.client.workflow.getHandle(workflowIdOf(ref));
        const first = await eventually('the first run to complete', async () => {
          const description = await handle.describe().catch(() => undefined);
          return description?.status.name === 'COMPLETED' ? description : undefined;
        });
        signaller.request(ref);
        await eventually('the signaller to find the workflow completed', async () =>
          logLines.some((line) => line.includes('has completed; not started again')) ? true : undefined,
        );
        const latest = await handle.describe();
        assert.equal(latest.runId, first.runId, 'no second run');
        assert.equal(stubs.count('getDockerCluster'), 1);
      });
    } finally {
      signaller.stop();
    }
  });

  it('replays a history recorded with this code, as it ran: a provisioning, a change, a pause, a deletion', async () => {
    // A history replays with the code that recorded it; test/unit/replay.test.ts replays the committed
    // histories of earlier code (docs/DEVELOPING.md, "Recording replay histories").
    const world = { dockerCluster: ownedDockerCluster(), cluster: ownerCluster() };
    let history: proto.temporal.api.history.v1.IHistory | undefined;
    await rig.scenario(world, {}, async ({ handle, until }) => {
      await until('Ready', (s) => s.phase === 'Ready');
      await handle.signal(changedSignal);
      await until('a second reconcile', (s) => s.reconciles >= 2);
      await handle.signal(pauseSignal, 'replay');
      await until('Paused', (s) => s.phase === 'Paused');
      await handle.signal(resumeSignal);
      await until('Ready again', (s) => s.phase === 'Ready' && s.reconciles >= 4);
      (world.dockerCluster as NonNullable<StubWorld['dockerCluster']>).deleting = true;
      await handle.signal(changedSignal);
      assert.equal((await handle.result()).phase, 'Deleted');
      history = await handle.fetchHistory();
    });
    assert.ok(history?.events?.length, 'a history was recorded');
    await Worker.runReplayHistory({ workflowBundle: rig.bundle, sinks: metricSinks }, history);
  });

  it("keeps an operator's pause across continue-as-new", async () => {
    const input = { maxHistoryEvents: 60 };
    const world = { dockerCluster: ownedDockerCluster(), cluster: ownerCluster() };
    await rig.scenario(world, { input }, async ({ handle, stubs, until }) => {
      await until('Ready', (s) => s.phase === 'Ready');
      const firstRun = (await handle.describe()).runId;
      await handle.signal(pauseSignal, 'upgrade');
      await until('Paused', (s) => s.phase === 'Paused');
      const creates = stubs.count('createLoadBalancer');

      // Each change is a reconcile (a few events); enough of them pass the history limit.
      await eventually('a continue-as-new', async () => {
        await handle.signal(changedSignal);
        return (await handle.describe()).runId !== firstRun ? true : undefined;
      });
      const state = await until('the new run to reconcile', (s) => s.phase === 'Paused');
      assert.equal(state.pausedBy, 'paused by an operator: upgrade');
      assert.equal(stubs.count('createLoadBalancer'), creates, 'still no work while paused');

      await handle.signal(resumeSignal);
      await until('Ready after resume', (s) => s.phase === 'Ready' && s.pausedBy === undefined);
    });
  });
});
