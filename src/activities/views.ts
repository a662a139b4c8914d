// What the reconcile loop sees of the objects the API server returns: the small views the Kubernetes
// activities hand back, made here without I/O.
import { isIP } from 'node:net';
import {
  type Cluster,
  clusterGroup,
  clusterKind,
  type Machine,
  managedByAnnotation,
  pausedAnnotation,
} from '../api/capi.js';
import { type DockerCluster, endpointFromLoadBalancerAnnotation, finalizer } from '../api/dockercluster.js';
import { engineOf } from '../api/engines.js';
import type { Backend, ClusterView, DockerClusterView, IpFamily } from './types.js';

export function dockerClusterView(object: DockerCluster): DockerClusterView {
  const { metadata } = object;
  const engine = engineOf(object);
  const owner = metadata.ownerReferences?.find(
    (reference) => reference.kind === clusterKind && reference.apiVersion.startsWith(`${clusterGroup}/`),
  );
  return {
    generation: metadata.generation ?? 0,
    deleting: Boolean(metadata.deletionTimestamp),
    hasFinalizer: metadata.finalizers?.includes(finalizer) ?? false,
    pausedAnnotation: metadata.annotations?.[pausedAnnotation] !== undefined,
    endpointFromLoadBalancer: metadata.annotations?.[endpointFromLoadBalancerAnnotation] === 'true',
    ...(metadata.annotations?.[managedByAnnotation] !== undefined && {
      managedBy: metadata.annotations[managedByAnnotation],
    }),
    ...(owner && { ownerClusterName: owner.name }),
    ...(engine && { engine }),
    spec: object.spec ?? {},
  };
}

export function clusterView(cluster: Cluster): ClusterView {
  const name = cluster.metadata.name as string;
  const pausedBy = cluster.spec?.paused
    ? `Cluster ${name} has spec.paused`
    : cluster.metadata.annotations?.[pausedAnnotation] !== undefined
      ? `Cluster ${name} has the ${pausedAnnotation} annotation`
      : undefined;
  return { name, ipFamily: ipFamilyOf(cluster), ...(pausedBy && { pausedBy }) };
}

function ipFamilyOf(cluster: Cluster): IpFamily {
  const network = cluster.spec?.clusterNetwork;
  const blocks = [...(network?.pods?.cidrBlocks ?? []), ...(network?.services?.cidrBlocks ?? [])];
  const ipv6 = blocks.filter((block) => block.includes(':')).length;
  if (ipv6 === 0) return 'IPv4';
  return ipv6 === blocks.length ? 'IPv6' : 'DualStack';
}

/** The control-plane Machines that have an address of the Cluster's IP family, as load-balancer backends. */
export function backendsOf(machines: Machine[], family: IpFamily): Backend[] {
  return machines.flatMap((machine) => {
    const address = backendAddressOf(machine, family);
    if (!address) return [];
    const draining = Boolean(machine.metadata.deletionTimestamp);
    return [{ name: machine.metadata.name as string, address, draining }];
  });
}

/**
 * A Machine's address for the load balancer: of the Cluster's IP family, its internal address first (on the
 * Docker network, where the load balancer reaches it); undefined while it has none.
 */
export function backendAddressOf(machine: Machine, family: IpFamily): string | undefined {
  const wanted = family === 'IPv6' ? 6 : 4;
  const usable = (machine.status?.addresses ?? []).filter((entry) => isIP(entry.address) === wanted);
  return (usable.find((entry) => entry.type === 'InternalIP') ?? usable[0])?.address;
}
