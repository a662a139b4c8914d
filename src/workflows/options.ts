// How the reconcile workflow runs its steps and how long it waits between passes.
import { msToNumber } from '@temporalio/common/lib/time.js';
import {
  type ActivityOptions,
  type LocalActivityOptions,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  workflowInfo,
} from '@temporalio/workflow';
import type { DockerActivities } from '../activities/docker.js';
import type { EngineActivities } from '../activities/engines.js';
import type { KubernetesActivities } from '../activities/kubernetes.js';
import type { ObservationActivities } from '../activities/observation.js';
import { engineTaskQueue } from '../api/engines.js';
import type { ReconcileInput, ReconcileSinks } from './definitions.js';

// A call is retried within its step only for failures the activity threw as retryable: one that retrying
// cannot fix is thrown non-retryable where it is raised, and the loop reports it and tries the pass again
// after the failure backoff.
const kubernetesCall: LocalActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '200 ms',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
  },
};

const dockerCall: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
};

/**
 * Kubernetes calls and the short Docker calls run as local activities: in the worker, inside the workflow
 * task, without a round trip through the task queue; they are retried and recorded in history all the same
 * (as markers, which the UI lists as local activities). Each call names its step: the summary in the UI.
 */
export const kube = (summary: string) =>
  proxyLocalActivities<KubernetesActivities & EngineActivities>({ ...kubernetesCall, summary });
export const dockerQuick = (summary: string) =>
  proxyLocalActivities<DockerActivities>({ ...dockerCall, summary });
/** The idle check's one read (src/activities/observation.ts): Kubernetes reads, then one Docker inspect. */
export const observation = (summary: string) =>
  proxyLocalActivities<ObservationActivities>({ ...kubernetesCall, summary });
/**
 * Creating and deleting a container can take seconds and must outlive a dead worker: activities, whose
 * heartbeats let a crashed worker's attempt be retried elsewhere within seconds.
 */
const dockerActivity: ActivityOptions = {
  ...dockerCall,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
};
export const docker = (summary: string) => proxyActivities<DockerActivities>({ ...dockerActivity, summary });
/**
 * The Docker calls of a load balancer placed on `engine`: activities on that engine's task queue, which only the
 * workers beside it poll. A call no worker picks up (the engine's workers are gone) fails the pass after a
 * minute instead of waiting for ever; the next pass says which engine has no worker.
 */
export const dockerOn = (engine: string, summary: string) =>
  proxyActivities<DockerActivities>({
    ...dockerActivity,
    taskQueue: engineTaskQueue(workflowInfo().taskQueue, engine),
    scheduleToStartTimeout: '1 minute',
    summary,
  });
export const { metrics } = proxySinks<ReconcileSinks>();

const defaultResyncInterval = '1 hour';
const defaultFailureBackoff = { initial: '5 seconds', maximum: '10 minutes' } as const;
/** Bounds the history of an idle DockerCluster even before the server suggests continuing as new. */
export const defaultMaxHistoryEvents = 5_000;

/**
 * The resync interval, made 10 % shorter or longer by the DockerCluster's uid (a fixed spread, not chance),
 * so that many DockerClusters created together do not all wake together.
 */
export function resyncAfter(input: ReconcileInput): number {
  const spread = Number.parseInt(input.dockerCluster.uid.replaceAll('-', '').slice(0, 8), 16) / 0xffffffff;
  const factor = 0.9 + 0.2 * (Number.isFinite(spread) ? spread : 0.5);
  return Math.round(msToNumber(input.resyncInterval ?? defaultResyncInterval) * factor);
}

/** After the n-th failed pass in a row: the initial backoff, doubling per failure up to the maximum. */
export function failureBackoffMs(input: ReconcileInput, failures: number): number {
  const initial = msToNumber(input.failureBackoff?.initial ?? defaultFailureBackoff.initial);
  const maximum = msToNumber(input.failureBackoff?.maximum ?? defaultFailureBackoff.maximum);
  return Math.min(initial * 2 ** (failures - 1), maximum);
}
