// The fleet's bookkeeping on the real API server: workers' Leases tell which engines are live, a DockerCluster is
// placed on the live engine with the fewest load balancers and labelled so, an engine without a worker is named,
// and the watcher's monitor tells the DockerClusters of an engine that lost or regained its workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { dockerClusterManifest } from '../../scripts/local-stack.js';
import { createEngineActivities } from '../../src/activities/engines.js';
import { type DockerCluster, dockerClusterResource } from '../../src/api/dockercluster.js';
import { engineLabel, type Fleet } from '../../src/api/engines.js';
import { refOf } from '../../src/api/refs.js';
import { holdWorkerLease } from '../../src/engine-lease.js';
import { monitorEngines } from '../../src/watcher/engine-monitor.js';
import { createNamespace, eventually, kubeConfig, uniqueName } from '../support/stack.js';

describe('a fleet of engines, as the API server records it', () => {
  const config = kubeConfig();
  const objects = config.makeApiClient(k8s.CustomObjectsApi);
  const logger = pino({ level: 'silent' });
  let namespace: string;
  let fleet: Fleet;
  let activities: ReturnType<typeof createEngineActivities>;
  const releases: (() => Promise<void>)[] = [];

  before(async () => {
    namespace = await createNamespace(config);
    fleet = { leaseNamespace: namespace, taskQueue: uniqueName('fleet') };
    activities = createEngineActivities(config, { namespace }, fleet);
  });

  after(async () => {
    for (const release of releases) await release();
    await config.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
  });

  const serve = async (engine: string, identity = uniqueName('worker')) => {
    const release = await holdWorkerLease({ kubeConfig: config, fleet, engine, identity, logger });
    releases.push(release);
    return release;
  };

  async function dockerCluster(name: string, labels: Record<string, string> = {}): Promise<DockerCluster> {
    const manifest = dockerClusterManifest(name);
    return (await objects.createNamespacedCustomObject({
      ...dockerClusterResource,
      namespace,
      body: { ...manifest, metadata: { ...manifest.metadata, labels } },
    })) as DockerCluster;
  }

  const labelOf = async (name: string) =>
    (
      (await objects.getNamespacedCustomObject({
        ...dockerClusterResource,
        namespace,
        name,
      })) as DockerCluster
    ).metadata.labels?.[engineLabel];

  it('places a DockerCluster on the live engine with the fewest load balancers, once, in its label', async () => {
    await serve('engine-a');
    await serve('engine-b');
    for (const name of ['on-a-1', 'on-a-2']) await dockerCluster(name, { [engineLabel]: 'engine-a' });
    await dockerCluster('on-b', { [engineLabel]: 'engine-b' });
    // An engine whose worker belongs to another installation (task queue) does not count.
    const other = { ...fleet, taskQueue: uniqueName('other') };
    releases.push(
      await holdWorkerLease({ kubeConfig: config, fleet: other, engine: 'engine-c', identity: 'x', logger }),
    );

    const newcomer = refOf(await dockerCluster('newcomer'));
    assert.equal(await activities.placeOnEngine(newcomer), 'engine-b');
    assert.equal(await labelOf('newcomer'), 'engine-b');
    assert.equal(
      await activities.placeOnEngine(newcomer),
      'engine-b',
      'placed once: a retry reads the label',
    );
  });

  it('names an engine without a live worker, and says how to fix it', async () => {
    await activities.requireEngineServed({ engine: 'engine-a' });
    await assert.rejects(activities.requireEngineServed({ engine: 'engine-z' }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'EngineUnavailable');
      assert.match(error.message, /no worker serves Docker engine engine-z: .*CAPDT_ENGINE=engine-z/);
      return true;
    });
  });

  it("a stopped worker's engine is gone at once; the monitor tells that engine's DockerClusters, and again when it is back", async () => {
    const release = await serve('engine-d');
    const placed = await dockerCluster('on-d', { [engineLabel]: 'engine-d' });
    const told: string[] = [];
    const stop = monitorEngines({
      kubeConfig: config,
      fleet,
      logger,
      dockerClusters: () => [placed],
      changed: (object) => told.push(object.metadata.name as string),
      everyMs: 200,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(told, [], 'nothing changed yet');
      await release();
      await assert.rejects(activities.requireEngineServed({ engine: 'engine-d' }), /engine-d/);
      await eventually('the monitor to tell on-d', async () => (told.length === 1 ? true : undefined));
      await serve('engine-d');
      await activities.requireEngineServed({ engine: 'engine-d' });
      await eventually('the monitor to tell on-d again', async () => (told.length === 2 ? true : undefined));
    } finally {
      stop();
    }
  });
});
