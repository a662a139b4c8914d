// What activities take and return: small, secret-free values, because every one is kept in workflow history.
import type { DockerClusterSpec } from '../api/dockercluster.js';
import type { DockerClusterRef } from '../api/refs.js';

/** The DockerCluster as the reconcile loop needs it. */
export interface DockerClusterView {
  generation: number;
  deleting: boolean;
  hasFinalizer: boolean;
  /** Why the object itself asks for a pause (its paused annotation), if it does. */
  pausedAnnotation: boolean;
  managedBy?: string;
  /** spec.controlPlaneEndpoint.host was filled in by the provider (not the user). */
  endpointFromLoadBalancer: boolean;
  /** The name of the owning CAPI Cluster, from ownerReferences, once CAPI has set it. */
  ownerClusterName?: string;
  /** The Docker engine its load balancer lives on, once it is placed (src/api/engines.ts). */
  engine?: string;
  spec: DockerClusterSpec;
}

/** From the Cluster's pod and service CIDRs; a dual-stack Cluster's endpoint and backends are IPv4. */
export type IpFamily = 'IPv4' | 'IPv6' | 'DualStack';

/** The owning CAPI Cluster as the reconcile loop needs it. */
export interface ClusterView {
  name: string;
  /** Why the Cluster asks for a pause (spec.paused or its paused annotation), if it does. */
  pausedBy?: string;
  ipFamily: IpFamily;
}

export interface EventRecord {
  /** Makes the Event's name, so that a retried activity does not record it twice. */
  key: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** How the Docker activities find a DockerCluster's load balancer. */
export interface LoadBalancerOwner {
  dockerCluster: DockerClusterRef;
  clusterName?: string;
  /**
   * The endpoint address the provider filled in: the load balancer holds it for good. A container of the same
   * namespace, name and cluster that holds it is this DockerCluster's even under another uid (the object was
   * moved by clusterctl to another management cluster, or re-created from a backup).
   */
  address?: string;
}

/** A control-plane Machine behind the load balancer: one server of HAProxy's backend. */
export interface Backend {
  /** The Machine's name. */
  name: string;
  /** Its address on the Docker network, where its API server listens. */
  address: string;
  /** The Machine is being deleted: the server keeps its connections but gets no new ones (weight 0). */
  draining: boolean;
}

/** What the HAProxy config is made of. */
export interface LoadBalancerConfig {
  /** The endpoint port HAProxy listens on. */
  port: number;
  ipFamily: IpFamily;
  backends: Backend[];
}

/** A custom HAProxy config template (spec.loadBalancer.customHAProxyConfigTemplateRef), as read. */
export interface HAProxyTemplate {
  /** The ConfigMap it was read from, in the DockerCluster's namespace. */
  configMap: string;
  /** Its key `value`: a Go text/template, rendered with upstream CAPD's variables. */
  text: string;
}

/** The load balancer of one DockerCluster, as the Docker activities need it. */
export interface LoadBalancerSpec extends LoadBalancerOwner, LoadBalancerConfig {
  clusterName: string;
  /** spec.loadbalancerImage; the provider's default image when absent. */
  image?: string;
  /** The host port the endpoint port was published on so far: a re-created load balancer keeps it. */
  hostPort?: string;
  /**
   * Other DockerClusters' endpoints that the API refused as this one's (their load balancers are missing): a load
   * balancer without an endpoint of its own yet is moved off them.
   */
  avoid?: string[];
}

/** A load balancer that createLoadBalancer made or found: the later steps address it by its id. */
export interface CreatedLoadBalancer {
  dockerCluster: DockerClusterRef;
  containerId: string;
}

/** Which load balancer to read, and where its endpoint is: for reads of its address. */
export type InspectInput = CreatedLoadBalancer & { ipFamily: IpFamily; port: number };

export interface LoadBalancerAddress {
  containerId: string;
  ip: string;
  /** The host port the endpoint port is published on (at the provider's host IP). */
  hostPort?: string;
}

/** A load balancer as an idle check sees it: the container a pass recorded, as it is now. */
export interface LoadBalancerState {
  containerId: string;
  running: boolean;
  image: string;
  ip?: string;
  hostPort?: string;
}

/**
 * Everything a Ready pass depends on, read at once: an idle check compares it with what it was after that pass.
 * Nulls stop the reading where a pass would stop (the object or its owner gone).
 */
export interface Observation {
  dockerCluster: DockerClusterView | null;
  cluster: ClusterView | null;
  backends: Backend[];
  /** The custom HAProxy template's text, when the DockerCluster names one. */
  template?: string;
  /** null when the recorded container is gone. */
  loadBalancer: LoadBalancerState | null;
}
