// The stack's API server is a real kube-apiserver: CRDs, resourceVersions, finalizers and RBAC behave.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { clusterManifest } from '../../scripts/local-stack.js';
import { mergePatch } from '../../src/clients.js';
import { createNamespace, eventually, kubeConfig, kubeConfigFor, uniqueName } from '../support/stack.js';

const cluster = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' };

describe('kube-apiserver', () => {
  const admin = kubeConfig();
  const objects = admin.makeApiClient(k8s.CustomObjectsApi);
  let namespace: string;

  before(async () => {
    namespace = await createNamespace(admin);
  });

  it('serves the CAPI Cluster CRD: create, update with a new resourceVersion, finalizer holds deletion', async () => {
    const name = uniqueName('smoke');
    const created = await objects.createNamespacedCustomObject({
      ...cluster,
      namespace,
      // Names a DockerCluster (none exists): CAPI's webhook wants an infrastructure, control plane or topology.
      body: {
        ...clusterManifest(name, { paused: true }),
        metadata: { name, finalizers: ['test.capd-temporal.dev/hold'] },
      },
    });
    const read = await objects.getNamespacedCustomObject({ ...cluster, namespace, name });
    assert.equal(read.metadata.uid, created.metadata.uid);
    assert.equal(read.spec.paused, true);

    const patched = await objects.patchNamespacedCustomObject(
      { ...cluster, namespace, name, body: { metadata: { labels: { smoke: 'yes' } } } },
      mergePatch,
    );
    assert.notEqual(patched.metadata.resourceVersion, created.metadata.resourceVersion);

    await objects.deleteNamespacedCustomObject({ ...cluster, namespace, name });
    const held = await objects.getNamespacedCustomObject({ ...cluster, namespace, name });
    assert.ok(held.metadata.deletionTimestamp, 'a finalizer keeps the object, marked for deletion');

    await objects.patchNamespacedCustomObject(
      { ...cluster, namespace, name, body: { metadata: { finalizers: null } } },
      mergePatch,
    );
    await eventually('the Cluster to be gone', async () => {
      try {
        await objects.getNamespacedCustomObject({ ...cluster, namespace, name });
        return undefined;
      } catch (error) {
        return (error as k8s.ApiException<unknown>).code === 404 ? true : undefined;
      }
    });
  });

  it('rejects a spec that violates the CRD schema', async () => {
    const name = uniqueName('invalid');
    await assert.rejects(
      objects.createNamespacedCustomObject({
        ...cluster,
        namespace,
        // Well-typed, so that CAPI's webhook lets it through to the schema, which has the port at most 65535.
        body: clusterManifest(name, { clusterNetwork: { apiServerPort: 70000 } }),
      }),
      (error: k8s.ApiException<unknown>) => error.code === 422 && /apiServerPort/.test(String(error.body)),
    );
  });

  it('enforces RBAC: an authenticated user without a binding is forbidden', async () => {
    const stranger = kubeConfigFor('stranger').makeApiClient(k8s.CustomObjectsApi);
    await assert.rejects(
      stranger.listNamespacedCustomObject({ ...cluster, namespace }),
      (error: k8s.ApiException<unknown>) => error.code === 403,
    );
  });
});
