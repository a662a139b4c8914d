// The watcher's ConfigMap informer against the real API server: it sees every ConfigMap come, change and go,
// and holds their metadata only, never their data (a namespace full of large ConfigMaps costs it no memory).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { mergePatch } from '../../src/clients.js';
import { configMapMetadataInformer } from '../../src/watcher/watcher.js';
import { createNamespace, eventually, kubeConfig } from '../support/stack.js';

describe('ConfigMaps watched as metadata only', () => {
  const config = kubeConfig();
  const core = config.makeApiClient(k8s.CoreV1Api);
  let namespace: string;
  let informer: ReturnType<typeof configMapMetadataInformer>;
  const updates: k8s.V1ConfigMap[] = [];
  const deleted: string[] = [];
  const largeValue = 'x'.repeat(512 * 1024);

  before(async () => {
    namespace = await createNamespace(config);
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'listed' }, data: { value: largeValue } },
    });
    informer = configMapMetadataInformer(config, namespace);
    informer.on('update', (configMap) => updates.push(configMap));
    informer.on('delete', (configMap) => deleted.push(configMap.metadata?.name ?? ''));
    await informer.start();
  });

  after(async () => {
    await informer.stop();
    await core.deleteNamespace({ name: namespace });
  });

  it('lists ConfigMaps without their data', () => {
    const listed = informer.get('listed', namespace);
    assert.ok(listed, 'the ConfigMap that existed before the start is in the cache');
    assert.equal(listed.data, undefined);
    assert.ok(listed.metadata?.resourceVersion);
  });

  it('sees a ConfigMap created, edited and deleted, still without its data', async () => {
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'watched' }, data: { value: 'first' } },
    });
    const created = await eventually('the new ConfigMap in the cache', async () =>
      informer.get('watched', namespace),
    );
    assert.equal(created.data, undefined);

    await core.patchNamespacedConfigMap(
      { namespace, name: 'watched', body: { data: { value: largeValue } } },
      mergePatch,
    );
    const edited = await eventually('the edit', async () =>
      updates.find((configMap) => configMap.metadata?.name === 'watched'),
    );
    assert.notEqual(edited.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.equal(edited.data, undefined);

    await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
    await eventually('the deletion', async () => deleted.includes('watched') || undefined);
    assert.equal(informer.get('watched', namespace), undefined);
  });
});
