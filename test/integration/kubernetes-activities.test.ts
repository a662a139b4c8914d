// The Kubernetes activities against the stack's real kube-apiserver: what they read, what they write, and that
// running a write twice (as a retried activity does) leaves the same result as running it once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { clusterManifest } from '../../scripts/local-stack.js';
import { createKubernetesActivities, type KubernetesActivities } from '../../src/activities/kubernetes.js';
import {
  type DockerCluster,
  type DockerClusterStatus,
  dockerClusterResource,
  endpointFromLoadBalancerAnnotation,
} from '../../src/api/dockercluster.js';
import type { DockerClusterRef } from '../../src/api/refs.js';
import { mergePatch } from '../../src/clients.js';
import { createNamespace, eventually, kubeConfig, uniqueName, uniqueSubnet } from '../support/stack.js';

const dockerClusters = {
  group: 'infrastructure.cluster.x-k8s.io',
  version: 'v1alpha1',
  plural: 'dockerclusters',
};
const clusters = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' };
const ourFinalizer = 'dockercluster.infrastructure.cluster.x-k8s.io';
const otherFinalizer = 'other.example.com/cleanup';

type Metadata = Omit<k8s.V1ObjectMeta, 'name' | 'namespace'>;

function isCode(code: number) {
  return (error: unknown) => {
    assert.ok(error instanceof k8s.ApiException, `expected an API error, got ${String(error)}`);
    assert.equal(error.code, code, `expected HTTP ${code}, got ${error.code}: ${String(error.body)}`);
    return true;
  };
}

function isFailure(type: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, true);
    return true;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kubernetes activities on the real API server', () => {
  const config = kubeConfig();
  const objects = config.makeApiClient(k8s.CustomObjectsApi);
  const core = config.makeApiClient(k8s.CoreV1Api);
  let namespace: string;
  // Scoped to the test's namespace, as a provider is to its watch namespace: the endpoint check then ignores the
  // DockerClusters other runs left on the stack, whose endpoints a fresh test address may equal.
  let activities: KubernetesActivities;

  before(async () => {
    namespace = await createNamespace(config);
    activities = createKubernetesActivities(config, { namespace });
  });

  after(async () => {
    // No controller-manager runs on the stack: strip finalizers so the objects really go, then drop the namespace.
    const list = (await objects.listNamespacedCustomObject({ ...dockerClusters, namespace })) as {
      items: DockerCluster[];
    };
    for (const item of list.items) {
      const name = item.metadata.name as string;
      await objects
        .patchNamespacedCustomObject(
          { ...dockerClusters, namespace, name, body: { metadata: { finalizers: null } } },
          mergePatch,
        )
        .catch(() => undefined);
      await objects
        .deleteNamespacedCustomObject({ ...dockerClusters, namespace, name })
        .catch(() => undefined);
    }
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  async function createDockerCluster(
    metadata: Metadata = {},
    spec: object = {},
    name = uniqueName('dc'),
  ): Promise<DockerClusterRef> {
    const created = (await objects.createNamespacedCustomObject({
      ...dockerClusters,
      namespace,
      body: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1alpha1',
        kind: 'DockerCluster',
        metadata: { ...metadata, name },
        spec,
      },
    })) as DockerCluster;
    return { namespace, name, uid: created.metadata.uid as string };
  }

  async function readDockerCluster(ref: DockerClusterRef): Promise<DockerCluster> {
    return (await objects.getNamespacedCustomObject({
      ...dockerClusters,
      namespace,
      name: ref.name,
    })) as DockerCluster;
  }

  async function createCluster(spec: object, metadata: Metadata = {}): Promise<string> {
    const name = uniqueName('cluster');
    await objects.createNamespacedCustomObject({
      ...clusters,
      namespace,
      // Names a DockerCluster of its name (none exists): CAPI's webhook wants an infrastructure.
      body: { ...clusterManifest(name, spec), metadata: { ...metadata, name } },
    });
    return name;
  }

  async function isGone(ref: DockerClusterRef): Promise<true | undefined> {
    try {
      await readDockerCluster(ref);
      return undefined;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return true;
      throw error;
    }
  }

  describe('getDockerCluster', () => {
    it('returns the view of a fresh DockerCluster', async () => {
      const ref = await createDockerCluster({}, { controlPlaneEndpoint: { host: 'lb.example', port: 7443 } });
      const view = await activities.getDockerCluster(ref);
      assert.deepEqual(view, {
        generation: 1,
        deleting: false,
        hasFinalizer: false,
        pausedAnnotation: false,
        endpointFromLoadBalancer: false,
        spec: { controlPlaneEndpoint: { host: 'lb.example', port: 7443 } },
      });
    });

    // Owners that exist: the garbage collector deletes an object whose owner does not.
    it('reports the finalizer, the paused and managed-by annotations and the owning Cluster', async () => {
      const clusterName = await createCluster({ paused: false });
      const { metadata } = (await objects.getNamespacedCustomObject({
        ...clusters,
        namespace,
        name: clusterName,
      })) as DockerCluster;
      const ref = await createDockerCluster({
        finalizers: [ourFinalizer],
        annotations: { 'cluster.x-k8s.io/paused': '', 'cluster.x-k8s.io/managed-by': 'someone-else' },
        ownerReferences: [
          {
            apiVersion: 'cluster.x-k8s.io/v1beta2',
            kind: 'Cluster',
            name: clusterName,
            uid: metadata.uid as string,
          },
        ],
      });
      const view = await activities.getDockerCluster(ref);
      assert.ok(view);
      assert.equal(view.generation, 1);
      assert.equal(view.deleting, false);
      assert.equal(view.hasFinalizer, true);
      assert.equal(view.pausedAnnotation, true, 'an empty paused annotation still pauses');
      assert.equal(view.managedBy, 'someone-else');
      assert.equal(view.ownerClusterName, clusterName);
      assert.deepEqual(view.spec, {});
    });

    it('ignores owner references that are not CAPI Clusters', async () => {
      const configMap = await config.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: uniqueName('not-a-cluster') } },
      });
      const ref = await createDockerCluster({
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: configMap.metadata?.name as string,
            uid: configMap.metadata?.uid as string,
          },
        ],
      });
      const view = await activities.getDockerCluster(ref);
      assert.ok(view);
      assert.equal(view.ownerClusterName, undefined);
    });

    it('returns null for a DockerCluster that does not exist', async () => {
      const view = await activities.getDockerCluster({
        namespace,
        name: uniqueName('missing'),
        uid: randomUUID(),
      });
      assert.equal(view, null);
    });

    it('returns null for an older incarnation once the object is re-created under the same name', async () => {
      const old = await createDockerCluster();
      await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name: old.name });
      await eventually('the first DockerCluster to be gone', () => isGone(old));
      const recreated = await createDockerCluster({}, {}, old.name);
      assert.notEqual(recreated.uid, old.uid);

      assert.equal(await activities.getDockerCluster(old), null);
      assert.equal((await activities.getDockerCluster(recreated))?.generation, 1);
      // Writes aimed at the old incarnation never touch the new object.
      await assert.rejects(activities.addFinalizer(old), isFailure('NotFound'));
      await assert.rejects(
        activities.setControlPlaneEndpoint(old, { host: 'old.example', port: 6443 }),
        isFailure('NotFound'),
      );
      await activities.updateStatus(old, { provisioned: true });
      await activities.removeFinalizer(old);
      const current = await readDockerCluster(recreated);
      assert.equal(current.metadata.finalizers, undefined);
      assert.equal(current.spec?.controlPlaneEndpoint, undefined);
      assert.equal(current.status, undefined);
    });
  });

  describe('getOwnerCluster', () => {
    it('returns null when the Cluster does not exist', async () => {
      assert.equal(await activities.getOwnerCluster({ namespace, name: uniqueName('missing') }), null);
    });

    it('reports an unpaused IPv4 Cluster', async () => {
      const name = await createCluster({
        clusterNetwork: {
          pods: { cidrBlocks: ['192.168.0.0/16'] },
          services: { cidrBlocks: ['10.128.0.0/12'] },
        },
      });
      assert.deepEqual(await activities.getOwnerCluster({ namespace, name }), { name, ipFamily: 'IPv4' });
    });

    it('defaults to IPv4 when the Cluster has no clusterNetwork', async () => {
      // A v1beta2 Cluster needs at least one spec field.
      const name = await createCluster({ paused: false });
      assert.deepEqual(await activities.getOwnerCluster({ namespace, name }), { name, ipFamily: 'IPv4' });
    });

    it('reports IPv6 when the pod and service CIDR blocks are IPv6', async () => {
      const name = await createCluster({
        clusterNetwork: {
          pods: { cidrBlocks: ['fd00:100::/48'] },
          services: { cidrBlocks: ['fd00:200::/108'] },
        },
      });
      const view = await activities.getOwnerCluster({ namespace, name });
      assert.equal(view?.ipFamily, 'IPv6');
    });

    it('recognises a dual-stack Cluster', async () => {
      const name = await createCluster({
        clusterNetwork: { pods: { cidrBlocks: ['192.168.0.0/16', 'fd00:100::/48'] } },
      });
      assert.equal((await activities.getOwnerCluster({ namespace, name }))?.ipFamily, 'DualStack');
    });

    it('says why a Cluster with spec.paused is paused', async () => {
      const name = await createCluster({ paused: true });
      const view = await activities.getOwnerCluster({ namespace, name });
      assert.ok(view?.pausedBy);
      assert.match(view.pausedBy, /spec\.paused/);
      assert.ok(view.pausedBy.includes(name));
    });

    it('says why a Cluster with the paused annotation is paused', async () => {
      const name = await createCluster(
        { paused: false },
        { annotations: { 'cluster.x-k8s.io/paused': 'true' } },
      );
      const view = await activities.getOwnerCluster({ namespace, name });
      assert.ok(view?.pausedBy);
      assert.ok(view.pausedBy.includes('cluster.x-k8s.io/paused'));
    });
  });

  describe('finalizer', () => {
    it('addFinalizer twice adds ours exactly once and keeps the finalizer of another controller', async () => {
      const ref = await createDockerCluster({ finalizers: [otherFinalizer] });
      await activities.addFinalizer(ref);
      const once = await readDockerCluster(ref);
      await activities.addFinalizer(ref);
      const twice = await readDockerCluster(ref);

      assert.deepEqual(twice.metadata.finalizers, [otherFinalizer, ourFinalizer]);
      assert.equal(
        twice.metadata.resourceVersion,
        once.metadata.resourceVersion,
        'the second call writes nothing',
      );
      assert.equal((await activities.getDockerCluster(ref))?.hasFinalizer, true);
    });

    it('removeFinalizer twice removes ours and keeps the finalizer of another controller', async () => {
      const ref = await createDockerCluster({ finalizers: [ourFinalizer, otherFinalizer] });
      await activities.removeFinalizer(ref);
      await activities.removeFinalizer(ref);
      const current = await readDockerCluster(ref);
      assert.deepEqual(current.metadata.finalizers, [otherFinalizer]);
      assert.equal((await activities.getDockerCluster(ref))?.hasFinalizer, false);
    });

    it('holds a deleted DockerCluster, marked as deleting, until removeFinalizer releases it', async () => {
      const ref = await createDockerCluster();
      await activities.addFinalizer(ref);
      await activities.addFinalizer(ref);
      await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name: ref.name });

      const held = await readDockerCluster(ref);
      assert.ok(held.metadata.deletionTimestamp, 'the finalizer keeps the object, with a deletionTimestamp');
      const view = await activities.getDockerCluster(ref);
      assert.equal(view?.deleting, true);
      assert.equal(view?.hasFinalizer, true);

      await activities.removeFinalizer(ref);
      await eventually('the DockerCluster to be gone', () => isGone(ref));
      await activities.removeFinalizer(ref); // a retry after the object is gone is a no-op
      assert.equal(await activities.getDockerCluster(ref), null);
    });

    it('removeFinalizer on a deleted DockerCluster held by another controller keeps it until that one lets go', async () => {
      const ref = await createDockerCluster({ finalizers: [otherFinalizer, ourFinalizer] });
      await objects.deleteNamespacedCustomObject({ ...dockerClusters, namespace, name: ref.name });
      await activities.removeFinalizer(ref);
      await activities.removeFinalizer(ref);
      const held = await readDockerCluster(ref);
      assert.ok(held.metadata.deletionTimestamp);
      assert.deepEqual(held.metadata.finalizers, [otherFinalizer]);
    });
  });

  describe('setControlPlaneEndpoint', () => {
    /** A load balancer's address no DockerCluster left by an earlier run has as its endpoint. */
    const freshAddress = (host: number) => uniqueSubnet().replace(/0\/24$/, String(host));

    it('fills host and port when empty, and bumps generation only once across two calls', async () => {
      const ref = await createDockerCluster();
      const host = freshAddress(5);
      await activities.setControlPlaneEndpoint(ref, { host, port: 6443 });
      const once = await readDockerCluster(ref);
      await activities.setControlPlaneEndpoint(ref, { host, port: 6443 });
      const twice = await readDockerCluster(ref);

      assert.deepEqual(twice.spec?.controlPlaneEndpoint, { host, port: 6443 });
      assert.equal(once.metadata.generation, 2);
      assert.equal(twice.metadata.generation, 2);
      assert.equal(twice.metadata.resourceVersion, once.metadata.resourceVersion);
    });

    it('marks a host it filled in; the API server refuses to move a set endpoint', async () => {
      const ref = await createDockerCluster();
      const host = freshAddress(5);
      await activities.setControlPlaneEndpoint(ref, { host, port: 6443 });
      const filled = await readDockerCluster(ref);
      assert.equal(filled.metadata.annotations?.[endpointFromLoadBalancerAnnotation], 'true');
      assert.equal((await activities.getDockerCluster(ref))?.endpointFromLoadBalancer, true);

      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.8', port: 6443 });
      assert.deepEqual((await readDockerCluster(ref)).spec?.controlPlaneEndpoint, { host, port: 6443 });
      await assert.rejects(
        objects.patchNamespacedCustomObject(
          {
            ...dockerClusterResource,
            namespace: ref.namespace,
            name: ref.name,
            body: { spec: { controlPlaneEndpoint: { host: '172.18.0.8', port: 6443 } } },
          },
          mergePatch,
        ),
        (error) =>
          error instanceof k8s.ApiException &&
          error.code === 422 &&
          /controlPlaneEndpoint cannot be changed once its host is set/.test(String(error.body)),
      );
    });

    it("refuses another DockerCluster's endpoint, naming that DockerCluster, and writes nothing", async () => {
      const holder = await createDockerCluster();
      const host = freshAddress(7);
      await activities.setControlPlaneEndpoint(holder, { host, port: 6443 });
      const ref = await createDockerCluster();
      const before = await readDockerCluster(ref);

      await assert.rejects(
        activities.setControlPlaneEndpoint(ref, { host, port: 6443 }),
        (error) =>
          isFailure('EndpointTaken')(error) &&
          new RegExp(`${host.replaceAll('.', '\\.')}.*DockerCluster ${namespace}/${holder.name}`).test(
            (error as Error).message,
          ),
      );
      assert.equal((await readDockerCluster(ref)).metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it("does not count the endpoints of DockerClusters outside the provider's watch namespace", async () => {
      const elsewhere = await createDockerCluster();
      const host = freshAddress(9);
      await activities.setControlPlaneEndpoint(elsewhere, { host, port: 6443 });
      const watched = await createNamespace(config);
      const scoped = createKubernetesActivities(config, { namespace: watched });
      const ref = await createDockerCluster();

      await scoped.setControlPlaneEndpoint(ref, { host, port: 6443 });
      assert.equal((await readDockerCluster(ref)).spec?.controlPlaneEndpoint?.host, host);
      await core.deleteNamespace({ name: watched });
    });

    it('writes nothing for a host the user set: the API server gave it the default port', async () => {
      const ref = await createDockerCluster({}, { controlPlaneEndpoint: { host: 'api.example.com' } });
      const before = await readDockerCluster(ref);
      assert.deepEqual(before.spec?.controlPlaneEndpoint, { host: 'api.example.com', port: 6443 });
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.5', port: 6443 });
      const current = await readDockerCluster(ref);
      assert.deepEqual(current.spec?.controlPlaneEndpoint, { host: 'api.example.com', port: 6443 });
      assert.equal(current.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('writes nothing when the user set both host and port', async () => {
      const ref = await createDockerCluster(
        {},
        { controlPlaneEndpoint: { host: 'api.example.com', port: 443 } },
      );
      const before = await readDockerCluster(ref);
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.5', port: 6443 });
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.5', port: 6443 });
      const current = await readDockerCluster(ref);
      assert.deepEqual(current.spec?.controlPlaneEndpoint, { host: 'api.example.com', port: 443 });
      assert.equal(current.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('keeps loadbalancerImage and the rest of spec', async () => {
      const ref = await createDockerCluster({}, { loadbalancerImage: 'registry.example/haproxy:1' });
      await activities.setControlPlaneEndpoint(ref, { host: freshAddress(5), port: 6443 });
      const current = await readDockerCluster(ref);
      assert.equal(current.spec?.loadbalancerImage, 'registry.example/haproxy:1');
    });

    it('fails without retrying when the API server rejects the endpoint', async () => {
      const ref = await createDockerCluster();
      await assert.rejects(
        activities.setControlPlaneEndpoint(ref, { host: freshAddress(5), port: 70000 }),
        isFailure('Invalid'),
      );
      assert.equal((await readDockerCluster(ref)).spec?.controlPlaneEndpoint, undefined);
    });
  });

  describe('updateStatus', () => {
    const serving = {
      status: 'True',
      reason: 'Available',
      message: 'Load balancer abc serves 172.18.0.9:6443',
    } as const;
    const summaries = (status: DockerClusterStatus | undefined) =>
      status?.conditions?.map((condition) => `${condition.type}=${condition.status}/${condition.reason}`);

    it('writes a provisioned pass as ready, initialization, conditions and observedGeneration, through the status subresource', async () => {
      const ref = await createDockerCluster();
      const before = await readDockerCluster(ref);
      const pass = { generation: 1, pausedBy: null, loadBalancer: serving, provisioned: true } as const;
      await activities.updateStatus(ref, pass);
      const once = await readDockerCluster(ref);
      await activities.updateStatus(ref, pass);
      const twice = await readDockerCluster(ref);

      const status = twice.status;
      assert.ok(status);
      assert.equal(status.ready, true);
      assert.deepEqual(status.initialization, { provisioned: true });
      assert.equal(status.observedGeneration, 1);
      assert.equal(status.failureReason, undefined);
      assert.deepEqual(
        status.conditions?.map(({ lastTransitionTime: _, ...rest }) => rest),
        [
          { type: 'LoadBalancerAvailable', ...serving, observedGeneration: 1 },
          { type: 'Paused', status: 'False', reason: 'NotPaused', message: '', observedGeneration: 1 },
          { type: 'Ready', status: 'True', reason: 'Ready', message: '', observedGeneration: 1 },
        ],
      );
      for (const condition of status.conditions ?? []) {
        assert.ok(!Number.isNaN(Date.parse(condition.lastTransitionTime)), condition.lastTransitionTime);
      }
      assert.equal(
        twice.metadata.generation,
        before.metadata.generation,
        'a status write does not bump generation',
      );
      assert.notEqual(once.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(
        twice.metadata.resourceVersion,
        once.metadata.resourceVersion,
        'an unchanged status is not written',
      );
    });

    it('writes nothing to spec or metadata through the status subresource', async () => {
      const ref = await createDockerCluster(
        { labels: { team: 'a' } },
        { controlPlaneEndpoint: { host: 'h' } },
      );
      await activities.updateStatus(ref, { provisioned: true });
      const current = await readDockerCluster(ref);
      assert.deepEqual(current.spec, { controlPlaneEndpoint: { host: 'h', port: 6443 } });
      assert.deepEqual(current.metadata.labels, { team: 'a' });
      assert.equal(current.status?.ready, true);
    });

    it('summarises Ready from LoadBalancerAvailable, noting a pause without making a serving load balancer unready', async () => {
      const ref = await createDockerCluster();
      await activities.updateStatus(ref, { pausedBy: 'Cluster a has spec.paused' });
      const pausedFirst = (await readDockerCluster(ref)).status;
      assert.deepEqual(summaries(pausedFirst), [
        'Paused=True/Paused',
        'Ready=Unknown/LoadBalancerNotReconciled',
      ]);
      assert.equal(
        pausedFirst?.conditions?.at(-1)?.message,
        'the load balancer has not been reconciled yet; reconciliation is paused: Cluster a has spec.paused',
      );

      await activities.updateStatus(ref, { pausedBy: null, loadBalancer: serving, provisioned: true });
      await activities.updateStatus(ref, { pausedBy: 'paused by an operator' });
      const pausedReady = (await readDockerCluster(ref)).status;
      assert.deepEqual(summaries(pausedReady), [
        'Paused=True/Paused',
        'Ready=True/Ready',
        'LoadBalancerAvailable=True/Available',
      ]);
      assert.equal(
        pausedReady?.conditions?.find((condition) => condition.type === 'Ready')?.message,
        'reconciliation is paused: paused by an operator',
      );

      const failed = {
        status: 'False',
        reason: 'NotAvailable',
        message: 'the image cannot be pulled',
      } as const;
      await activities.updateStatus(ref, { loadBalancer: failed });
      const ready = (await readDockerCluster(ref)).status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(`${ready?.status}/${ready?.reason}`, 'False/NotAvailable');
      assert.equal(
        ready?.message,
        'the image cannot be pulled; reconciliation is paused: paused by an operator',
      );
      assert.equal(
        (await readDockerCluster(ref)).status?.initialization?.provisioned,
        true,
        'provisioned stays',
      );
    });

    it('moves lastTransitionTime of a condition whose status changes and keeps it for one that does not', async () => {
      const ref = await createDockerCluster();
      await activities.updateStatus(ref, { pausedBy: null, loadBalancer: serving });
      const first = (await readDockerCluster(ref)).status?.conditions ?? [];
      await sleep(20);
      const gone = { status: 'False', reason: 'NotAvailable', message: 'gone' } as const;
      await activities.updateStatus(ref, { pausedBy: null, loadBalancer: gone });
      await activities.updateStatus(ref, { pausedBy: null, loadBalancer: gone });
      const second = (await readDockerCluster(ref)).status?.conditions ?? [];

      const byType = (list: typeof first, type: string) => list.find((condition) => condition.type === type);
      assert.equal(byType(second, 'Ready')?.status, 'False');
      assert.ok(
        Date.parse(byType(second, 'Ready')?.lastTransitionTime ?? '') >
          Date.parse(byType(first, 'Ready')?.lastTransitionTime ?? ''),
      );
      assert.equal(byType(second, 'Paused')?.lastTransitionTime, byType(first, 'Paused')?.lastTransitionTime);
      assert.equal(second.length, 3);
    });

    it('clears the v1beta1 failure fields once provisioned', async () => {
      const ref = await createDockerCluster();
      await objects.patchNamespacedCustomObjectStatus(
        {
          ...dockerClusters,
          namespace,
          name: ref.name,
          body: { status: { failureReason: 'Old', failureMessage: 'from an older provider' } },
        },
        mergePatch,
      );
      await activities.updateStatus(ref, { loadBalancer: serving, provisioned: true });
      const status = (await readDockerCluster(ref)).status;
      assert.equal(status?.failureReason, undefined);
      assert.equal(status?.failureMessage, undefined);
    });

    it('stamps the conditions with the generation the pass reconciled, or the one it finds when the pass read none', async () => {
      const ref = await createDockerCluster();
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.9', port: 6443 });
      await activities.updateStatus(ref, { loadBalancer: serving });
      assert.equal((await readDockerCluster(ref)).status?.conditions?.[0]?.observedGeneration, 2);
      assert.equal((await readDockerCluster(ref)).status?.observedGeneration, undefined);
      await activities.updateStatus(ref, { generation: 1, loadBalancer: { ...serving, message: 'older' } });
      const status = (await readDockerCluster(ref)).status;
      assert.equal(status?.observedGeneration, 1);
      assert.equal(status?.conditions?.[0]?.observedGeneration, 1);
    });
  });

  describe('other writers', () => {
    it('keeps a label another client added before addFinalizer', async () => {
      const ref = await createDockerCluster();
      await objects.patchNamespacedCustomObject(
        {
          ...dockerClusters,
          namespace,
          name: ref.name,
          body: { metadata: { labels: { 'added-by': 'other' } } },
        },
        mergePatch,
      );
      await activities.addFinalizer(ref);
      await activities.addFinalizer(ref);
      const current = await readDockerCluster(ref);
      assert.deepEqual(current.metadata.labels, { 'added-by': 'other' });
      assert.deepEqual(current.metadata.finalizers, [ourFinalizer]);
    });

    it('never removes labels or annotations, whichever activity runs', async () => {
      const labels = { 'cluster.x-k8s.io/cluster-name': 'owner', team: 'a' };
      const annotations = { 'example.com/note': 'keep me', 'cluster.x-k8s.io/managed-by': 'someone' };
      const ref = await createDockerCluster({ labels, annotations });

      await activities.getDockerCluster(ref);
      await activities.addFinalizer(ref);
      await activities.addFinalizer(ref);
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.5', port: 6443 });
      await activities.setControlPlaneEndpoint(ref, { host: '172.18.0.5', port: 6443 });
      await activities.updateStatus(ref, { provisioned: true });
      await activities.updateStatus(ref, { pausedBy: null });
      await activities.recordEvent(ref, { key: 'kept', type: 'Normal', reason: 'Test', message: 'labels' });
      await activities.removeFinalizer(ref);
      await activities.removeFinalizer(ref);

      const current = await readDockerCluster(ref);
      assert.deepEqual(current.metadata.labels, labels);
      // Everything others wrote is still there; the provider adds only its own endpoint marker.
      assert.deepEqual(current.metadata.annotations, {
        ...annotations,
        [endpointFromLoadBalancerAnnotation]: 'true',
      });
      assert.deepEqual(current.spec?.controlPlaneEndpoint, { host: '172.18.0.5', port: 6443 });
      assert.equal(current.status?.ready, true);
    });
  });

  describe('recordEvent', () => {
    async function eventsOf(ref: DockerClusterRef): Promise<k8s.CoreV1Event[]> {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.uid=${ref.uid}`,
      });
      return list.items;
    }

    it('creates one Event on the DockerCluster, however often it is called with the same key', async () => {
      const ref = await createDockerCluster();
      const event = {
        key: 'loadbalancer-created-1',
        type: 'Normal',
        reason: 'LoadBalancerCreated',
        message: 'created the load balancer container',
      } as const;
      await activities.recordEvent(ref, event);
      await activities.recordEvent(ref, event);

      const events = await eventsOf(ref);
      assert.equal(events.length, 1);
      const [recorded] = events;
      assert.ok(recorded);
      assert.equal(recorded.type, 'Normal');
      assert.equal(recorded.reason, 'LoadBalancerCreated');
      assert.equal(recorded.message, 'created the load balancer container');
      assert.equal(recorded.count, 1);
      assert.deepEqual(
        {
          apiVersion: recorded.involvedObject.apiVersion,
          kind: recorded.involvedObject.kind,
          namespace: recorded.involvedObject.namespace,
          name: recorded.involvedObject.name,
          uid: recorded.involvedObject.uid,
        },
        {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1alpha1',
          kind: 'DockerCluster',
          namespace,
          name: ref.name,
          uid: ref.uid,
        },
      );
      assert.equal(recorded.source?.component, 'capd-temporal');
    });

    it('creates a separate Event for another key, including Warnings', async () => {
      const ref = await createDockerCluster();
      await activities.recordEvent(ref, { key: 'a', type: 'Normal', reason: 'First', message: 'one' });
      await activities.recordEvent(ref, { key: 'b', type: 'Warning', reason: 'Second', message: 'two' });
      await activities.recordEvent(ref, { key: 'b', type: 'Warning', reason: 'Second', message: 'two' });
      const events = await eventsOf(ref);
      assert.deepEqual(events.map((event) => [event.type, event.reason, event.message]).sort(), [
        ['Normal', 'First', 'one'],
        ['Warning', 'Second', 'two'],
      ]);
    });

    it('records an Event on a DockerCluster whose name has the maximum length', async () => {
      const name = `${['a', 'b', 'c'].map((letter) => letter.repeat(63)).join('.')}.${'d'.repeat(61)}`;
      assert.equal(name.length, 253);
      const ref = await createDockerCluster({}, {}, name);
      await activities.recordEvent(ref, {
        key: randomUUID(),
        type: 'Normal',
        reason: 'Long',
        message: 'name',
      });
      assert.deepEqual(
        (await eventsOf(ref)).map((event) => event.reason),
        ['Long'],
      );
    });
  });

  describe('the CRD schema as the API server enforces it', () => {
    async function create(spec: object, fieldValidation?: string) {
      return objects.createNamespacedCustomObject({
        ...dockerClusters,
        namespace,
        ...(fieldValidation && { fieldValidation }),
        body: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1alpha1',
          kind: 'DockerCluster',
          metadata: { name: uniqueName('invalid') },
          spec,
        },
      });
    }

    function rejected(code: number, mentions: string) {
      return (error: unknown) => {
        isCode(code)(error);
        assert.ok(String((error as k8s.ApiException<unknown>).body).includes(mentions), String(error));
        return true;
      };
    }

    it('rejects port 0 with 422', async () => {
      await assert.rejects(
        create({ controlPlaneEndpoint: { host: 'h', port: 0 } }),
        rejected(422, 'spec.controlPlaneEndpoint.port'),
      );
    });

    it('rejects port 70000 with 422', async () => {
      await assert.rejects(
        create({ controlPlaneEndpoint: { host: 'h', port: 70000 } }),
        rejected(422, 'spec.controlPlaneEndpoint.port'),
      );
    });

    it('rejects a host longer than 512 characters with 422', async () => {
      await assert.rejects(
        create({ controlPlaneEndpoint: { host: 'h'.repeat(513), port: 6443 } }),
        rejected(422, 'spec.controlPlaneEndpoint.host'),
      );
      // 512 characters are still fine.
      await create({ controlPlaneEndpoint: { host: 'h'.repeat(512), port: 6443 } });
    });

    it('rejects an unknown spec field with 400 under strict field validation (as kubectl sends)', async () => {
      await assert.rejects(
        create({ controlPlaneEndpoint: { host: 'h', port: 6443 }, loadBalancerImage: 'typo' }, 'Strict'),
        rejected(400, 'spec.loadBalancerImage'),
      );
    });

    it('drops an unknown spec field without strict validation', async () => {
      const created = (await create({
        colour: 'blue',
        controlPlaneEndpoint: { host: 'h' },
      })) as DockerCluster;
      assert.deepEqual(created.spec, { controlPlaneEndpoint: { host: 'h', port: 6443 } });
    });
  });
});
