// Kubernetes activities: each reads or writes one thing on the API server, and is safe to run again.
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import {
  type Cluster,
  clusterNameLabel,
  clusterResource,
  controlPlaneLabel,
  type Machine,
  machineResource,
} from '../api/capi.js';
import {
  apiVersion,
  type ControlPlaneEndpoint,
  type DockerClusterStatus,
  endpointFromLoadBalancerAnnotation,
  finalizer,
  haproxyTemplateKey,
  kind,
} from '../api/dockercluster.js';
import { providerName } from '../api/provider.js';
import type { DockerClusterRef } from '../api/refs.js';
import { type PassStatus, statusAfterPass } from '../api/status.js';
import { isApiError } from '../clients.js';
import { explain } from './api-failures.js';
import { dockerClusterStore, type ManagedScope } from './dockercluster-store.js';
import type {
  Backend,
  ClusterView,
  DockerClusterView,
  EventRecord,
  HAProxyTemplate,
  IpFamily,
} from './types.js';
import { backendsOf, clusterView, dockerClusterView } from './views.js';

export function createKubernetesActivities(kubeConfig: k8s.KubeConfig, scope: ManagedScope = {}) {
  const objects = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);

  const store = dockerClusterStore(objects, scope);
  const { read, readExisting, patchVersion } = store;

  /**
   * Refuses an address that is the endpoint of another DockerCluster this provider manages: its load balancer is
   * gone for a moment (removed by hand, lost with the engine), and a new one took the address meanwhile. Read
   * after the new load balancer holds the address, so no endpoint written later can name it too.
   */
  async function requireEndpointUnclaimed(ref: DockerClusterRef, host: string, action: string) {
    const claimant = (await store.listManaged(action)).find(
      (other) =>
        other.metadata.uid !== ref.uid &&
        other.spec?.controlPlaneEndpoint?.host === host &&
        other.metadata.annotations?.[endpointFromLoadBalancerAnnotation] === 'true',
    );
    if (!claimant) return;
    throw ApplicationFailure.nonRetryable(
      `${action}: the load balancer's address ${host} is already the endpoint of DockerCluster ` +
        `${claimant.metadata.namespace}/${claimant.metadata.name}, whose load balancer is missing; ` +
        'the endpoint is not written, and the load balancer is re-created on another address',
      'EndpointTaken',
    );
  }

  /** Adds or removes our finalizer (removing it from an object that is gone is done already). */
  async function setFinalizer(ref: DockerClusterRef, wanted: boolean): Promise<void> {
    const action = `${wanted ? 'adding' : 'removing'} the finalizer of DockerCluster ${ref.namespace}/${ref.name}`;
    const object = wanted ? await readExisting(ref, action) : await read(ref);
    if (!object) return undefined;
    const finalizers = object.metadata.finalizers ?? [];
    if (finalizers.includes(finalizer) === wanted) return;
    const next = wanted ? [...finalizers, finalizer] : finalizers.filter((name) => name !== finalizer);
    await patchVersion(object, { metadata: { finalizers: next } }, action);
  }

  return {
    async getDockerCluster(ref: DockerClusterRef): Promise<DockerClusterView | null> {
      const object = await read(ref);
      if (!object) return null;
      return dockerClusterView(object);
    },

    async getOwnerCluster(input: { namespace: string; name: string }): Promise<ClusterView | null> {
      let cluster: Cluster;
      try {
        cluster = (await objects.getNamespacedCustomObject({ ...clusterResource, ...input })) as Cluster;
      } catch (error) {
        if (isApiError(error, 404)) return null;
        return explain(`reading Cluster ${input.namespace}/${input.name}`, error);
      }
      return clusterView(cluster);
    },

    /** The control-plane Machines of a Cluster that have an address, as load-balancer backends. */
    async listControlPlaneMachines(input: {
      namespace: string;
      clusterName: string;
      ipFamily: IpFamily;
    }): Promise<Backend[]> {
      let machines: k8s.KubernetesListObject<Machine>;
      try {
        machines = (await objects.listNamespacedCustomObject({
          ...machineResource,
          namespace: input.namespace,
          labelSelector: `${clusterNameLabel}=${input.clusterName},${controlPlaneLabel}`,
        })) as k8s.KubernetesListObject<Machine>;
      } catch (error) {
        return explain(
          `listing the control-plane Machines of Cluster ${input.namespace}/${input.clusterName}`,
          error,
        );
      }
      return backendsOf(machines.items, input.ipFamily);
    },

    /** The custom HAProxy config template a DockerCluster names (spec.loadBalancer.customHAProxyConfigTemplateRef). */
    async getHAProxyTemplate(input: { namespace: string; configMap: string }): Promise<HAProxyTemplate> {
      const where = `ConfigMap ${input.namespace}/${input.configMap} (spec.loadBalancer.customHAProxyConfigTemplateRef)`;
      let configMap: k8s.V1ConfigMap;
      try {
        configMap = await core.readNamespacedConfigMap({ namespace: input.namespace, name: input.configMap });
      } catch (error) {
        if (!isApiError(error, 404)) return explain(`reading ${where}`, error);
        throw ApplicationFailure.nonRetryable(
          `${where} does not exist: create it with the template under key ${haproxyTemplateKey}, or remove the reference`,
          'NotFound',
        );
      }
      const text = configMap.data?.[haproxyTemplateKey];
      if (text === undefined) {
        throw ApplicationFailure.nonRetryable(
          `${where} has no key ${haproxyTemplateKey}: put the template there`,
          'Invalid',
        );
      }
      return { configMap: input.configMap, text };
    },

    async addFinalizer(ref: DockerClusterRef): Promise<void> {
      await setFinalizer(ref, true);
    },

    async removeFinalizer(ref: DockerClusterRef): Promise<void> {
      await setFinalizer(ref, false);
    },

    /**
     * Fills in what is empty in spec.controlPlaneEndpoint (the CRD refuses to change it once set), marking a
     * host taken from the load balancer as such. Returns the object's generation after the write, for
     * status.observedGeneration.
     */
    async setControlPlaneEndpoint(
      ref: DockerClusterRef,
      loadBalancer: Required<ControlPlaneEndpoint>,
    ): Promise<{ generation: number }> {
      const action = `setting spec.controlPlaneEndpoint of DockerCluster ${ref.namespace}/${ref.name}`;
      let object = await readExisting(ref, action);
      const current = object.spec?.controlPlaneEndpoint ?? {};
      const wanted = { host: current.host || loadBalancer.host, port: current.port || loadBalancer.port };
      if (!isDeepStrictEqual(current, wanted)) {
        if (!current.host) await requireEndpointUnclaimed(ref, loadBalancer.host, action);
        const annotations = current.host ? {} : { [endpointFromLoadBalancerAnnotation]: 'true' };
        object = await patchVersion(
          object,
          { metadata: { annotations }, spec: { controlPlaneEndpoint: wanted } },
          action,
        );
      }
      return { generation: object.metadata.generation ?? 0 };
    },

    /**
     * Writes the status a reconcile pass leaves, once at the end of the pass, through the status subresource;
     * an unchanged status costs no write.
     */
    async updateStatus(ref: DockerClusterRef, pass: PassStatus): Promise<void> {
      const object = await read(ref);
      if (!object) return;
      const current: DockerClusterStatus = object.status ?? {};
      const next = statusAfterPass(current, pass, object.metadata.generation ?? 0, new Date().toISOString());
      if (isDeepStrictEqual(current, next)) return;
      // Merge patch: null removes a key; conditions are replaced as a whole list.
      const body = {
        status: {
          ...next,
          failureReason: next.failureReason ?? null,
          failureMessage: next.failureMessage ?? null,
        },
      };
      await patchVersion(
        object,
        body,
        `updating the status of DockerCluster ${ref.namespace}/${ref.name}`,
        true,
      );
    },

    /** Records a Kubernetes Event on the DockerCluster; the key makes a retried call a no-op. */
    async recordEvent(ref: DockerClusterRef, event: EventRecord): Promise<void> {
      const now = new Date();
      try {
        await core.createNamespacedEvent({
          namespace: ref.namespace,
          body: {
            metadata: { name: `${ref.name}.${event.key}`, namespace: ref.namespace },
            involvedObject: { apiVersion, kind, name: ref.name, namespace: ref.namespace, uid: ref.uid },
            type: event.type,
            reason: event.reason,
            message: event.message,
            source: { component: providerName },
            reportingComponent: providerName,
            reportingInstance: hostname(),
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (error) {
        if (isApiError(error, 409)) return;
        explain(`recording event ${event.reason} on DockerCluster ${ref.namespace}/${ref.name}`, error);
      }
    },
  };
}

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
