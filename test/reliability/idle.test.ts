// An idle DockerCluster costs one observation per resync: with the resync at 2 s, a Ready DockerCluster whose
// world does not change is read, not written, and each resync adds at most 6 events to its workflow history.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import proto from '@temporalio/proto';
import type { DockerCluster } from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { localActivityOf } from '../../src/observability/history.js';
import type { TestObjects } from '../support/objects.js';
import type { ProviderProcesses } from '../support/provider-processes.js';
import { activityCalls, providerWithReadyPair, record } from '../support/reliability.js';
import { eventually } from '../support/stack.js';

const { EventType } = proto.temporal.api.enums.v1;
const resyncSeconds = 2;
/** Activities a pass runs that an idle resync must not. */
const passWork = ['getDockerCluster', 'createLoadBalancer', 'updateStatus', 'setControlPlaneEndpoint'];

describe(`an idle DockerCluster, resync every ${resyncSeconds} s`, () => {
  let objects: TestObjects;
  let provider: ProviderProcesses;
  const name = 'idle';

  before(async () => {
    ({ objects, provider } = await providerWithReadyPair(name, {
      CAPDT_RESYNC_SECONDS: String(resyncSeconds),
    }));
  });

  after(async () => {
    await provider.stop();
    await objects.removeContainers();
  });

  it('each resync is one observation: no write, no pass, at most 6 history events', async () => {
    const object = (await objects.read(name)) as DockerCluster;
    const observations = () => activityCalls(provider.client, object, 'observeLoadBalancer');
    const history = async () =>
      (await provider.client.workflow.getHandle(workflowIdOf(refOf(object))).fetchHistory()).events ?? [];
    const scheduled = (events: Awaited<ReturnType<typeof history>>) =>
      events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length;
    // The observation after the Ready pass, and one resync, so that the pass's own writes are behind us.
    await eventually('a first idle resync', async () => ((await observations()) >= 2 ? true : undefined));
    const resourceVersion = (await objects.read(name))?.metadata.resourceVersion;
    const countsBefore = await Promise.all(
      passWork.map((type) => activityCalls(provider.client, object, type)),
    );
    const observedBefore = await observations();
    const scheduledBefore = scheduled(await history());

    await eventually('three more resyncs', async () =>
      (await observations()) >= observedBefore + 3 ? true : undefined,
    );
    assert.equal((await objects.read(name))?.metadata.resourceVersion, resourceVersion, 'nothing written');
    assert.deepEqual(
      await Promise.all(passWork.map((type) => activityCalls(provider.client, object, type))),
      countsBefore,
      `no ${passWork.join(', ')}`,
    );
    const events = await history();
    const markers = events.flatMap((event, index) =>
      localActivityOf(event)?.activityType === 'observeLoadBalancer' ? [index] : [],
    );
    const perResync = markers.slice(-3).map((index, n) => index - (markers.at(-4 + n) as number));
    for (const count of perResync) assert.ok(count <= 6, `a resync took ${count} history events`);
    assert.equal(scheduled(events), scheduledBefore, 'the resyncs schedule no activity on a task queue');
    record({
      group: 'Drift',
      scenario: 'An idle DockerCluster, resynced',
      action: `a Ready DockerCluster left alone, resync every ${resyncSeconds} s (one hour by default)`,
      result:
        'each resync one observation (one local activity: the objects, the Machines, one container inspect) and nothing else: no write to the DockerCluster (resourceVersion unchanged), no pass',
      measured: `history events per resync: ${perResync.join(', ')}`,
    });
  });
});
