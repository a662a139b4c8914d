// End to end on the real stack: the watcher and the worker run as the provider does, and the test acts as
// a user (and as CAPI's Cluster controller, which would set the owner reference).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { kindRoleLabel, ownerUidLabel } from '../../src/activities/load-balancer.js';
import { clusterGroup, clusterVersion, pausedAnnotation } from '../../src/api/capi.js';
import {
  apiVersion,
  type DockerCluster,
  finalizer,
  group,
  plural,
  version,
} from '../../src/api/dockercluster.js';
import { loadConfig } from '../../src/config.js';
import { logger } from '../../src/logger.js';
import { refOf, workflowIdOf } from '../../src/watcher/changes.js';
import { Signaller } from '../../src/watcher/signaller.js';
import { startWatcher, type Watcher } from '../../src/watcher/watcher.js';
import { createWorker } from '../../src/worker.js';
import {
  createNamespace,
  docker,
  eventually,
  kubeConfig,
  quietTemporalRuntime,
  stackEnv,
  uniqueName,
} from '../support/stack.js';

const dockerClusters = { group, version, plural };
const clusters = { group: clusterGroup, version: clusterVersion, plural: 'clusters' };
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

describe('the provider, end to end', () => {
  const admin = kubeConfig();
  const objects = admin.makeApiClient(k8s.CustomObjectsApi);
  const engine = docker();
  const network = uniqueName('capdt-e2e');
  let namespace: string;
  let worker: Worker;
  let workerRun: Promise<void>;
  let watcher: Watcher;
  let connection: Connection;
  let client: Client;

  before(async () => {
    quietTemporalRuntime();
    namespace = await createNamespace(admin);
    const config = loadConfig({
      ...process.env,
      CAPDT_TASK_QUEUE: uniqueName('e2e'),
      CAPDT_NETWORK: network,
      CAPDT_WATCH_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
    });
    worker = await createWorker(config);
    workerRun = worker.run();
    connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
    client = new Client({ connection });
    logger.level = 'warn';
    watcher = startWatcher({
      kubeConfig: admin,
      signaller: new Signaller({ client, taskQueue: config.CAPDT_TASK_QUEUE, resyncSeconds: 300, logger }),
      logger,
      namespace,
    });
    await watcher.started;
  });

  after(async () => {
    await watcher.stop();
    worker.shutdown();
    await workerRun;
    await connection.close();
    for (const info of await engine.listContainers({
      all: true,
      filters: { label: [`dockercluster.infrastructure.cluster.x-k8s.io/namespace=${namespace}`] },
    })) {
      await engine.getContainer(info.Id).remove({ force: true, v: true });
    }
    await engine
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
  });

  async function createCluster(name: string, spec: object = { paused: false }) {
    return await objects.createNamespacedCustomObject({
      ...clusters,
      namespace,
      body: { apiVersion: `${clusterGroup}/${clusterVersion}`, kind: 'Cluster', metadata: { name }, spec },
    });
  }

  function infrastructureRef(name: string) {
    return { infrastructureRef: { apiGroup: group, kind: 'DockerCluster', name } };
  }

  async function createDockerCluster(
    name: string,
    owner?: { metadata: { name: string; uid: string } },
    annotations = {},
  ) {
    return (await objects.createNamespacedCustomObject({
      ...dockerClusters,
      namespace,
      body: {
        apiVersion,
        kind: 'DockerCluster',
        metadata: {
          name,
          annotations,
          labels: { 'cluster.x-k8s.io/cluster-name': owner?.metadata.name ?? name },
          ...(owner && { ownerReferences: [ownerReference(owner)] }),
        },
        spec: {},
      },
    })) as DockerCluster;
  }

  function ownerReference(owner: { metadata: { name: string; uid: string } }) {
    return {
      apiVersion: `${clusterGroup}/${clusterVersion}`,
      kind: 'Cluster',
      name: owner.metadata.name,
      uid: owner.metadata.uid,
    };
  }

  async function read(name: string): Promise<DockerCluster | undefined> {
    try {
      return (await objects.getNamespacedCustomObject({
        ...dockerClusters,
        namespace,
        name,
      })) as DockerCluster;
    } catch (error) {
      if ((error as k8s.ApiException<unknown>).code === 404) return undefined;
      throw error;
    }
  }

  async function patch(name: string, body: object) {
    await objects.patchNamespacedCustomObject({ ...dockerClusters, namespace, name, body }, mergePatch);
  }

  const untilReady = (name: string) =>
    eventually(`DockerCluster ${name} to be ready`, async () => {
      const object = await read(name);
      return object?.status?.ready ? object : undefined;
    });

  async function containersOf(uid: string) {
    return await engine.listContainers({ all: true, filters: { label: [`${ownerUidLabel}=${uid}`] } });
  }

  const untilGone = (name: string) =>
    eventually(`DockerCluster ${name} to be gone`, async () =>
      (await read(name)) === undefined ? true : undefined,
    );

  it('provisions a DockerCluster: finalizer, running HAProxy container, endpoint = its IP:6443, ready', async () => {
    const name = uniqueName('ready');
    const cluster = await createCluster(name, infrastructureRef(name));
    const appliedAt = Date.now();
    const created = await createDockerCluster(name, cluster);
    const ready = await untilReady(name);
    const secondsToReady = (Date.now() - appliedAt) / 1000;

    assert.equal(ready.status?.initialization?.provisioned, true);
    assert.deepEqual(ready.metadata.finalizers, [finalizer]);
    const conditions = Object.fromEntries((ready.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conditions, { LoadBalancerAvailable: 'True', Ready: 'True', Paused: 'False' });
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);

    const [container] = await containersOf(created.metadata.uid as string);
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
    const activities = (history.events ?? []).filter(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    );
    console.log(
      `# apply → ready: ${secondsToReady.toFixed(2)} s; history: ${history.events?.length} events, ${activities.length} activities`,
    );

    await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name });
    await untilGone(name);
    assert.deepEqual(
      await containersOf(created.metadata.uid as string),
      [],
      'the container is removed with the object',
    );
  });

  it('does nothing while paused, and resumes when the pause is lifted', async () => {
    const name = uniqueName('paused');
    const cluster = await createCluster(name, infrastructureRef(name));
    const created = await createDockerCluster(name, cluster);
    await untilReady(name);
    const uid = created.metadata.uid as string;

    await patch(name, { metadata: { annotations: { [pausedAnnotation]: '' } } });
    await eventually('the Paused condition', async () => {
      const paused = (await read(name))?.status?.conditions?.find((c) => c.type === 'Paused');
      return paused?.status === 'True' ? paused : undefined;
    });
    await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const held = await read(name);
    assert.ok(held?.metadata.deletionTimestamp, 'the deletion is recorded');
    assert.deepEqual(held?.metadata.finalizers, [finalizer], 'but not acted on while paused');
    assert.equal((await containersOf(uid)).length, 1);

    await patch(name, { metadata: { annotations: { [pausedAnnotation]: null } } });
    await untilGone(name);
    assert.deepEqual(await containersOf(uid), []);
  });

  it('waits for the owner reference of a DockerCluster created before its Cluster', async () => {
    const name = uniqueName('orphan');
    const created = await createDockerCluster(name);
    const uid = created.metadata.uid as string;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const waiting = await read(name);
    assert.equal(waiting?.metadata.finalizers, undefined, 'no finalizer before the owner is known');
    assert.equal(waiting?.status?.ready, undefined);
    assert.deepEqual(await containersOf(uid), []);
    const state = await client.workflow
      .getHandle(workflowIdOf(refOf(created)))
      .query<{ phase: string }>('state');
    assert.equal(state.phase, 'WaitingForOwner');

    const cluster = await createCluster(name, infrastructureRef(name));
    await patch(name, { metadata: { ownerReferences: [ownerReference(cluster)] } });
    await untilReady(name);
    assert.equal((await containersOf(uid)).length, 1);

    await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name });
    await untilGone(name);
  });
});
