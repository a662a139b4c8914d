// Which changes to a DockerCluster or its Cluster are worth a reconcile. Status writes (including the
// provider's own) and re-lists that repeat what was seen are not.

import { type Cluster, clusterNameLabel, type Machine, pausedAnnotation } from '../api/capi.js';
import {
  type DockerCluster,
  endpointFromLoadBalancerAnnotation,
  finalizer,
  group,
  kind,
} from '../api/dockercluster.js';

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

/**
 * Whether `next` differs from `previous` only by what a first provisioning writes, which needs no further
 * reconcile: our finalizer added, and spec.controlPlaneEndpoint filled in from empty together with the
 * annotation that marks its host as the provider's (the one generation that write makes). Such an update is
 * the workflow's own write coming back; any other change in the same update makes it worth a reconcile.
 */
export function isFirstProvisioningWrite(previous: DockerCluster, next: DockerCluster): boolean {
  const hasOurs = (object: DockerCluster) => object.metadata.finalizers?.includes(finalizer) ?? false;
  const before = previous.spec?.controlPlaneEndpoint ?? {};
  const after = next.spec?.controlPlaneEndpoint ?? {};
  const finalizerAdded = !hasOurs(previous) && hasOurs(next);
  const endpointFilled =
    !before.host &&
    Boolean(after.host) &&
    (!before.port || before.port === after.port) &&
    previous.metadata.annotations?.[endpointFromLoadBalancerAnnotation] === undefined &&
    next.metadata.annotations?.[endpointFromLoadBalancerAnnotation] === 'true';
  if (!finalizerAdded && !endpointFilled) return false;

  // Take the provisioning write back out of `next`: what is left must be what was seen before.
  const undone: DockerCluster = { ...next, metadata: { ...next.metadata }, spec: { ...next.spec } };
  if (finalizerAdded) {
    undone.metadata.finalizers = (next.metadata.finalizers ?? []).filter((name) => name !== finalizer);
  }
  if (endpointFilled) {
    const { [endpointFromLoadBalancerAnnotation]: _, ...annotations } = next.metadata.annotations ?? {};
    undone.metadata.annotations = annotations;
    undone.metadata.generation = (next.metadata.generation ?? 0) - 1;
    undone.spec = { ...next.spec, controlPlaneEndpoint: previous.spec?.controlPlaneEndpoint };
  }
  const sameSpec = JSON.stringify(undone.spec ?? {}) === JSON.stringify(previous.spec ?? {});
  const normalized = (object: DockerCluster) =>
    dockerClusterFingerprint({
      ...object,
      metadata: {
        ...object.metadata,
        annotations: object.metadata.annotations ?? {},
        finalizers: object.metadata.finalizers ?? [],
      },
    });
  return sameSpec && normalized(undone) === normalized(previous);
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

/** What of a control-plane Machine its load balancer uses: its cluster, addresses and whether it is deleting. */
export function machineFingerprint(machine: Machine): string {
  return JSON.stringify([
    machine.metadata.labels?.[clusterNameLabel] ?? null,
    machine.status?.addresses ?? [],
    machine.metadata.deletionTimestamp ?? null,
  ]);
}

/** The DockerCluster a Cluster names in spec.infrastructureRef (same namespace), if it names one of ours. */
export function infrastructureRefOf(cluster: Cluster): { namespace: string; name: string } | undefined {
  const ref = cluster.spec?.infrastructureRef;
  if (!ref?.name || ref.kind !== kind || (ref.apiGroup !== undefined && ref.apiGroup !== group))
    return undefined;
  return { namespace: cluster.metadata.namespace as string, name: ref.name };
}
