// The steps of one reconcile pass: the tutorial's Reconcile (get → owner → paused → delete or normal). Each
// step is a function of the workflow's Reconciliation and of what the pass found so far (`pass`), from which
// the status is written once, at the end of the pass (reconciliation.ts).
import { ApplicationFailure, log, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { DockerActivities } from '../activities/docker.js';
import type {
  ClusterView,
  DockerClusterView,
  LoadBalancerAddress,
  LoadBalancerOwner,
} from '../activities/types.js';
import { defaultEndpointPort, finalizer } from '../api/dockercluster.js';
import { engineLabel } from '../api/engines.js';
import type { DockerClusterRef } from '../api/refs.js';
import { ownerClusterNameKey } from '../api/search-attributes.js';
import type { PassStatus } from '../api/status.js';
import { docker, dockerOn, dockerQuick, kube } from './options.js';
import { enter, event, failureType, logFields, type Outcome, type Reconciliation } from './reconciliation.js';

/** Workflows started before it replay their Docker calls as local activities on the shared task queue. */
export const engineQueuesPatch = 'engine-task-queues';

const done: Outcome = { done: true };
const waitForChange: Outcome = { done: false };

export async function reconcile(run: Reconciliation, pass: PassStatus): Promise<Outcome> {
  const { ref, state } = run;
  const dockerCluster = await kube(`Get ${what(ref)}`).getDockerCluster(ref);
  if (!dockerCluster) {
    // Gone without our finalizer's help (clusterctl move strips finalizers and deletes the source objects
    // while paused): the load balancer may serve the DockerCluster elsewhere now, so it is left alone.
    log.info('The DockerCluster is gone; its load balancer is left as it is', logFields(run));
    state.phase = 'Deleted';
    return done;
  }
  if (dockerCluster.managedBy !== undefined) {
    enter(run, 'ExternallyManaged');
    return waitForChange;
  }

  const cluster = dockerCluster.ownerClusterName
    ? await kube(`Get owner Cluster ${dockerCluster.ownerClusterName}`).getOwnerCluster({
        namespace: ref.namespace,
        name: dockerCluster.ownerClusterName,
      })
    : null;
  if (!cluster) {
    if (dockerCluster.deleting) return await reconcileDelete(run, dockerCluster, pass);
    enter(run, 'WaitingForOwner');
    log.info('Waiting for the Cluster controller to set the owner reference', logFields(run));
    return waitForChange;
  }
  if (state.clusterName !== cluster.name) {
    state.clusterName = cluster.name;
    upsertSearchAttributes([{ key: ownerClusterNameKey, value: cluster.name }]);
  }

  const pausedBy =
    run.operatorPause ??
    cluster.pausedBy ??
    (dockerCluster.pausedAnnotation ? `${what(ref)} has the paused annotation` : undefined);
  pass.generation = dockerCluster.generation;
  pass.pausedBy = pausedBy ?? null;
  if (pausedBy) {
    state.pausedBy = pausedBy;
    enter(run, 'Paused', 'Paused', `Reconciliation paused: ${pausedBy}`);
    return waitForChange;
  }

  return dockerCluster.deleting
    ? await reconcileDelete(run, dockerCluster, pass)
    : await reconcileNormal(run, dockerCluster, cluster, pass);
}

/** What a normal pass provisions for: the objects, how its load balancer is found, the endpoint port. */
interface Target {
  dockerCluster: DockerClusterView;
  cluster: ClusterView;
  owner: LoadBalancerOwner;
  port: number;
  dockerCalls: DockerCalls;
}

/** The pass's Docker calls: the short ones (reads, a config write) and those that create or remove containers. */
interface DockerCalls {
  quick(summary: string): DockerActivities;
  slow(summary: string): DockerActivities;
}

const onSharedQueue: DockerCalls = { quick: dockerQuick, slow: docker };

/** Docker calls run by the workers beside the engine, once a worker is known to serve it. */
async function dockerCallsOn(run: Reconciliation, engine: string): Promise<DockerCalls> {
  await kube(`Check that a worker serves Docker engine ${engine}`).requireEngineServed({ engine });
  run.state.engine = engine;
  const calls = (summary: string) => dockerOn(engine, summary);
  return { quick: calls, slow: calls };
}

/**
 * Where a normal pass's Docker calls run: on the DockerCluster's engine, chosen and labelled the first time. A
 * load balancer never moves between engines: a label changed afterwards is refused.
 */
async function placed(run: Reconciliation, dockerCluster: DockerClusterView): Promise<DockerCalls> {
  if (!patched(engineQueuesPatch)) return onSharedQueue;
  const engine = dockerCluster.engine ?? (await kube('Place on a Docker engine').placeOnEngine(run.ref));
  const provisionedOn = run.state.containerId && run.state.engine;
  if (provisionedOn && engine !== provisionedOn) {
    throw ApplicationFailure.nonRetryable(
      `${what(run.ref)} has its load balancer on Docker engine ${provisionedOn}, but its label ${engineLabel} ` +
        `now names ${engine}: set it back to ${provisionedOn} (a load balancer does not move between engines)`,
      'EngineChanged',
    );
  }
  return await dockerCallsOn(run, engine);
}

async function reconcileNormal(
  run: Reconciliation,
  dockerCluster: DockerClusterView,
  cluster: ClusterView,
  pass: PassStatus,
): Promise<Outcome> {
  if (!dockerCluster.hasFinalizer) {
    await kube(`Add finalizer ${finalizer}`).addFinalizer(run.ref);
    event(run, 'Normal', 'FinalizerAdded', `Added finalizer ${finalizer}`);
  }
  if (run.state.phase !== 'Ready') enter(run, 'Provisioning');

  const target: Target = {
    dockerCluster,
    cluster,
    owner: loadBalancerOwner(run.ref, dockerCluster),
    port: dockerCluster.spec.controlPlaneEndpoint?.port ?? defaultEndpointPort,
    dockerCalls: await placed(run, dockerCluster),
  };
  const address = await ensureLoadBalancer(run, target);
  const endpoint = await ensureEndpoint(run, target, address, pass);
  pass.loadBalancer = {
    status: 'True',
    reason: 'Available',
    message: `Load balancer ${address.containerId.slice(0, 12)} serves ${endpoint.host}:${endpoint.port}`,
  };
  pass.provisioned = true;
  enter(
    run,
    'Ready',
    'Ready',
    `Infrastructure ready: control-plane endpoint ${endpoint.host}:${endpoint.port}`,
  );
  return waitForChange;
}

/** The load balancer created or found, serving the control-plane Machines with the config it should have. */
async function ensureLoadBalancer(run: Reconciliation, target: Target): Promise<LoadBalancerAddress> {
  const { ref, state } = run;
  const { dockerCluster, cluster, owner, port, dockerCalls } = target;
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
  await dockerCalls.quick('Ensure Docker network').ensureNetwork();
  const loadBalancer = await dockerCalls.slow('Create load balancer container').createLoadBalancer({
    ...owner,
    clusterName: cluster.name,
    port,
    ipFamily: cluster.ipFamily,
    backends,
    ...(dockerCluster.spec.loadbalancerImage && { image: dockerCluster.spec.loadbalancerImage }),
    ...(state.hostPort && { hostPort: state.hostPort }),
    ...(run.endpointsTaken.length > 0 && { avoid: run.endpointsTaken }),
  });
  const container = loadBalancer.containerId.slice(0, 12);
  if (loadBalancer.replaced) {
    event(
      run,
      'Normal',
      'LoadBalancerReplaced',
      `Replaced the load balancer (${loadBalancer.replaced}) by container ${container}`,
    );
  } else if (loadBalancer.created) {
    event(run, 'Normal', 'LoadBalancerCreated', `Created load balancer container ${container}`);
  }
  // A container created just now started with the provider's config; an existing one may have drifted. A
  // custom template's config is applied only to a running HAProxy, which checks it first.
  if (!loadBalancer.created || template) {
    await dockerCalls.quick('Write HAProxy config and reload').configureLoadBalancer({
      dockerCluster: ref,
      containerId: loadBalancer.containerId,
      port,
      ipFamily: cluster.ipFamily,
      backends,
      ...(template && { template }),
    });
  }
  const address = await dockerCalls.quick('Get load balancer IP').getLoadBalancerAddress({
    dockerCluster: ref,
    containerId: loadBalancer.containerId,
    ipFamily: cluster.ipFamily,
    port,
  });
  state.containerId = address.containerId;
  if (address.hostPort) state.hostPort = address.hostPort;
  return address;
}

/** The endpoint is written once, from the load balancer; afterwards the load balancer keeps its address. */
async function ensureEndpoint(
  run: Reconciliation,
  { dockerCluster, owner, port }: Target,
  address: LoadBalancerAddress,
  pass: PassStatus,
): Promise<{ host: string; port: number }> {
  const declared = dockerCluster.spec.controlPlaneEndpoint;
  if (!declared?.host || !declared.port) {
    const summary = `Set spec.controlPlaneEndpoint ${declared?.host || address.ip}:${port}`;
    try {
      // Our own spec write is part of this pass: the status reports the generation it made.
      ({ generation: pass.generation } = await kube(summary).setControlPlaneEndpoint(run.ref, {
        host: address.ip,
        port,
      }));
    } catch (error) {
      if (failureType(error) === 'EndpointTaken') run.endpointsTaken.push(address.ip);
      throw error;
    }
  } else if (owner.address && address.ip !== owner.address) {
    throw ApplicationFailure.nonRetryable(
      `load balancer ${address.containerId.slice(0, 12)} is on ${address.ip}, not on the endpoint ${owner.address}; the endpoint is not moved`,
      'EndpointMismatch',
    );
  }
  const endpoint = { host: declared?.host || address.ip, port };
  run.state.endpoint = endpoint;
  return endpoint;
}

async function reconcileDelete(
  run: Reconciliation,
  dockerCluster: DockerClusterView,
  pass: PassStatus,
): Promise<Outcome> {
  const message = 'Deleting the load balancer';
  // Written only if the deletion fails: once our finalizer is off, the object's status is not ours to write.
  pass.loadBalancer = { status: 'False', reason: 'Deleting', message };
  enter(run, 'Deleting', 'Deleting', message);
  const owner = loadBalancerOwner(run.ref, dockerCluster);
  if (!patched(engineQueuesPatch)) {
    await onSharedQueue.slow('Delete load balancer container').deleteLoadBalancer(owner);
  } else {
    // A DockerCluster never placed never had a load balancer made for it.
    const engine = dockerCluster.engine ?? run.state.engine;
    if (engine) {
      const dockerCalls = await dockerCallsOn(run, engine);
      await dockerCalls.slow('Delete load balancer container').deleteLoadBalancer(owner);
    }
  }
  await kube(`Remove finalizer ${finalizer}`).removeFinalizer(run.ref);
  run.state.phase = 'Deleted';
  return done;
}

/** How the Docker activities find this DockerCluster's load balancer, under this uid or a former one. */
function loadBalancerOwner(ref: DockerClusterRef, dockerCluster: DockerClusterView): LoadBalancerOwner {
  const host = dockerCluster.spec.controlPlaneEndpoint?.host;
  return {
    dockerCluster: ref,
    ...(dockerCluster.ownerClusterName && { clusterName: dockerCluster.ownerClusterName }),
    // Only an address the provider filled in from the load balancer is the load balancer's to hold.
    ...(dockerCluster.endpointFromLoadBalancer && host && { address: host }),
  };
}

function what(ref: DockerClusterRef): string {
  return `DockerCluster ${ref.namespace}/${ref.name}`;
}
