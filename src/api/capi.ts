// The parts of Cluster API's own API this provider reads: the v1beta2 Cluster and the contract's metadata keys.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const clusterGroup = 'cluster.x-k8s.io';
export const clusterVersion = 'v1beta2';
export const clusterKind = 'Cluster';
export const clusterPlural = 'clusters';
export const machinePlural = 'machines';
/** How the API server addresses Clusters and Machines (group, version, plural), as API clients ask for them. */
export const clusterResource = resourceOf(clusterPlural);
export const machineResource = resourceOf(machinePlural);

function resourceOf(plural: string) {
  return { group: clusterGroup, version: clusterVersion, plural };
}

/** On a Cluster or a DockerCluster: reconciliation stops while it is present (clusterctl move sets it). */
export const pausedAnnotation = 'cluster.x-k8s.io/paused';
/** On a DockerCluster: its infrastructure is managed by someone else; the provider leaves it alone. */
export const managedByAnnotation = 'cluster.x-k8s.io/managed-by';
/** A label value the provider can be told to watch, for multi-tenancy. */
export const watchFilterLabel = 'cluster.x-k8s.io/watch-filter';
/** Set by CAPI on the objects of a cluster. */
export const clusterNameLabel = 'cluster.x-k8s.io/cluster-name';
/** Set by CAPI on the Machines of a cluster's control plane. */
export const controlPlaneLabel = 'cluster.x-k8s.io/control-plane';

/** A metav1.Condition as CAPI writes it on a Cluster. */
interface ClusterCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface Cluster {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec?: {
    paused?: boolean;
    controlPlaneEndpoint?: { host?: string; port?: number };
    infrastructureRef?: { apiGroup?: string; kind?: string; name?: string };
    clusterNetwork?: {
      pods?: { cidrBlocks?: string[] };
      services?: { cidrBlocks?: string[] };
    };
  };
  /** What CAPI's Cluster controller reports; the provider only reads spec. */
  status?: {
    initialization?: { infrastructureProvisioned?: boolean };
    conditions?: ClusterCondition[];
  };
}

/** The parts of a Machine the load balancer needs: its addresses, which CAPI copies from the infrastructure. */
export interface Machine {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  status?: { addresses?: { type: string; address: string }[] };
}
