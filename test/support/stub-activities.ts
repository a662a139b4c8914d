// Stub activities for the workflow branch tests: a small in-memory world the test changes, and a log of
// every call the workflow made. The workflow itself runs for real, on the real Temporal dev server.
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import { createObservationActivities } from '../../src/activities/observation.js';
import type { Backend, ClusterView, DockerClusterView } from '../../src/activities/types.js';
import type { DockerClusterStatus } from '../../src/api/dockercluster.js';
import { defaultEngine } from '../../src/api/engines.js';
import { statusAfterPass } from '../../src/api/status.js';

export interface StubWorld {
  dockerCluster: DockerClusterView | null;
  cluster: ClusterView | null;
  containerId?: string;
  ip: string;
  /** The host port the load balancer publishes the endpoint port on. */
  hostPort?: string;
  /** The load balancer runs (the default while there is one). */
  running?: boolean;
  /** The control-plane Machines with an address. */
  backends?: Backend[];
  /** ConfigMaps holding HAProxy templates, by name: their key `value`. */
  templates?: Record<string, string>;
  /** The Docker engines with a worker (default: the default engine). */
  servedEngines?: string[];
  /** The DockerCluster's status, as the real updateStatus computes it from each pass. */
  status?: DockerClusterStatus;
}

export interface Call {
  name: keyof Activities;
  args: unknown[];
}

export function ownedDockerCluster(overrides: Partial<DockerClusterView> = {}): DockerClusterView {
  return {
    generation: 1,
    deleting: false,
    hasFinalizer: false,
    pausedAnnotation: false,
    endpointFromLoadBalancer: false,
    ownerClusterName: 'cluster-a',
    spec: {},
    ...overrides,
  };
}

export function ownerCluster(overrides: Partial<ClusterView> = {}): ClusterView {
  return { name: 'cluster-a', ipFamily: 'IPv4', ...overrides };
}

/**
 * Activities over the world. `failures` makes an activity throw the given errors on its first calls, one
 * error per call, before it behaves normally.
 */
export function stubActivities(world: StubWorld, failures: Partial<Record<keyof Activities, Error[]>> = {}) {
  const calls: Call[] = [];
  const statuses: DockerClusterStatus[] = [];
  function record(name: keyof Activities, args: unknown[]) {
    calls.push({ name, args });
    const error = failures[name]?.shift();
    if (error) throw error;
  }
  // The reads, unrecorded: the recorded activities below and the idle check's observation share them.
  const reads = {
    async getDockerCluster() {
      return world.dockerCluster && structuredClone(world.dockerCluster);
    },
    async getOwnerCluster() {
      return world.cluster && structuredClone(world.cluster);
    },
    async listControlPlaneMachines() {
      return structuredClone(world.backends ?? []);
    },
    async getHAProxyTemplate(input: { configMap: string }) {
      const text = world.templates?.[input.configMap];
      if (text === undefined) {
        throw ApplicationFailure.nonRetryable(`ConfigMap ${input.configMap} does not exist`, 'NotFound');
      }
      return { configMap: input.configMap, text };
    },
    async inspectLoadBalancer(input: { containerId: string }) {
      if (!world.containerId || world.containerId !== input.containerId) return null;
      return {
        containerId: world.containerId,
        running: world.running ?? true,
        image: 'capd-temporal/haproxy:stub',
        ip: world.ip,
        ...(world.hostPort && { hostPort: world.hostPort }),
      };
    },
  };
  const observation = createObservationActivities(reads, defaultEngine);
  const activities: Activities = {
    async getDockerCluster(...args) {
      record('getDockerCluster', args);
      return reads.getDockerCluster();
    },
    async getOwnerCluster(...args) {
      record('getOwnerCluster', args);
      return reads.getOwnerCluster();
    },
    async listControlPlaneMachines(...args) {
      record('listControlPlaneMachines', args);
      return reads.listControlPlaneMachines();
    },
    async getHAProxyTemplate(...args) {
      record('getHAProxyTemplate', args);
      return reads.getHAProxyTemplate(args[0]);
    },
    async inspectLoadBalancer(...args) {
      record('inspectLoadBalancer', args);
      return reads.inspectLoadBalancer(args[0]);
    },
    async observeLoadBalancer(...args) {
      record('observeLoadBalancer', args);
      return observation.observeLoadBalancer(...args);
    },
    async placeOnEngine(...args) {
      record('placeOnEngine', args);
      if (!world.dockerCluster) throw ApplicationFailure.nonRetryable('no DockerCluster', 'NotFound');
      world.dockerCluster.engine ??= (world.servedEngines ?? [defaultEngine])[0];
      return world.dockerCluster.engine as string;
    },
    async requireEngineServed(...args) {
      record('requireEngineServed', args);
      const { engine } = args[0];
      if (!(world.servedEngines ?? [defaultEngine]).includes(engine)) {
        throw ApplicationFailure.nonRetryable(
          `no worker serves Docker engine ${engine}`,
          'EngineUnavailable',
        );
      }
    },
    async addFinalizer(...args) {
      record('addFinalizer', args);
      if (world.dockerCluster) world.dockerCluster.hasFinalizer = true;
    },
    async removeFinalizer(...args) {
      record('removeFinalizer', args);
      if (world.dockerCluster) world.dockerCluster.hasFinalizer = false;
    },
    async setControlPlaneEndpoint(...args) {
      record('setControlPlaneEndpoint', args);
      if (!world.dockerCluster) return { generation: 0 };
      const current = world.dockerCluster.spec.controlPlaneEndpoint;
      world.dockerCluster.spec.controlPlaneEndpoint = {
        host: current?.host || args[1].host,
        port: current?.port ?? args[1].port,
      };
      world.dockerCluster.endpointFromLoadBalancer ||= !current?.host;
      world.dockerCluster.generation += 1;
      return { generation: world.dockerCluster.generation };
    },
    async updateStatus(...args) {
      record('updateStatus', args);
      const generation = world.dockerCluster?.generation ?? 0;
      const next = statusAfterPass(world.status ?? {}, args[1], generation, new Date().toISOString());
      // As the API server sees it: an unchanged status is no write.
      if (isDeepStrictEqual(next, world.status)) return;
      world.status = next;
      statuses.push(structuredClone(next));
    },
    async recordEvent(...args) {
      record('recordEvent', args);
    },
    async ensureNetwork(...args) {
      record('ensureNetwork', args);
    },
    async createLoadBalancer(...args) {
      record('createLoadBalancer', args);
      const created = !world.containerId;
      world.containerId ??= 'c0ffee0000000000000000000000000000000000000000000000000000000000';
      return { containerId: world.containerId, created };
    },
    async configureLoadBalancer(...args) {
      record('configureLoadBalancer', args);
      return { reloaded: true };
    },
    async getLoadBalancerAddress(...args) {
      record('getLoadBalancerAddress', args);
      return { containerId: world.containerId as string, ip: world.ip, hostPort: world.hostPort };
    },
    async deleteLoadBalancer(...args) {
      record('deleteLoadBalancer', args);
      const removed = Boolean(world.containerId);
      delete world.containerId;
      return { removed };
    },
  };

  return {
    activities,
    calls,
    names: () => calls.map((call) => call.name),
    count: (name: keyof Activities) => calls.filter((call) => call.name === name).length,
    /** The status after each write that changed it, oldest first. */
    statuses: () => statuses,
    /** A condition of the latest status written, as `status/reason`. */
    condition: (type: string) => {
      const found = statuses.at(-1)?.conditions?.find((condition) => condition.type === type);
      return found && { ...found, summary: `${found.status}/${found.reason}` };
    },
    events: () =>
      calls
        .filter((call) => call.name === 'recordEvent')
        .map((call) => call.args[1] as { type: string; reason: string; message: string }),
  };
}
