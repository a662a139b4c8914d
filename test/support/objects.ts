// What tests do as a CAPI user: Clusters and DockerClusters in one namespace of the real management cluster
// (CAPI's own controllers set owner references, copy the endpoint and delete a Cluster's DockerCluster), and a
// look at their load-balancer containers.
import * as k8s from '@kubernetes/client-node';
import { clusterManifest, dockerClusterManifest } from '../../scripts/local-stack.js';
import { ownerNamespaceLabel, ownerUidLabel } from '../../src/activities/load-balancer.js';
import { type Cluster, clusterResource } from '../../src/api/capi.js';
import {
  type DockerCluster,
  type DockerClusterSpec,
  dockerClusterResource,
} from '../../src/api/dockercluster.js';
import { mergePatch } from '../../src/clients.js';
import { createNamespace, docker, eventually, kubeConfig } from './stack.js';

export class TestObjects {
  readonly api: k8s.CustomObjectsApi;

  constructor(
    readonly namespace: string,
    config: k8s.KubeConfig = kubeConfig(),
  ) {
    this.api = config.makeApiClient(k8s.CustomObjectsApi);
  }

  static async inFreshNamespace(): Promise<TestObjects> {
    return new TestObjects(await createNamespace(kubeConfig()));
  }

  async createCluster(name: string, spec?: object): Promise<Cluster> {
    return (await this.api.createNamespacedCustomObject({
      ...clusterResource,
      namespace: this.namespace,
      body: clusterManifest(name, spec),
    })) as Cluster;
  }

  /** A DockerCluster; CAPI sets its owner reference and cluster-name label once a Cluster names it. */
  async createDockerCluster(
    name: string,
    options: { annotations?: Record<string, string>; spec?: DockerClusterSpec } = {},
  ): Promise<DockerCluster> {
    return (await this.api.createNamespacedCustomObject({
      ...dockerClusterResource,
      namespace: this.namespace,
      body: dockerClusterManifest(name, options),
    })) as DockerCluster;
  }

  /** A Cluster and the DockerCluster it names as its infrastructure, both named `name`; CAPI links them. */
  async createPair(
    name: string,
    options: { annotations?: Record<string, string>; spec?: DockerClusterSpec } = {},
  ) {
    const cluster = await this.createCluster(name);
    const dockerCluster = await this.createDockerCluster(name, options);
    return { cluster, dockerCluster };
  }

  /** One object of this namespace, or undefined when there is none. */
  private async get<T>(resource: typeof clusterResource, name: string): Promise<T | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        ...resource,
        namespace: this.namespace,
        name,
      })) as T;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private async mergePatch(resource: typeof clusterResource, name: string, body: object): Promise<void> {
    await this.api.patchNamespacedCustomObject(
      { ...resource, namespace: this.namespace, name, body },
      mergePatch,
    );
  }

  read(name: string): Promise<DockerCluster | undefined> {
    return this.get<DockerCluster>(dockerClusterResource, name);
  }

  readCluster(name: string): Promise<Cluster | undefined> {
    return this.get<Cluster>(clusterResource, name);
  }

  patch(name: string, body: object): Promise<void> {
    return this.mergePatch(dockerClusterResource, name, body);
  }

  patchCluster(name: string, body: object): Promise<void> {
    return this.mergePatch(clusterResource, name, body);
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject({
      ...dockerClusterResource,
      namespace: this.namespace,
      name,
    });
  }

  async deleteCluster(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject({ ...clusterResource, namespace: this.namespace, name });
  }

  untilReady(name: string, timeoutMs?: number): Promise<DockerCluster> {
    return eventually(
      `DockerCluster ${this.namespace}/${name} to be ready`,
      async () => {
        const object = await this.read(name);
        return object?.status?.ready ? object : undefined;
      },
      timeoutMs,
    );
  }

  untilGone(name: string, timeoutMs?: number): Promise<true> {
    return this.untilAbsent('DockerCluster', () => this.read(name), name, timeoutMs);
  }

  untilClusterGone(name: string, timeoutMs?: number): Promise<true> {
    return this.untilAbsent('Cluster', () => this.readCluster(name), name, timeoutMs);
  }

  private untilAbsent(kind: string, read: () => Promise<unknown>, name: string, timeoutMs?: number) {
    return eventually(
      `${kind} ${this.namespace}/${name} to be gone`,
      async () => ((await read()) === undefined ? (true as const) : undefined),
      timeoutMs,
    );
  }

  /** The load-balancer containers carrying this DockerCluster uid in our ownership label. */
  async containersOf(uid: string, engine = docker()): Promise<import('dockerode').ContainerInfo[]> {
    return await engine.listContainers({ all: true, filters: { label: [`${ownerUidLabel}=${uid}`] } });
  }

  /** Removes every load-balancer container of this namespace, whatever state the test left it in. */
  async removeContainers(engine = docker()): Promise<void> {
    const label = `${ownerNamespaceLabel}=${this.namespace}`;
    for (const info of await engine.listContainers({ all: true, filters: { label: [label] } })) {
      await engine
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          // Removed meanwhile by the provider (a replacement or a deletion it was finishing).
          if (error.statusCode !== 404) throw error;
        });
    }
  }
}
