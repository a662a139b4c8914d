// Follows which Docker engines have a worker (the workers' Leases) and tells the workflows of an engine's
// DockerClusters when it loses its last worker or gets one back: their status says so within seconds, not at
// the next resync.
import * as k8s from '@kubernetes/client-node';
import { liveEngines } from '../activities/engines.js';
import type { DockerCluster } from '../api/dockercluster.js';
import { engineOf, type Fleet } from '../api/engines.js';
import type { Logger } from '../logger.js';

export interface EngineMonitorOptions {
  kubeConfig: k8s.KubeConfig;
  fleet: Fleet;
  logger: Logger;
  /** The DockerClusters as the watcher last saw them. */
  dockerClusters: () => readonly DockerCluster[];
  changed: (dockerCluster: DockerCluster) => void;
  everyMs?: number;
}

export function monitorEngines(options: EngineMonitorOptions): () => void {
  const { fleet, logger } = options;
  const leases = options.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  let known: Set<string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function check(): Promise<void> {
    const live = await liveEngines(leases, fleet);
    const before = known ?? live;
    known = live;
    const flipped = new Set([...live, ...before].filter((engine) => live.has(engine) !== before.has(engine)));
    if (flipped.size === 0) return;
    logger.info({ live: [...live], changed: [...flipped] }, 'Docker engines with a worker changed');
    // An engine that came up may serve the DockerClusters that waited for any engine at all.
    const cameUp = [...flipped].some((engine) => live.has(engine));
    for (const dockerCluster of options.dockerClusters()) {
      const engine = engineOf(dockerCluster);
      if (engine ? flipped.has(engine) : cameUp) options.changed(dockerCluster);
    }
  }

  function next(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      check()
        .catch((error) => logger.warn({ err: error }, "reading the workers' Leases failed"))
        .finally(next);
    }, options.everyMs ?? 5_000);
  }
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
