// One long-lived workflow per DockerCluster: the tutorial's reconcile loop, made durable.
// Deterministic orchestration only; every read and write of the world is an activity. How a change to this
// file reaches running workflows: the README's "Changing the workflow".

import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  type LocalActivityOptions,
  log,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { DockerActivities } from '../activities/docker.js';
import type { KubernetesActivities } from '../activities/kubernetes.js';
import type { ClusterView, DockerClusterView, EventRecord, LoadBalancerOwner } from '../activities/types.js';
import { defaultEndpointPort, finalizer } from '../api/dockercluster.js';
import { ownerClusterNameKey } from '../api/search-attributes.js';
import type { PassStatus } from '../api/status.js';
import {
  changedSignal,
  type Phase,
  pauseSignal,
  type ReconcileInput,
  type ReconcileSinks,
  type ReconcileState,
  resumeSignal,
  stateQuery,
} from './definitions.js';

// ---- how each step runs: short calls as local activities, container lifecycle as activities --------

/** Errors that retrying the same call cannot fix; the loop reports them and retries slowly instead. */
export const nonRetryableErrorTypes = [
  'PermissionDenied',
  'Invalid',
  'NotFound',
  'ImageNotFound',
  'InvalidNetwork',
  'NameConflict',
  'LoadBalancerNotRunning',
];

const kubernetesCall: LocalActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '200 ms',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
};

const dockerCall: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
};

/**
 * Kubernetes calls and the short Docker calls run as local activities: in the worker, inside the workflow
 * task, without a round trip through the task queue; they are retried and recorded in history all the same
 * (as markers, which the UI lists as local activities). Each call names its step: the summary in the UI.
 */
const kube = (summary: string) => proxyLocalActivities<KubernetesActivities>({ ...kubernetesCall, summary });
const dockerQuick = (summary: string) => proxyLocalActivities<DockerActivities>({ ...dockerCall, summary });
/**
 * Creating and deleting a container can take seconds and must outlive a dead worker: activities, whose
 * heartbeats let a crashed worker's attempt be retried elsewhere within seconds.
 */
const docker = (summary: string) =>
  proxyActivities<DockerActivities>({
    ...dockerCall,
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '10 seconds',
    summary,
  });
const { metrics } = proxySinks<ReconcileSinks>();

const defaultResyncInterval = '5 minutes';
/** Failed reconciles are retried after 5 s, doubling up to 10 minutes. */
const failureBackoffMs = (failures: number) => Math.min(5_000 * 2 ** (failures - 1), 600_000);
/** Bounds the history of an idle DockerCluster even before the server suggests continuing as new. */
const defaultMaxHistoryEvents = 5_000;

/**
 * The resync interval, made 10 % shorter or longer by the DockerCluster's uid (a fixed spread, not chance),
 * so that many DockerClusters created together do not all wake together.
 */
function resyncAfter(input: ReconcileInput): number {
  const spread = Number.parseInt(input.dockerCluster.uid.replaceAll('-', '').slice(0, 8), 16) / 0xffffffff;
  const factor = 0.9 + 0.2 * (Number.isFinite(spread) ? spread : 0.5);
  return Math.round(msToNumber(input.resyncInterval ?? defaultResyncInterval) * factor);
}

type Outcome = { done: true } | { done: false; requeueAfter?: Duration | number };
const done: Outcome = { done: true };
const waitForChange: Outcome = { done: false };

export async function reconcileDockerCluster(input: ReconcileInput): Promise<ReconcileState> {
  const ref = input.dockerCluster;
  const what = `DockerCluster ${ref.namespace}/${ref.name}`;
  /** Carried by every log line of this workflow, beside the workflow id the SDK adds. */
  const logFields = () => ({ namespace: ref.namespace, name: ref.name, cluster: state.clusterName });
  const state: ReconcileState = input.carried?.state ?? { phase: 'Starting', reconciles: 0 };
  let operatorPause = input.carried?.operatorPause;
  let changed = false;
  let failures = 0;

  setHandler(changedSignal, () => {
    changed = true;
  });
  setHandler(pauseSignal, (reason) => {
    operatorPause = reason ? `paused by an operator: ${reason}` : 'paused by an operator';
    changed = true;
  });
  setHandler(resumeSignal, () => {
    operatorPause = undefined;
    changed = true;
  });
  setHandler(stateQuery, () => state);

  /** Events are recorded beside the reconcile, not in its way; each reconcile waits for its own at the end. */
  let pendingEvents: Promise<void>[] = [];
  function event(type: EventRecord['type'], reason: string, message: string): void {
    const recorded = kube(`Event ${reason}`).recordEvent(ref, { key: uuid4(), type, reason, message });
    pendingEvents.push(
      recorded.catch((error) =>
        log.warn('Could not record an Event', { ...logFields(), reason, error: describeFailure(error) }),
      ),
    );
  }
  async function eventsRecorded(): Promise<void> {
    const recording = pendingEvents;
    pendingEvents = [];
    await Promise.all(recording);
  }

  /** Moves to a phase; the first time it is entered, an Event tells the user. */
  function enter(phase: Phase, eventReason?: string, message?: string): void {
    const previous = state.phase;
    state.phase = phase;
    if (phase !== 'Paused') delete state.pausedBy;
    if (phase === previous) return;
    log.info('Phase changed', { ...logFields(), from: previous, to: phase });
    if (eventReason && message) event('Normal', eventReason, message);
  }

  // ---- the tutorial's Reconcile: get → owner → paused → delete or normal ------------------------
  // Each pass notes what it finds in `pass`; the status is written from it once, at the end of the pass.

  async function reconcile(pass: PassStatus): Promise<Outcome> {
    const dockerCluster = await kube(`Get ${what}`).getDockerCluster(ref);
    if (!dockerCluster) {
      // Gone without our finalizer's help (clusterctl move strips finalizers and deletes the source objects
      // while paused): the load balancer may serve the DockerCluster elsewhere now, so it is left alone.
      log.info('The DockerCluster is gone; its load balancer is left as it is', logFields());
      state.phase = 'Deleted';
      return done;
    }
    if (dockerCluster.managedBy !== undefined) {
      enter('ExternallyManaged');
      return waitForChange;
    }

    const cluster = dockerCluster.ownerClusterName
      ? await kube(`Get owner Cluster ${dockerCluster.ownerClusterName}`).getOwnerCluster({
          namespace: ref.namespace,
          name: dockerCluster.ownerClusterName,
        })
      : null;
    if (!cluster) {
      if (dockerCluster.deleting) return await reconcileDelete(dockerCluster, pass);
      enter('WaitingForOwner');
      log.info('Waiting for the Cluster controller to set the owner reference', logFields());
      return waitForChange;
    }
    if (state.clusterName !== cluster.name) {
      state.clusterName = cluster.name;
      upsertSearchAttributes([{ key: ownerClusterNameKey, value: cluster.name }]);
    }

    const pausedBy =
      operatorPause ??
      cluster.pausedBy ??
      (dockerCluster.pausedAnnotation ? `${what} has the paused annotation` : undefined);
    pass.generation = dockerCluster.generation;
    pass.pausedBy = pausedBy ?? null;
    if (pausedBy) {
      state.pausedBy = pausedBy;
      enter('Paused', 'Paused', `Reconciliation paused: ${pausedBy}`);
      return waitForChange;
    }

    return dockerCluster.deleting
      ? await reconcileDelete(dockerCluster, pass)
      : await reconcileNormal(dockerCluster, cluster, pass);
  }

  async function reconcileNormal(
    dockerCluster: DockerClusterView,
    cluster: ClusterView,
    pass: PassStatus,
  ): Promise<Outcome> {
    if (!dockerCluster.hasFinalizer) {
      await kube(`Add finalizer ${finalizer}`).addFinalizer(ref);
      event('Normal', 'FinalizerAdded', `Added finalizer ${finalizer}`);
    }
    if (state.phase !== 'Ready') enter('Provisioning');

    const { controlPlaneEndpoint } = dockerCluster.spec;
    const port = controlPlaneEndpoint?.port ?? defaultEndpointPort;
    const owner = loadBalancerOwner(dockerCluster);
    const backends = await kube(`List control-plane Machines of ${cluster.name}`).listControlPlaneMachines({
      namespace: ref.namespace,
      clusterName: cluster.name,
      ipFamily: cluster.ipFamily,
    });
    const templateRef = dockerCluster.spec.loadBalancer?.customHAProxyConfigTemplateRef;
    const template =
      templateRef &&
      (await kube(`Get HAProxy template ConfigMap ${templateRef.name}`).getHAProxyTemplate({
        namespace: ref.namespace,
        configMap: templateRef.name,
      }));
    await dockerQuick('Ensure Docker network').ensureNetwork();
    const loadBalancer = await docker('Create load balancer container').createLoadBalancer({
      ...owner,
      clusterName: cluster.name,
      port,
      ipFamily: cluster.ipFamily,
      backends,
      ...(dockerCluster.spec.loadbalancerImage && { image: dockerCluster.spec.loadbalancerImage }),
      ...(state.hostPort && { hostPort: state.hostPort }),
    });
    if (loadBalancer.replaced) {
      event(
        'Normal',
        'LoadBalancerReplaced',
        `Replaced the load balancer (${loadBalancer.replaced}) by container ${loadBalancer.containerId.slice(0, 12)}`,
      );
    } else if (loadBalancer.created) {
      event(
        'Normal',
        'LoadBalancerCreated',
        `Created load balancer container ${loadBalancer.containerId.slice(0, 12)}`,
      );
    }
    // A container created just now started with the provider's config; an existing one may have drifted. A
    // custom template's config is applied only to a running HAProxy, which checks it first.
    if (!loadBalancer.created || template) {
      await dockerQuick('Write HAProxy config and reload').configureLoadBalancer({
        dockerCluster: ref,
        containerId: loadBalancer.containerId,
        port,
        ipFamily: cluster.ipFamily,
        backends,
        ...(template && { template }),
      });
    }
    const address = await dockerQuick('Get load balancer IP').getLoadBalancerAddress({
      dockerCluster: ref,
      containerId: loadBalancer.containerId,
      ipFamily: cluster.ipFamily,
      port,
    });
    state.containerId = address.containerId;
    if (address.hostPort) state.hostPort = address.hostPort;

    // The endpoint is written once, from the load balancer; afterwards the load balancer keeps its address.
    if (!controlPlaneEndpoint?.host || !controlPlaneEndpoint.port) {
      const summary = `Set spec.controlPlaneEndpoint ${controlPlaneEndpoint?.host || address.ip}:${port}`;
      // Our own spec write is part of this pass: the status reports the generation it made.
      ({ generation: pass.generation } = await kube(summary).setControlPlaneEndpoint(ref, {
        host: address.ip,
        port,
      }));
    } else if (owner.address && address.ip !== owner.address) {
      throw ApplicationFailure.nonRetryable(
        `load balancer ${address.containerId.slice(0, 12)} is on ${address.ip}, not on the endpoint ${owner.address}; the endpoint is not moved`,
        'EndpointMismatch',
      );
    }
    const endpoint = { host: controlPlaneEndpoint?.host || address.ip, port };
    state.endpoint = endpoint;

    pass.loadBalancer = {
      status: 'True',
      reason: 'Available',
      message: `Load balancer ${address.containerId.slice(0, 12)} serves ${endpoint.host}:${port}`,
    };
    pass.provisioned = true;
    enter('Ready', 'Ready', `Infrastructure ready: control-plane endpoint ${endpoint.host}:${port}`);
    return waitForChange;
  }

  async function reconcileDelete(dockerCluster: DockerClusterView, pass: PassStatus): Promise<Outcome> {
    const message = 'Deleting the load balancer';
    // Written only if the deletion fails: once our finalizer is off, the object's status is not ours to write.
    pass.loadBalancer = { status: 'False', reason: 'Deleting', message };
    enter('Deleting', 'Deleting', message);
    await docker('Delete load balancer container').deleteLoadBalancer(loadBalancerOwner(dockerCluster));
    await kube(`Remove finalizer ${finalizer}`).removeFinalizer(ref);
    state.phase = 'Deleted';
    return done;
  }

  /** How the Docker activities find this DockerCluster's load balancer, under this uid or a former one. */
  function loadBalancerOwner(dockerCluster: DockerClusterView): LoadBalancerOwner {
    const host = dockerCluster.spec.controlPlaneEndpoint?.host;
    return {
      dockerCluster: ref,
      ...(dockerCluster.ownerClusterName && { clusterName: dockerCluster.ownerClusterName }),
      // Only an address the provider filled in from the load balancer is the load balancer's to hold.
      ...(dockerCluster.endpointFromLoadBalancer && host && { address: host }),
    };
  }

  /** The pass's one status write (CAPD's deferred patch); a pass that found nothing to report writes none. */
  async function writeStatus(pass: PassStatus): Promise<void> {
    if (state.phase === 'Deleted' || Object.keys(pass).length === 0) return;
    await kube(`Write status (${state.phase})`).updateStatus(ref, pass);
  }

  /** Puts a failed reconcile on the object (condition, Event once per message) and schedules a slow retry. */
  async function reportFailure(error: unknown, pass: PassStatus): Promise<Outcome> {
    failures += 1;
    const message = describeFailure(error);
    const firstTime = state.lastError !== message;
    state.lastError = message;
    state.phase = 'Failing';
    const requeueAfter = failureBackoffMs(failures);
    log.warn('Reconcile failed', { ...logFields(), error: message, retryInMs: requeueAfter });
    // The Event is recorded on its own, so a status the provider may not write does not silence it.
    if (firstTime) event('Warning', 'ReconcileFailed', message);
    pass.loadBalancer = { status: 'False', reason: 'NotAvailable', message };
    try {
      await writeStatus(pass);
    } catch (reportError) {
      log.warn('Could not report the failure in status', {
        ...logFields(),
        error: describeFailure(reportError),
      });
    }
    return { done: false, requeueAfter };
  }

  for (;;) {
    changed = false;
    const pass: PassStatus = {};
    let outcome: Outcome;
    try {
      outcome = await reconcile(pass);
      await writeStatus(pass);
      failures = 0;
      delete state.lastError;
    } catch (error) {
      if (!isStepFailure(error)) throw error;
      outcome = await reportFailure(error, pass);
    }
    await eventsRecorded();
    state.reconciles += 1;
    metrics.reconciled(state.lastError ? 'failed' : state.phase);
    state.lastReconcileTime = new Date().toISOString();
    if (outcome.done) return state;

    await condition(() => changed, outcome.requeueAfter ?? resyncAfter(input));

    const info = workflowInfo();
    if (
      info.continueAsNewSuggested ||
      info.historyLength > (input.maxHistoryEvents ?? defaultMaxHistoryEvents)
    ) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof reconcileDockerCluster>({
        ...input,
        carried: { state, ...(operatorPause && { operatorPause }) },
      });
    }
  }
}

/**
 * A failed step: an activity's failure arrives wrapped in ActivityFailure, a local activity's as the failure
 * itself (or a timeout). Anything else (a cancelled workflow, a bug) is not the world's fault and propagates.
 */
function isStepFailure(error: unknown): boolean {
  return (
    error instanceof ActivityFailure || error instanceof ApplicationFailure || error instanceof TimeoutFailure
  );
}

function describeFailure(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}
