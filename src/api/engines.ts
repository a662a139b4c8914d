// A fleet of Docker engines: which engine a DockerCluster's load balancer lives on, and the task queue on which
// the workers beside that engine run its Docker calls (Temporal's worker-specific task queue pattern).
import { type DockerCluster, endpointFromLoadBalancerAnnotation } from './dockercluster.js';

/**
 * The engine a DockerCluster is placed on, set by the provider when it is first provisioned (or by the user
 * beforehand, to choose). A label, so that `kubectl get dockerclusters -L <label>` shows the placement; it
 * moves with the object (`clusterctl move`), and the workflow refuses a later change.
 */
export const engineLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/docker-engine';

/** The engine of a worker that names none: an installation with one Docker engine never needs the setting. */
export const defaultEngine = 'default';

/** The task queue of the Docker activities that run beside `engine`. */
export function engineTaskQueue(taskQueue: string, engine: string): string {
  return `${taskQueue}@${engine}`;
}

/**
 * Where the DockerCluster's load balancer lives: its label, or the default engine for one provisioned before
 * placements existed (its endpoint came from a load balancer there); undefined while it is not placed.
 */
export function engineOf(object: Pick<DockerCluster, 'metadata'>): string | undefined {
  const { labels, annotations } = object.metadata;
  const labelled = labels?.[engineLabel];
  if (labelled) return labelled;
  return annotations?.[endpointFromLoadBalancerAnnotation] === 'true' ? defaultEngine : undefined;
}

/** Where the workers of one provider installation announce themselves: its task queue's Leases. */
export interface Fleet {
  leaseNamespace: string;
  taskQueue: string;
}

/**
 * The Lease each worker renews while it serves an engine is what tells a live engine from a gone one: labelled
 * with its engine, annotated with its task queue (any string, which a label value may not be).
 */
export const workerLeaseEngineLabel = 'capd-temporal.io/engine';
export const workerLeaseTaskQueueAnnotation = 'capd-temporal.io/task-queue';
