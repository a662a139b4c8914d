// End to end on the real stack: the watcher and the worker run as the provider does, and the test acts as
// a user (and as CAPI's Cluster controller, which would set the owner reference).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { kindRoleLabel } from '../../src/activities/load-balancer.js';
import { pausedAnnotation } from '../../src/api/capi.js';
import { finalizer } from '../../src/api/dockercluster.js';
import { localActivityOf } from '../../src/observability/history.js';
import { refOf, workflowIdOf } from '../../src/watcher/changes.js';
import { ownerReference, TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { docker, eventually, uniqueName } from '../support/stack.js';

describe('the provider, end to end, under the least-privilege ClusterRole of the deploy manifests', () => {
  const engine = docker();
  let objects: TestObjects;
  let provider: RunningProvider;
  let client: Client;
  let network: string;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace });
    ({ client, network } = provider);
  });

  after(async () => {
    await provider.stop();
  });

  it('provisions a DockerCluster: finalizer, running HAProxy container, endpoint = its IP:6443, ready', async () => {
    const name = uniqueName('ready');
    const cluster = await objects.createCluster(name);
    const appliedAt = Date.now();
    const created = await objects.createDockerCluster(name, { owner: cluster });
    const ready = await objects.untilReady(name);
    const secondsToReady = (Date.now() - appliedAt) / 1000;

    assert.equal(ready.status?.initialization?.provisioned, true);
    assert.deepEqual(ready.metadata.finalizers, [finalizer]);
    const conditions = Object.fromEntries((ready.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conditions, { LoadBalancerAvailable: 'True', Ready: 'True', Paused: 'False' });
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);

    const [container] = await objects.containersOf(created.metadata.uid as string);
    assert.ok(container, 'one load-balancer container carries the DockerCluster uid');
    assert.equal(container.State, 'running');
    assert.equal(container.Labels[kindRoleLabel], 'external-load-balancer');
    assert.equal(container.Labels['io.x-k8s.kind.cluster'], name);
    const details = await engine.getContainer(container.Id).inspect();
    assert.deepEqual(ready.spec?.controlPlaneEndpoint, {
      host: details.NetworkSettings.Networks[network]?.IPAddress,
      port: 6443,
    });

    const stats = details.NetworkSettings.Ports['8404/tcp']?.[0];
    assert.equal(stats?.HostIp, '127.0.0.1');
    const page = await eventually('the stats page', async () => {
      const response = await fetch(`http://127.0.0.1:${stats?.HostPort}/stats`);
      return response.ok ? await response.text() : undefined;
    });
    assert.match(page, /Statistics Report for HAProxy/);

    const history = await client.workflow.getHandle(workflowIdOf(refOf(created))).fetchHistory();
    const { EventType } = proto.temporal.api.enums.v1;
    const events = history.events ?? [];
    const activities = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    const localActivities = events.filter((e) => localActivityOf(e) !== undefined);
    console.log(
      `# apply → ready: ${secondsToReady.toFixed(2)} s; history: ${events.length} events, ${activities.length} activities, ${localActivities.length} local activities`,
    );

    await objects.delete(name);
    await objects.untilGone(name);
    assert.deepEqual(
      await objects.containersOf(created.metadata.uid as string),
      [],
      'the container is removed with the object',
    );
  });

  it('does nothing while paused, and resumes when the pause is lifted', async () => {
    const name = uniqueName('paused');
    const { dockerCluster: created } = await objects.createPair(name);
    await objects.untilReady(name);
    const uid = created.metadata.uid as string;

    await objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: '' } } });
    await eventually('the Paused condition', async () => {
      const paused = (await objects.read(name))?.status?.conditions?.find((c) => c.type === 'Paused');
      return paused?.status === 'True' ? paused : undefined;
    });
    await objects.delete(name);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const held = await objects.read(name);
    assert.ok(held?.metadata.deletionTimestamp, 'the deletion is recorded');
    assert.deepEqual(held?.metadata.finalizers, [finalizer], 'but not acted on while paused');
    assert.equal((await objects.containersOf(uid)).length, 1);

    await objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: null } } });
    await objects.untilGone(name);
    assert.deepEqual(await objects.containersOf(uid), []);
  });

  it('waits for the owner reference of a DockerCluster created before its Cluster', async () => {
    const name = uniqueName('orphan');
    const created = await objects.createDockerCluster(name);
    const uid = created.metadata.uid as string;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const waiting = await objects.read(name);
    assert.equal(waiting?.metadata.finalizers, undefined, 'no finalizer before the owner is known');
    assert.equal(waiting?.status?.ready, undefined);
    assert.deepEqual(await objects.containersOf(uid), []);
    const state = await client.workflow
      .getHandle(workflowIdOf(refOf(created)))
      .query<{ phase: string }>('state');
    assert.equal(state.phase, 'WaitingForOwner');

    const cluster = await objects.createCluster(name);
    await objects.patch(name, { metadata: { ownerReferences: [ownerReference(cluster)] } });
    await objects.untilReady(name);
    assert.equal((await objects.containersOf(uid)).length, 1);

    await objects.delete(name);
    await objects.untilGone(name);
  });
});
