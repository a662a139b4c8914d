// `clusterctl move` between two real management clusters of the stack (two API servers, each with CAPI's
// controllers and a provider of its own, one Temporal and one Docker engine): the moved DockerCluster keeps its
// load balancer — the same container, address and host port — and nothing is created or removed in Docker.
//
// clusterctl moves a Cluster only once its control plane is initialized. No control-plane provider can run
// here (it would need machines), so the test installs a minimal control-plane kind and writes its
// `status.initialization.controlPlaneInitialized` itself: it plays the control-plane provider, never CAPI.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { ownerNamespaceLabel } from '../../src/activities/load-balancer.js';
import { clusterResource } from '../../src/api/capi.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { mergePatch } from '../../src/clients.js';
import type { ReconcileState } from '../../src/workflows/definitions.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { record, seconds } from '../support/reliability.js';
import {
  createNamespace,
  docker,
  eventually,
  kubeConfig,
  repoRoot,
  stackEnv,
  uniqueName,
} from '../support/stack.js';
import { installTestKind, testControlPlane } from '../support/test-kinds.js';

const controlPlane = testControlPlane;

/** Container create and destroy events of one namespace's load balancers between two moments (ms). */
async function loadBalancerLifecycleEvents(engine: Docker, namespace: string, since: number, until: number) {
  const stream = (await engine.getEvents({
    since: Math.floor(since / 1000),
    until: Math.ceil(until / 1000),
    filters: {
      type: ['container'],
      event: ['create', 'destroy'],
      label: [`${ownerNamespaceLabel}=${namespace}`],
    },
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  // Docker filters by whole seconds; the events of the second before `since` are dropped here.
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { Action: string; id: string; timeNano: number })
    .filter((event) => event.timeNano >= since * 1e6)
    .map((event) => `${event.Action} ${event.id}`);
}

describe('clusterctl move to a second management cluster', () => {
  const engine = docker();
  const targetDir = join(stackEnv('CAPDT_STACK_DIR'), uniqueName('move-target'));
  const sourceKubeconfig = stackEnv('KUBECONFIG');
  const targetKubeconfig = join(targetDir, 'kubeconfig');
  let namespace: string;
  let source: RunningProvider;
  let target: RunningProvider;

  const targetStack = (command: string) => {
    const run = spawnSync('bash', [`${repoRoot}/scripts/stack.sh`, command], {
      encoding: 'utf8',
      env: { ...process.env, CAPDT_STACK_DIR: targetDir },
    });
    assert.equal(run.status, 0, `stack.sh ${command} for the target: ${run.stderr}`);
  };

  before(async () => {
    targetStack('up-management');
    for (const kubeconfig of [sourceKubeconfig, targetKubeconfig]) installTestKind(controlPlane, kubeconfig);
    namespace = await createNamespace(kubeConfig(sourceKubeconfig));
    source = await startProvider({ namespace });
    target = await startProvider({
      namespace,
      stackDir: targetDir,
      sharedNetwork: { name: source.network, subnet: source.subnet },
    });
  });

  after(async () => {
    await target?.stop();
    await source?.stop();
    targetStack('clean');
  });

  it('moves a provisioned Cluster: the same load balancer serves it, Ready in the target', async () => {
    const name = uniqueName('moved');
    const sourceObjects = new TestObjects(namespace, kubeConfig(sourceKubeconfig));
    const targetObjects = new TestObjects(namespace, kubeConfig(targetKubeconfig));
    const api = kubeConfig(sourceKubeconfig).makeApiClient(k8s.CustomObjectsApi);

    await api.createNamespacedCustomObject({
      ...controlPlane,
      namespace,
      body: {
        apiVersion: `${controlPlane.group}/${controlPlane.version}`,
        kind: controlPlane.kind,
        metadata: { name },
      },
    });
    await sourceObjects.createCluster(name, {
      controlPlaneRef: { apiGroup: controlPlane.group, kind: controlPlane.kind, name },
    });
    const moved = await sourceObjects.createDockerCluster(name);
    await sourceObjects.untilReady(name);
    await api.patchNamespacedCustomObjectStatus(
      {
        ...controlPlane,
        namespace,
        name,
        body: { status: { initialization: { controlPlaneInitialized: true } } },
      },
      mergePatch,
    );
    const before = await eventually(
      'the source Cluster to be provisioned with an initialized control plane',
      async () => {
        const cluster = await sourceObjects.readCluster(name);
        const initialized = cluster?.status?.conditions?.find((c) => c.type === 'ControlPlaneInitialized');
        return cluster?.status?.initialization?.infrastructureProvisioned && initialized?.status === 'True'
          ? cluster
          : undefined;
      },
      60_000,
    );
    const [container] = await sourceObjects.containersOf(moved.metadata.uid as string);
    assert.ok(container);
    const place = async (id: string) => {
      const details = await engine.getContainer(id).inspect();
      return {
        id: details.Id,
        ip: details.NetworkSettings.Networks[source.network]?.IPAddress,
        hostPort: details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort,
        running: details.State.Running,
      };
    };
    const placeBefore = await place(container.Id);

    const movedAt = Date.now();
    await promisify(execFile)(
      'clusterctl',
      [
        'move',
        '--kubeconfig',
        sourceKubeconfig,
        '--to-kubeconfig',
        targetKubeconfig,
        '--namespace',
        namespace,
      ],
      { cwd: repoRoot },
    );

    const targetReady = await targetObjects.untilReady(name, 60_000);
    const targetCluster = await eventually(
      'the target Cluster to be provisioned',
      async () => {
        const cluster = await targetObjects.readCluster(name);
        return cluster?.status?.initialization?.infrastructureProvisioned && !cluster.spec?.paused
          ? cluster
          : undefined;
      },
      60_000,
    );
    const movedAfter = seconds(movedAt);

    assert.notEqual(targetReady.metadata.uid, moved.metadata.uid, 'the target object is a new one');
    assert.deepEqual(targetReady.spec?.controlPlaneEndpoint, before.spec?.controlPlaneEndpoint);
    assert.deepEqual(targetCluster.spec?.controlPlaneEndpoint, before.spec?.controlPlaneEndpoint);
    assert.deepEqual(await place(container.Id), placeBefore, 'the same container, address and host port');
    const targetState = await target.client.workflow
      .getHandle(workflowIdOf(refOf(targetReady)))
      .query<ReconcileState>('state');
    assert.equal(targetState.containerId, container.Id, "the target's workflow adopted the container");
    assert.deepEqual(
      await loadBalancerLifecycleEvents(engine, namespace, movedAt, Date.now()),
      [],
      'no container was created or removed in Docker',
    );

    assert.equal(await sourceObjects.read(name), undefined, 'the source has no DockerCluster');
    assert.equal(await sourceObjects.readCluster(name), undefined, 'nor the Cluster');
    const sourceWorkflow = source.client.workflow.getHandle(workflowIdOf(refOf(moved)));
    const sourceResult = await sourceWorkflow.result();
    assert.equal(sourceResult.phase, 'Deleted');
    const history = JSON.stringify((await sourceWorkflow.fetchHistory()).events);
    assert.doesNotMatch(history, /deleteLoadBalancer/, 'the source workflow never touched the container');

    // Deleting it in the target removes the adopted container like its own.
    await kubeConfig(targetKubeconfig)
      .makeApiClient(k8s.CustomObjectsApi)
      .deleteNamespacedCustomObject({ ...clusterResource, namespace, name });
    await targetObjects.untilGone(name, 60_000);
    assert.equal((await engine.listContainers({ all: true, filters: { id: [container.Id] } })).length, 0);
    record({
      group: 'With CAPI and clusterctl',
      scenario: 'clusterctl move to a second management cluster',
      action:
        'a provisioned Cluster (with an initialized control plane) moved by clusterctl move --to-kubeconfig; then deleted in the target',
      result:
        'the same load-balancer container (id, address, host port) serves the moved DockerCluster, Ready in the target with its Cluster provisioned on the unchanged endpoint; no container created or removed; the source workflow ended without touching it; deleted in the target, the adopted container was removed',
      measured: `move → Ready and provisioned in the target ${movedAfter}`,
    });
  });
});
