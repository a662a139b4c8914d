// The idle check's one read: everything a Ready pass depended on, from both systems, through the same reads the
// pass makes. It writes nothing. One local activity instead of one per read keeps an idle resync to a single
// marker in history.
import { defaultEndpointPort } from '../api/dockercluster.js';
import type { DockerClusterRef } from '../api/refs.js';
import type { DockerActivities } from './docker.js';
import type { KubernetesActivities } from './kubernetes.js';
import type { Observation } from './types.js';

type Reads = Pick<
  KubernetesActivities,
  'getDockerCluster' | 'getOwnerCluster' | 'listControlPlaneMachines' | 'getHAProxyTemplate'
> &
  Pick<DockerActivities, 'inspectLoadBalancer'>;

export function createObservationActivities(reads: Reads) {
  return {
    /** The DockerCluster, its Cluster, the control-plane Machines, its template and its load balancer, as now. */
    async observeLoadBalancer(input: { ref: DockerClusterRef; containerId: string }): Promise<Observation> {
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
      const loadBalancer = await reads.inspectLoadBalancer({
        dockerCluster: ref,
        containerId,
        ipFamily,
        port: dockerCluster.spec.controlPlaneEndpoint?.port ?? defaultEndpointPort,
      });
      return { dockerCluster, cluster, backends, ...(template !== undefined && { template }), loadBalancer };
    },
  };
}

export type ObservationActivities = ReturnType<typeof createObservationActivities>;
