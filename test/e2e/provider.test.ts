// End to end with CAPI's own controllers: the test acts as a CAPI user (Clusters and DockerClusters, nothing
// more); CAPI's Cluster controller sets the owner reference, copies the endpoint and reports the infrastructure;
// the provider's watcher and worker run as they are deployed, under the deploy manifests' ClusterRole.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { configPath, haproxyConfig, kindRoleLabel } from '../../src/activities/load-balancer.js';
import { type Cluster, clusterGroup } from '../../src/api/capi.js';
import { type DockerCluster, finalizer, group, plural, version } from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { localActivityOf } from '../../src/observability/history.js';
import { stateQuery } from '../../src/workflows/definitions.js';
import { readContainerFile, writeContainerFile } from '../support/container-files.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { record, seconds } from '../support/reliability.js';
import { docker, eventually, kubeConfig, uniqueName } from '../support/stack.js';

/**
 * Counts the status writes the API server announces for one DockerCluster from now on: each watch event
 * whose status differs from the one before.
 */
async function countStatusWrites(namespace: string, name: string) {
  let last: DockerCluster['status'];
  let writes = 0;
  const watch = await new k8s.Watch(kubeConfig()).watch(
    `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
    { fieldSelector: `metadata.name=${name}` },
    (_type: string, object: DockerCluster) => {
      if (!isDeepStrictEqual(object.status, last)) writes += 1;
      last = object.status;
    },
    () => undefined,
  );
  return { writes: () => writes, stop: () => watch.abort() };
}

function conditionOf(cluster: Cluster | undefined, type: string) {
  return cluster?.status?.conditions?.find((condition) => condition.type === type);
}

const scenarioGroup = 'With CAPI and clusterctl';

describe('the provider with CAPI, end to end, under the least-privilege ClusterRole', () => {
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

  /** CAPI reports the infrastructure: provisioned, InfrastructureReady, the DockerCluster's endpoint copied. */
  async function untilCapiReports(name: string): Promise<Cluster> {
    return await eventually(
      `Cluster ${name} to report its infrastructure ready`,
      async () => {
        const cluster = await objects.readCluster(name);
        return cluster?.status?.initialization?.infrastructureProvisioned &&
          conditionOf(cluster, 'InfrastructureReady')?.status === 'True' &&
          cluster.spec?.controlPlaneEndpoint?.host
          ? cluster
          : undefined;
      },
      90_000,
    );
  }

  it('Cluster first: CAPI sets the owner, the provider provisions, CAPI reports InfrastructureReady', async () => {
    const name = uniqueName('ready');
    const statusWrites = await countStatusWrites(objects.namespace, name);
    const appliedAt = Date.now();
    await objects.createCluster(name);
    const created = await objects.createDockerCluster(name);
    const ready = await objects.untilReady(name);
    const cluster = await untilCapiReports(name);
    const secondsToReady = (Date.now() - appliedAt) / 1000;
    const workflow = client.workflow.getHandle(workflowIdOf(refOf(created)));

    const history = await workflow.fetchHistory();
    const { EventType } = proto.temporal.api.enums.v1;
    const events = history.events ?? [];
    const activities = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    const localActivities = events.filter((e) => localActivityOf(e) !== undefined);
    console.log(
      `# apply → InfrastructureReady: ${secondsToReady.toFixed(2)} s; history: ${events.length} events, ${activities.length} activities, ${localActivities.length} local activities`,
    );

    // One status write for the pass that provisioned; a pass that finds nothing changed writes none.
    assert.equal(statusWrites.writes(), 1, 'the provisioning pass wrote status once');
    const { reconciles } = await workflow.query(stateQuery);
    await objects.patch(name, {
      metadata: { annotations: { 'example.com/nudge': 'a pass with no change' } },
    });
    await eventually('a pass for the new annotation', async () =>
      (await workflow.query(stateQuery)).reconciles > reconciles ? true : undefined,
    );
    assert.equal(statusWrites.writes(), 1, 'a pass that changed nothing wrote no status');
    statusWrites.stop();

    const [owner] = ready.metadata.ownerReferences ?? [];
    assert.equal(owner?.kind, 'Cluster', 'CAPI set the owner reference');
    assert.equal(owner?.name, name);
    assert.ok(owner?.apiVersion.startsWith(`${clusterGroup}/`));
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
    const endpoint = { host: details.NetworkSettings.Networks[network]?.IPAddress, port: 6443 };
    assert.deepEqual(ready.spec?.controlPlaneEndpoint, endpoint);
    assert.deepEqual(
      cluster.spec?.controlPlaneEndpoint,
      endpoint,
      "CAPI copied the DockerCluster's endpoint",
    );

    const stats = details.NetworkSettings.Ports['8404/tcp']?.[0];
    assert.equal(stats?.HostIp, '127.0.0.1');
    const page = await eventually('the stats page', async () => {
      const response = await fetch(`http://127.0.0.1:${stats?.HostPort}/stats`);
      return response.ok ? await response.text() : undefined;
    });
    assert.match(page, /Statistics Report for HAProxy/);

    // The endpoint is fixed once set: the API server refuses a change, with the reason.
    await assert.rejects(
      objects.patch(name, { spec: { controlPlaneEndpoint: { host: '10.0.0.99', port: 6443 } } }),
      (error) =>
        error instanceof k8s.ApiException &&
        error.code === 422 &&
        /controlPlaneEndpoint cannot be changed once its host is set/.test(String(error.body)),
    );

    const deletedAt = Date.now();
    await objects.deleteCluster(name);
    await objects.untilGone(name);
    await objects.untilClusterGone(name);
    assert.deepEqual(
      await objects.containersOf(created.metadata.uid as string),
      [],
      "deleting the Cluster removed its DockerCluster's container",
    );
    record({
      group: scenarioGroup,
      scenario: 'Cluster first, then its DockerCluster; endpoint edit; Cluster deleted',
      action:
        'a Cluster naming a DockerCluster, then the DockerCluster; a patch of its set endpoint; the Cluster deleted',
      result:
        "CAPI set the owner; the provider provisioned; CAPI copied the endpoint and set InfrastructureReady=True; the endpoint change refused by the API server (422, the CEL rule's message); CAPI deleted the DockerCluster, the provider its container",
      measured: `apply → InfrastructureReady ${secondsToReady.toFixed(1)} s; delete → Cluster gone ${seconds(deletedAt)}`,
    });
  });

  it('DockerCluster first: it waits without a finalizer until CAPI sets the owner', async () => {
    const name = uniqueName('infra-first');
    const created = await objects.createDockerCluster(name);
    const uid = created.metadata.uid as string;
    const workflow = client.workflow.getHandle(workflowIdOf(refOf(created)));
    // Once its workflow waits for the owner, its pass is over: what it did by then is all it does.
    await eventually('the workflow to wait for the owner', async () =>
      (await workflow.query(stateQuery)).phase === 'WaitingForOwner' ? true : undefined,
    );
    const waiting = await objects.read(name);
    assert.equal(waiting?.metadata.finalizers, undefined, 'no finalizer before the owner is known');
    assert.equal(waiting?.status?.ready, undefined);
    assert.deepEqual(await objects.containersOf(uid), []);
    const state = await workflow.query(stateQuery);
    assert.equal(state.phase, 'WaitingForOwner');

    const clusterCreated = Date.now();
    await objects.createCluster(name);
    await objects.untilReady(name);
    await untilCapiReports(name);
    assert.equal((await objects.containersOf(uid)).length, 1);
    record({
      group: scenarioGroup,
      scenario: 'DockerCluster first, then its Cluster',
      action:
        'a DockerCluster created, then, once its workflow waited for the owner, the Cluster that names it',
      result: 'WaitingForOwner without finalizer or container; provisioned once CAPI set the owner',
      measured: `Cluster created → InfrastructureReady ${seconds(clusterCreated)}`,
    });

    await objects.deleteCluster(name);
    await objects.untilGone(name);
    assert.deepEqual(await objects.containersOf(uid), []);
  });

  it('Cluster.spec.paused: the provider does nothing, not even a deletion, until it is lifted', async () => {
    const name = uniqueName('paused');
    const { dockerCluster: created } = await objects.createPair(name);
    await objects.untilReady(name);
    const uid = created.metadata.uid as string;

    await objects.patchCluster(name, { spec: { paused: true } });
    const paused = await eventually('the Paused condition', async () => {
      const condition = (await objects.read(name))?.status?.conditions?.find((c) => c.type === 'Paused');
      return condition?.status === 'True' ? condition : undefined;
    });
    assert.match(paused.message, /spec\.paused/);
    await objects.delete(name);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const held = await objects.read(name);
    assert.ok(held?.metadata.deletionTimestamp, 'the deletion is recorded');
    assert.deepEqual(held?.metadata.finalizers, [finalizer], 'but not acted on while paused');
    assert.equal((await objects.containersOf(uid)).length, 1);

    const resumed = Date.now();
    await objects.patchCluster(name, { spec: { paused: false } });
    await objects.untilGone(name);
    assert.deepEqual(await objects.containersOf(uid), []);
    await objects.deleteCluster(name);
    record({
      group: scenarioGroup,
      scenario: 'Cluster.spec.paused',
      action: 'Cluster paused, its DockerCluster deleted meanwhile, then the Cluster unpaused',
      result: 'Paused=True naming spec.paused; the deletion held (finalizer, container kept) until unpaused',
      measured: `unpaused → DockerCluster and container gone ${seconds(resumed)}`,
    });
  });

  it('a new spec.loadbalancerImage rolls the load balancer: same endpoint, address and host port, Ready', async () => {
    const name = uniqueName('roll');
    const { dockerCluster: created } = await objects.createPair(name);
    const ready = await objects.untilReady(name);
    const uid = created.metadata.uid as string;
    const [before] = await objects.containersOf(uid);
    assert.ok(before);
    const placeOf = async (id: string) => {
      const details = await engine.getContainer(id).inspect();
      return {
        ip: details.NetworkSettings.Networks[network]?.IPAddress,
        hostPort: details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort,
      };
    };
    const placeBefore = await placeOf(before.Id);
    const tag = uniqueName('roll');
    const rolledImage = `capd-temporal/haproxy:${tag}`;
    await engine.getImage(before.Image).tag({ repo: 'capd-temporal/haproxy', tag });
    try {
      const patchedAt = Date.now();
      await objects.patch(name, { spec: { loadbalancerImage: rolledImage } });
      const rolled = await eventually('a load balancer of the new image, Ready again', async () => {
        const object = await objects.read(name);
        const [current] = await objects.containersOf(uid);
        return current?.Image === rolledImage &&
          current.State === 'running' &&
          object?.status?.ready &&
          object.status.observedGeneration === object.metadata.generation
          ? { object, current }
          : undefined;
      });
      const rolledAfter = seconds(patchedAt);
      assert.deepEqual(rolled.object.spec?.controlPlaneEndpoint, ready.spec?.controlPlaneEndpoint);
      assert.deepEqual(await placeOf(rolled.current.Id), placeBefore, 'the same address and host port');
      assert.equal((await objects.containersOf(uid)).length, 1, 'the old container is gone');
      const events = await kubeConfig()
        .makeApiClient(k8s.CoreV1Api)
        .listNamespacedEvent({ namespace: objects.namespace, fieldSelector: `involvedObject.name=${name}` });
      const replaced = events.items.find((event) => event.reason === 'LoadBalancerReplaced');
      assert.match(replaced?.message ?? '', new RegExp(`not ${rolledImage}`));
      record({
        group: scenarioGroup,
        scenario: 'spec.loadbalancerImage changed on a Ready DockerCluster',
        action: 'the image of a Ready DockerCluster patched to another tag',
        result:
          'a new container of the new image on the same address and host port, the old one removed, Event LoadBalancerReplaced naming the image; Ready again with the endpoint unchanged',
        measured: `patch → Ready on the new image ${rolledAfter}`,
      });
    } finally {
      await objects.deleteCluster(name);
      await objects.untilClusterGone(name);
      await engine.getImage(rolledImage).remove();
    }
  });

  it('a reload HAProxy does not take: LoadBalancerAvailable and Ready say so until a retry reloads it', async () => {
    const name = uniqueName('reload');
    const { dockerCluster: created } = await objects.createPair(name);
    await objects.untilReady(name);
    const [container] = await objects.containersOf(created.metadata.uid as string);
    assert.ok(container);
    const loadBalancer = engine.getContainer(container.Id);
    const conditionsOf = async () =>
      Object.fromEntries(((await objects.read(name))?.status?.conditions ?? []).map((c) => [c.type, c]));
    try {
      // Somebody edits the config in the container, and HAProxy's master process cannot reload meanwhile.
      await writeContainerFile(loadBalancer, configPath, '# edited by hand\n');
      const master = (await loadBalancer.inspect()).State.Pid;
      process.kill(master, 'SIGSTOP');
      const stoppedAt = Date.now();
      let reported: Awaited<ReturnType<typeof conditionsOf>>;
      try {
        await objects.patch(name, { metadata: { annotations: { 'example.com/nudge': 'reconcile now' } } });
        reported = await eventually('the failed reload in the conditions', async () => {
          const conditions = await conditionsOf();
          return conditions.LoadBalancerAvailable?.status === 'False' ? conditions : undefined;
        });
      } finally {
        process.kill(master, 'SIGCONT');
      }
      assert.match(reported.LoadBalancerAvailable?.message ?? '', /did not load its new config/);
      assert.equal(reported.Ready?.status, 'False');
      assert.equal(reported.Ready?.message, reported.LoadBalancerAvailable?.message);
      const reportedAfter = seconds(stoppedAt);

      const resumedAt = Date.now();
      await eventually('Ready again after the retry', async () =>
        (await conditionsOf()).Ready?.status === 'True' ? true : undefined,
      );
      assert.equal(
        await readContainerFile(loadBalancer, configPath),
        haproxyConfig({ port: 6443, ipFamily: 'IPv4', backends: [] }),
      );
      record({
        group: scenarioGroup,
        scenario: 'HAProxy does not take a reload',
        action:
          "the config in a Ready DockerCluster's container edited by hand, HAProxy's master stopped (SIGSTOP), a change",
        result:
          'the config written back and SIGHUP sent; no new worker within 5 s: LoadBalancerAvailable and Ready False naming the failed reload; master resumed: the workflow retried, reloaded, Ready True',
        measured: `stop → condition False ${reportedAfter}; resume → Ready ${seconds(resumedAt)}`,
      });
    } finally {
      await objects.deleteCluster(name);
      await objects.untilClusterGone(name);
    }
  });

  it('an IPv6 Cluster on a network without IPv6: the conditions say so and name the setting', async () => {
    const name = uniqueName('v6-on-v4');
    await objects.createCluster(name, { clusterNetwork: { pods: { cidrBlocks: ['fd00:100::/48'] } } });
    const created = await objects.createDockerCluster(name);
    const reported = await eventually('the condition that names the missing IPv6', async () => {
      const available = (await objects.read(name))?.status?.conditions?.find(
        (condition) => condition.type === 'LoadBalancerAvailable',
      );
      return available?.status === 'False' ? available : undefined;
    });
    assert.match(reported.message, new RegExp(`network ${network} has no IPv6`));
    assert.match(reported.message, /CAPDT_NETWORK_SUBNET_V6/);
    assert.deepEqual(await objects.containersOf(created.metadata.uid as string), [], 'no container was made');
    await objects.deleteCluster(name);
    await objects.untilClusterGone(name);
  });

  it('10 Clusters at once: all provisioned, then all deleted with their load balancers', async () => {
    const names = Array.from({ length: 10 }, (_, index) => uniqueName(`ten-${index}`));
    const appliedAt = Date.now();
    const created = await Promise.all(names.map((name) => objects.createPair(name)));
    await Promise.all(names.map((name) => untilCapiReports(name)));
    const readyAfter = (Date.now() - appliedAt) / 1000;

    const deletedAt = Date.now();
    await Promise.all(names.map((name) => objects.deleteCluster(name)));
    await Promise.all(names.map((name) => objects.untilClusterGone(name, 60_000)));
    const goneAfter = seconds(deletedAt);
    for (const { dockerCluster } of created) {
      assert.deepEqual(await objects.containersOf(dockerCluster.metadata.uid as string), []);
    }
    record({
      group: scenarioGroup,
      scenario: '10 Clusters at once',
      action: '10 Cluster + DockerCluster pairs applied together, then the 10 Clusters deleted together',
      result: 'all 10 InfrastructureReady with their endpoints; all gone with their containers',
      measured: `apply → all InfrastructureReady ${readyAfter.toFixed(1)} s; delete → all gone ${goneAfter}`,
    });
  });
});
