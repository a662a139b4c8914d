// The idle check's one read: everything a Ready pass depended on, from both systems, through the same reads the
// pass makes. It writes nothing. One local activity instead of one per read keeps an idle resync to a single
// marker in history. A local activity runs in whichever worker runs the workflow: it inspects the load balancer
// itself only beside the load balancer's engine, and otherwise says what the engine's worker is to inspect.
import { defaultEndpointPort } from '../api/dockercluster.js';
import type { DockerClusterRef } from '../api/refs.js';
import type { DockerActivities } from './docker.js';
import type { KubernetesActivities } from './kubernetes.js';
import type { InspectInput, Observation } from './types.js';

type Reads = Pick<
  KubernetesActivities,
  'getDockerCluster' | 'getOwnerCluster' | 'listControlPlaneMachines' | 'getHAProxyTemplate'
> &
  Pick<DockerActivities, 'inspectLoadBalancer'>;

/** What the workflow completes with the engine's own inspect, when the load balancer is on another engine. */
export type PartialObservation = Omit<Observation, 'loadBalancer'> & {
  inspectOn: { engine: string; input: InspectInput };
};

/** `engine`: the name of the engine beside this worker. */
export function createObservationActivities(reads: Reads, engine: string) {
  return {
    /** The DockerCluster, its Cluster, the control-plane Machines, its template and its load balancer, as now. */
    async observeLoadBalancer(input: {
      ref: DockerClusterRef;
      containerId: string;
      engine?: string;
    }): Promise<Observation | PartialObservation> {
      const { ref, containerId } = input;
      const nothing = { cluster: null, backends: [], loadBalancer: null };
      const dockerCluster = await reads.getDockerCluster(ref);
      if (!dockerCluster?.ownerClusterName) return { ...nothing, dockerCluster };
      const cluster = await reads.getOwnerCluster({
        namespace: ref.namespace,
        name: dockerCluster.ownerClusterName,
      });
      if (!cluster) return { ...nothing, dockerCluster };
      const { ipFamily } = cluster;
      const backends = await reads.listControlPlaneMachines({
        namespace: ref.namespace,
        clusterName: cluster.name,
        ipFamily,
      });
      const templateRef = dockerCluster.spec.loadBalancer?.customHAProxyConfigTemplateRef;
      const template =
        templateRef &&
        (await reads.getHAProxyTemplate({ namespace: ref.namespace, configMap: templateRef.name })).text;
      const read = { dockerCluster, cluster, backends, ...(template !== undefined && { template }) };
      const inspect: InspectInput = {
        dockerCluster: ref,
        containerId,
        ipFamily,
        port: dockerCluster.spec.controlPlaneEndpoint?.port ?? defaultEndpointPort,
      };
      if (input.engine && input.engine !== engine) {
        return { ...read, inspectOn: { engine: input.engine, input: inspect } };
      }
      return { ...read, loadBalancer: await reads.inspectLoadBalancer(inspect) };
    },
  };
}

export type ObservationActivities = ReturnType<typeof createObservationActivities>;
