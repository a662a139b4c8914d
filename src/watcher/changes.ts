// Which changes to a DockerCluster or its Cluster are worth a reconcile. Status writes (including the
// provider's own) and re-lists that repeat what was seen are not.

import type { DockerClusterRef } from '../activities/types.js';
import { type Cluster, pausedAnnotation } from '../api/capi.js';
import { type DockerCluster, group, kind } from '../api/dockercluster.js';

export function dockerClusterFingerprint(object: DockerCluster): string {
  const { metadata } = object;
  return JSON.stringify([
    metadata.generation,
    metadata.deletionTimestamp ?? null,
    metadata.annotations ?? {},
    metadata.ownerReferences ?? [],
    metadata.finalizers ?? [],
  ]);
}

export function clusterFingerprint(cluster: Cluster): string {
  return JSON.stringify([
    cluster.spec?.paused ?? false,
    cluster.metadata.annotations?.[pausedAnnotation] ?? null,
    cluster.spec?.infrastructureRef ?? null,
    cluster.spec?.clusterNetwork ?? null,
    cluster.metadata.deletionTimestamp ?? null,
  ]);
}

/** The DockerCluster a Cluster names in spec.infrastructureRef (same namespace), if it names one of ours. */
export function infrastructureRefOf(cluster: Cluster): { namespace: string; name: string } | undefined {
  const ref = cluster.spec?.infrastructureRef;
  if (!ref?.name || ref.kind !== kind || (ref.apiGroup !== undefined && ref.apiGroup !== group))
    return undefined;
  return { namespace: cluster.metadata.namespace as string, name: ref.name };
}

export function refOf(object: DockerCluster): DockerClusterRef {
  return {
    namespace: object.metadata.namespace as string,
    name: object.metadata.name as string,
    uid: object.metadata.uid as string,
  };
}

/** Stable per incarnation of the object, so a re-created DockerCluster gets a workflow of its own. */
export function workflowIdOf(ref: DockerClusterRef): string {
  return `dockercluster/${ref.namespace}/${ref.name}/${ref.uid}`;
}
