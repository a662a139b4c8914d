// The fleet's Kubernetes activities: which Docker engines have a live worker (read from the Leases the workers
// renew), and placing a DockerCluster on one of them.
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import {
  engineLabel,
  engineOf,
  type Fleet,
  workerLeaseEngineLabel,
  workerLeaseTaskQueueAnnotation,
} from '../api/engines.js';
import type { DockerClusterRef } from '../api/refs.js';
import { explain } from './api-failures.js';
import { dockerClusterStore, type ManagedScope } from './dockercluster-store.js';

/** The engines that have at least one worker whose Lease is current. */
export async function liveEngines(leases: k8s.CoordinationV1Api, fleet: Fleet): Promise<Set<string>> {
  const list = await leases.listNamespacedLease({
    namespace: fleet.leaseNamespace,
    labelSelector: workerLeaseEngineLabel,
  });
  const now = Date.now();
  const live = new Set<string>();
  for (const { metadata, spec } of list.items) {
    if (metadata?.annotations?.[workerLeaseTaskQueueAnnotation] !== fleet.taskQueue) continue;
    const renewed = spec?.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const engine = metadata?.labels?.[workerLeaseEngineLabel];
    if (engine && renewed + (spec?.leaseDurationSeconds ?? 0) * 1_000 > now) live.add(engine);
  }
  return live;
}

export function createEngineActivities(kubeConfig: k8s.KubeConfig, scope: ManagedScope, fleet: Fleet) {
  const leases = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const store = dockerClusterStore(kubeConfig.makeApiClient(k8s.CustomObjectsApi), scope);

  async function live(action: string): Promise<Set<string>> {
    try {
      return await liveEngines(leases, fleet);
    } catch (error) {
      return explain(`${action}: listing the workers' Leases in namespace ${fleet.leaseNamespace}`, error);
    }
  }

  function unavailable(engine: string | undefined): ApplicationFailure {
    const which = engine ? `Docker engine ${engine}` : 'any Docker engine';
    const setting = engine ? `CAPDT_ENGINE=${engine}` : 'its CAPDT_ENGINE';
    return ApplicationFailure.nonRetryable(
      `no worker serves ${which}: no worker of task queue ${fleet.taskQueue} renews a Lease in namespace ` +
        `${fleet.leaseNamespace}; start one beside the engine with ${setting} (load balancers are left as they are)`,
      'EngineUnavailable',
    );
  }

  return {
    /**
     * The engine of a DockerCluster: the one it is placed on, or, the first time, the live engine with the
     * fewest load balancers, written to its label so that the choice outlives every process.
     */
    async placeOnEngine(ref: DockerClusterRef): Promise<string> {
      const action = `placing DockerCluster ${ref.namespace}/${ref.name} on a Docker engine`;
      const object = await store.readExisting(ref, action);
      const placed = engineOf(object);
      if (placed) return placed;
      const engines = [...(await live(action))].sort();
      if (engines.length === 0) throw unavailable(undefined);
      const loadBalancers = new Map(engines.map((engine) => [engine, 0]));
      for (const other of await store.listManaged(action)) {
        const engine = engineOf(other);
        const count = engine === undefined ? undefined : loadBalancers.get(engine);
        if (count !== undefined) loadBalancers.set(engine as string, count + 1);
      }
      const fewest = Math.min(...loadBalancers.values());
      const tied = engines.filter((engine) => loadBalancers.get(engine) === fewest);
      // Ties are broken by the uid, so DockerClusters placed at the same moment spread over the tied engines.
      const engine = tied[(Number.parseInt(ref.uid.slice(0, 8), 16) || 0) % tied.length] as string;
      await store.patchVersion(object, { metadata: { labels: { [engineLabel]: engine } } }, action);
      return engine;
    },

    /** Fails, naming the engine and the fix, when no worker serves it: its Docker calls would wait for nothing. */
    async requireEngineServed(input: { engine: string }): Promise<void> {
      const served = await live(`checking that a worker serves Docker engine ${input.engine}`);
      if (!served.has(input.engine)) throw unavailable(input.engine);
    },
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;
