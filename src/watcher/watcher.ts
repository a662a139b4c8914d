// The watcher: lists and watches DockerClusters, CAPI Clusters, their control-plane Machines and ConfigMaps
// (custom HAProxy templates), and turns each meaningful change into a "changed" signal to the DockerCluster's
// workflow (starting it when needed).
import type * as https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import * as capi from '../api/capi.js';
import { type DockerCluster, dockerClusterResource } from '../api/dockercluster.js';
import type { Fleet } from '../api/engines.js';
import { refOf } from '../api/refs.js';
import { type Config, fleetOf } from '../config.js';
import type { Logger } from '../logger.js';
import {
  clusterFingerprint,
  dockerClusterFingerprint,
  infrastructureRefOf,
  isFirstProvisioningWrite,
  machineFingerprint,
} from './changes.js';
import { monitorEngines } from './engine-monitor.js';
import { Signaller } from './signaller.js';

/** Logged once the watcher lists and watches everything (tests and operators wait for it). */
export const watchingMessage = 'watching DockerClusters, Clusters, control-plane Machines and ConfigMaps';

interface WatcherOptions {
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
  /** Whose workers' Leases tell which Docker engines have a worker. */
  fleet?: Fleet;
}

export interface Watcher {
  /** Resolves once the informers have listed and started watching. */
  started: Promise<void>;
  stop(): Promise<void>;
}

type Resource = { group: string; version: string; plural: string };

function informerFor<T extends k8s.KubernetesObject>(
  options: WatcherOptions,
  resource: Resource,
  requiredLabel?: string,
) {
  const objects = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const base = `/apis/${resource.group}/${resource.version}`;
  const path = options.namespace
    ? `${base}/namespaces/${options.namespace}/${resource.plural}`
    : `${base}/${resource.plural}`;
  const selectors = [requiredLabel, options.watchFilter && `${capi.watchFilterLabel}=${options.watchFilter}`];
  const labelSelector = selectors.filter(Boolean).join(',') || undefined;
  const list = () =>
    (options.namespace
      ? objects.listNamespacedCustomObject({ ...resource, namespace: options.namespace, labelSelector })
      : objects.listClusterCustomObject({ ...resource, labelSelector })) as Promise<
      k8s.KubernetesListObject<T>
    >;
  return k8s.makeInformer<T>(options.kubeConfig, path, list, labelSelector);
}

/**
 * Asks the API server for objects' metadata only: a list as a PartialObjectMetadataList, a watch's objects each
 * as a PartialObjectMetadata (a watch given the list's media type ends at once, without an error).
 */
const metadataList = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const metadataObject = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * ConfigMaps as metadata only: the watcher only needs to know that a template ConfigMap changed (the workflow
 * reads the template itself), so the cache holds no ConfigMap's data, however large or many they are.
 */
export function configMapMetadataInformer(kubeConfig: k8s.KubeConfig, namespace?: string) {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const path = namespace ? `/api/v1/namespaces/${namespace}/configmaps` : '/api/v1/configmaps';
  const asMetadata = k8s.setHeaderOptions('Accept', metadataList);
  const list = () =>
    namespace
      ? core.listNamespacedConfigMap({ namespace }, asMetadata)
      : core.listConfigMapForAllNamespaces({}, asMetadata);
  const metadataWatch = new k8s.Watch({
    getCurrentCluster: () => kubeConfig.getCurrentCluster(),
    applyToFetchOptions: (options: https.RequestOptions) =>
      kubeConfig.applyToFetchOptions({ ...options, headers: { ...options.headers, Accept: metadataObject } }),
  } as k8s.KubeConfig);
  return new k8s.ListWatch<k8s.V1ConfigMap>(path, metadataWatch, list, false);
}

function startWatcher(options: WatcherOptions): Watcher {
  const { signaller, logger } = options;
  const dockerClusters = informerFor<DockerCluster>(options, dockerClusterResource);
  const clusters = informerFor<capi.Cluster>(options, capi.clusterResource);
  const machines = informerFor<capi.Machine>(options, capi.machineResource, capi.controlPlaneLabel);
  const configMaps = configMapMetadataInformer(options.kubeConfig, options.namespace);
  /** The last version of each DockerCluster that was acted on (or found to need nothing). */
  const seenDockerClusters = new Map<string, DockerCluster>();
  const seenClusters = new Map<string, string>();
  const seenMachines = new Map<string, string>();
  const seenConfigMaps = new Map<string, string>();
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

  /** Whether an object's fingerprint changed since it was last seen (a gone object always has). */
  function changedSince(
    seen: Map<string, string>,
    object: k8s.KubernetesObject,
    fingerprint: string,
    gone: boolean,
  ) {
    const key = object.metadata?.uid as string;
    if (gone) {
      seen.delete(key);
      return true;
    }
    if (seen.get(key) === fingerprint) return false;
    seen.set(key, fingerprint);
    return true;
  }

  /** Signals the workflow of the DockerCluster that a Cluster names, if there is one. */
  function signalInfrastructureOf(cluster: capi.Cluster, why: string) {
    const target = infrastructureRefOf(cluster);
    const dockerCluster = target && dockerClusters.get(target.name, target.namespace);
    if (!dockerCluster) return;
    logger.debug({ namespace: target.namespace, name: target.name, cluster: cluster.metadata.name }, why);
    signaller.request(refOf(dockerCluster));
  }

  function onCluster(cluster: capi.Cluster, gone = false) {
    if (changedSince(seenClusters, cluster, clusterFingerprint(cluster), gone)) {
      signalInfrastructureOf(cluster, 'Cluster changed');
    }
  }

  /** A control-plane Machine that came, went, moved or started deleting changes its load balancer's backends. */
  function onMachine(machine: capi.Machine, gone = false) {
    if (!changedSince(seenMachines, machine, machineFingerprint(machine), gone)) return;
    const clusterName = machine.metadata.labels?.[capi.clusterNameLabel];
    const cluster = clusterName && clusters.get(clusterName, machine.metadata.namespace);
    if (cluster) signalInfrastructureOf(cluster, 'control-plane Machine changed');
  }

  /**
   * An edited HAProxy template is re-rendered by the workflows of the DockerClusters that name it (any edit of
   * the ConfigMap wakes them; a pass that finds the same template changes nothing).
   */
  function onConfigMap(configMap: k8s.V1ConfigMap, gone = false) {
    if (!changedSince(seenConfigMaps, configMap, configMap.metadata?.resourceVersion ?? '', gone)) return;
    const { namespace, name } = configMap.metadata ?? {};
    for (const dockerCluster of dockerClusters.list(namespace)) {
      if (dockerCluster.spec?.loadBalancer?.customHAProxyConfigTemplateRef?.name !== name) continue;
      logger.debug(
        { namespace, name: dockerCluster.metadata.name, configMap: name },
        'HAProxy template changed',
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
  machines.on('add', (machine) => onMachine(machine));
  machines.on('update', (machine) => onMachine(machine));
  machines.on('delete', (machine) => onMachine(machine, true));
  configMaps.on('add', (configMap) => onConfigMap(configMap));
  configMaps.on('update', (configMap) => onConfigMap(configMap));
  configMaps.on('delete', (configMap) => onConfigMap(configMap, true));

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
  const runMachines = keepRunning(machines as k8s.Informer<k8s.KubernetesObject>, 'machines');
  const runConfigMaps = keepRunning(configMaps as k8s.Informer<k8s.KubernetesObject>, 'configmaps');

  // Clusters first, so a DockerCluster's initial reconcile is not followed by a redundant one; Machines and
  // ConfigMaps last, since their changes reach a DockerCluster through the others.
  const started = (async () => {
    await runClusters();
    await runDockerClusters();
    await runMachines();
    await runConfigMaps();
    logger.info({ namespace: options.namespace ?? '*', watchFilter: options.watchFilter }, watchingMessage);
  })();
  const stopMonitoringEngines =
    options.fleet &&
    monitorEngines({
      kubeConfig: options.kubeConfig,
      fleet: options.fleet,
      logger,
      dockerClusters: () => dockerClusters.list(),
      changed: (dockerCluster) => signaller.request(refOf(dockerCluster)),
    });

  return {
    started,
    async stop() {
      stopped = true;
      stopMonitoringEngines?.();
      signaller.stop();
      await Promise.all([dockerClusters.stop(), clusters.stop(), machines.stop(), configMaps.stop()]);
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
    fleet: fleetOf(config),
    ...(deps.onRestart && { onRestart: deps.onRestart }),
    ...(config.CAPDT_WATCH_NAMESPACE && { namespace: config.CAPDT_WATCH_NAMESPACE }),
    ...(config.CAPDT_WATCH_FILTER && { watchFilter: config.CAPDT_WATCH_FILTER }),
  });
}
