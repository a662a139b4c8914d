// The watcher: lists and watches DockerClusters and CAPI Clusters, and turns each meaningful change into
// a "changed" signal to the DockerCluster's workflow (starting it when needed).
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { type Cluster, clusterResource, watchFilterLabel } from '../api/capi.js';
import { type DockerCluster, dockerClusterResource } from '../api/dockercluster.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import {
  clusterFingerprint,
  dockerClusterFingerprint,
  infrastructureRefOf,
  isFirstProvisioningWrite,
  refOf,
} from './changes.js';
import { Signaller } from './signaller.js';

export interface WatcherOptions {
  kubeConfig: k8s.KubeConfig;
  signaller: Signaller;
  logger: Logger;
  /** Watch one namespace only. */
  namespace?: string;
  /** Watch only objects labelled cluster.x-k8s.io/watch-filter=<value>. */
  watchFilter?: string;
  /** Called each time an informer is restarted after an error. */
  onRestart?: () => void;
  /** Delay before an informer that stopped on an error is restarted; doubles up to 30 s. */
  restartBackoffMs?: number;
}

export interface Watcher {
  /** Resolves once both informers have listed and started watching. */
  started: Promise<void>;
  stop(): Promise<void>;
}

type Resource = { group: string; version: string; plural: string };

function informerFor<T extends k8s.KubernetesObject>(options: WatcherOptions, resource: Resource) {
  const objects = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const base = `/apis/${resource.group}/${resource.version}`;
  const path = options.namespace
    ? `${base}/namespaces/${options.namespace}/${resource.plural}`
    : `${base}/${resource.plural}`;
  const labelSelector = options.watchFilter ? `${watchFilterLabel}=${options.watchFilter}` : undefined;
  const list = () =>
    (options.namespace
      ? objects.listNamespacedCustomObject({ ...resource, namespace: options.namespace, labelSelector })
      : objects.listClusterCustomObject({ ...resource, labelSelector })) as Promise<
      k8s.KubernetesListObject<T>
    >;
  return k8s.makeInformer<T>(options.kubeConfig, path, list, labelSelector);
}

export function startWatcher(options: WatcherOptions): Watcher {
  const { signaller, logger } = options;
  const dockerClusters = informerFor<DockerCluster>(options, dockerClusterResource);
  const clusters = informerFor<Cluster>(options, clusterResource);
  /** The last version of each DockerCluster that was acted on (or found to need nothing). */
  const seenDockerClusters = new Map<string, DockerCluster>();
  const seenClusters = new Map<string, string>();
  let stopped = false;

  function onDockerCluster(object: DockerCluster) {
    const ref = refOf(object);
    const previous = seenDockerClusters.get(ref.uid);
    seenDockerClusters.set(ref.uid, object);
    if (previous && dockerClusterFingerprint(previous) === dockerClusterFingerprint(object)) return;
    // The workflow's own first writes come back here; signalling them would only wake it for nothing.
    if (previous && isFirstProvisioningWrite(previous, object)) return;
    logger.debug({ namespace: ref.namespace, name: ref.name }, 'DockerCluster changed');
    signaller.request(ref);
  }

  function onDockerClusterGone(object: DockerCluster) {
    const ref = refOf(object);
    seenDockerClusters.delete(ref.uid);
    signaller.request(ref, false);
  }

  function onCluster(cluster: Cluster, gone = false) {
    const key = cluster.metadata.uid as string;
    const fingerprint = clusterFingerprint(cluster);
    if (gone) seenClusters.delete(key);
    else if (seenClusters.get(key) === fingerprint) return;
    else seenClusters.set(key, fingerprint);
    const target = infrastructureRefOf(cluster);
    const dockerCluster = target && dockerClusters.get(target.name, target.namespace);
    if (dockerCluster) {
      logger.debug(
        { namespace: target.namespace, name: target.name, cluster: cluster.metadata.name },
        'Cluster changed',
      );
      signaller.request(refOf(dockerCluster));
    }
  }

  dockerClusters.on('add', onDockerCluster);
  dockerClusters.on('update', onDockerCluster);
  dockerClusters.on('delete', onDockerClusterGone);
  clusters.on('add', (cluster) => onCluster(cluster));
  clusters.on('update', (cluster) => onCluster(cluster));
  clusters.on('delete', (cluster) => onCluster(cluster, true));

  /** Runs an informer until stop(): after an error it is restarted (list, then watch) with backoff. */
  function keepRunning(informer: k8s.Informer<k8s.KubernetesObject>, what: string): () => Promise<void> {
    const initialBackoff = options.restartBackoffMs ?? 1_000;
    let backoff = initialBackoff;
    let lastFailure = 0;
    const run = async () => {
      await informer.start();
    };
    informer.on('error', (error) => {
      if (stopped) return;
      options.onRestart?.();
      // A watch that ran well for a while starts its backoff afresh.
      if (Date.now() - lastFailure > 60_000) backoff = initialBackoff;
      lastFailure = Date.now();
      logger.warn({ err: error, retryInMs: backoff, informer: what }, 'list or watch failed; restarting');
      setTimeout(() => {
        if (!stopped) void run();
      }, backoff);
      backoff = Math.min(backoff * 2, 30_000);
    });
    return run;
  }

  const runClusters = keepRunning(clusters as k8s.Informer<k8s.KubernetesObject>, 'clusters');
  const runDockerClusters = keepRunning(
    dockerClusters as k8s.Informer<k8s.KubernetesObject>,
    'dockerclusters',
  );

  // Clusters first, so a DockerCluster's initial reconcile is not followed by a redundant one.
  const started = (async () => {
    await runClusters();
    await runDockerClusters();
    logger.info(
      { namespace: options.namespace ?? '*', watchFilter: options.watchFilter },
      'watching DockerClusters and Clusters',
    );
  })();

  return {
    started,
    async stop() {
      stopped = true;
      signaller.stop();
      await Promise.all([dockerClusters.stop(), clusters.stop()]);
    },
  };
}

/** The watcher as the provider's configuration describes it, signalling workflows through `client`. */
export function startConfiguredWatcher(
  config: Config,
  deps: { kubeConfig: k8s.KubeConfig; client: Client; logger: Logger; onRestart?: () => void },
): Watcher {
  return startWatcher({
    kubeConfig: deps.kubeConfig,
    signaller: new Signaller({
      client: deps.client,
      taskQueue: config.CAPDT_TASK_QUEUE,
      resyncSeconds: config.CAPDT_RESYNC_SECONDS,
      logger: deps.logger,
    }),
    logger: deps.logger,
    ...(deps.onRestart && { onRestart: deps.onRestart }),
    ...(config.CAPDT_WATCH_NAMESPACE && { namespace: config.CAPDT_WATCH_NAMESPACE }),
    ...(config.CAPDT_WATCH_FILTER && { watchFilter: config.CAPDT_WATCH_FILTER }),
  });
}
