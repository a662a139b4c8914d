// The benchmark's Kubernetes side: namespaces and objects as a CAPI user makes them, when each DockerCluster
// was seen ready or gone, and the provider identity's requests as the kube-apiserver itself counts them.
import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { clusterManifest, dockerClusterManifest } from '../../scripts/local-stack.js';
import { clusterResource } from '../../src/api/capi.js';
import { type DockerCluster, dockerClusterResource, plural } from '../../src/api/dockercluster.js';
import { refOf } from '../../src/api/refs.js';
import { mergePatch } from '../../src/clients.js';
import { sleep, until } from './stats.js';

const benchLabel = 'capd-temporal/bench';

export class Kube {
  readonly objects: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;

  constructor(
    readonly config: k8s.KubeConfig,
    readonly runId: string,
  ) {
    this.objects = config.makeApiClient(k8s.CustomObjectsApi);
    this.core = config.makeApiClient(k8s.CoreV1Api);
  }

  async createNamespace(name: string): Promise<string> {
    const namespace = `bench-${this.runId}-${name}`;
    await this.core.createNamespace({
      body: { metadata: { name: namespace, labels: { [benchLabel]: this.runId } } },
    });
    return namespace;
  }

  /** A DockerCluster; with a Cluster naming it first when `withCluster` (CAPI then sets its owner reference). */
  async create(namespace: string, name: string, withCluster: boolean) {
    if (withCluster) {
      await this.objects.createNamespacedCustomObject({
        ...clusterResource,
        namespace,
        body: clusterManifest(name),
      });
    }
    const object = (await this.objects.createNamespacedCustomObject({
      ...dockerClusterResource,
      namespace,
      body: dockerClusterManifest(name),
    })) as DockerCluster;
    return { name, ref: refOf(object), uid: object.metadata.uid as string, returnedAt: Date.now() };
  }

  async delete(namespace: string, name: string, resource = dockerClusterResource): Promise<void> {
    await this.objects.deleteNamespacedCustomObject({ ...resource, namespace, name });
  }

  deleteCluster(namespace: string, name: string): Promise<void> {
    return this.delete(namespace, name, clusterResource);
  }

  /** Deletes the run's namespaces; DockerClusters a failed phase left keep no finalizer to hold them up. */
  async removeNamespaces(): Promise<void> {
    const { items } = await this.core.listNamespace({ labelSelector: `${benchLabel}=${this.runId}` });
    for (const namespace of items.map((item) => item.metadata?.name as string)) {
      const left = (await this.objects.listNamespacedCustomObject({
        ...dockerClusterResource,
        namespace,
      })) as {
        items: DockerCluster[];
      };
      for (const { metadata } of left.items) {
        const body = { metadata: { finalizers: null } };
        await this.objects.patchNamespacedCustomObject(
          { ...dockerClusterResource, namespace, name: metadata.name as string, body },
          mergePatch,
        );
      }
      await this.core.deleteNamespace({ name: namespace });
    }
  }

  /** When each DockerCluster of a namespace was first seen ready and seen gone, from an informer opened now. */
  async track(namespace: string) {
    const readyAt = new Map<string, number>();
    const ownedAt = new Map<string, number>();
    const goneAt = new Map<string, number>();
    const path = `/apis/${dockerClusterResource.group}/${dockerClusterResource.version}/namespaces/${namespace}/${plural}`;
    const list = () => this.objects.listNamespacedCustomObject({ ...dockerClusterResource, namespace });
    const informer = k8s.makeInformer<DockerCluster>(this.config, path, list as never);
    const seen = (object: DockerCluster) => {
      const name = object.metadata.name as string;
      if (object.status?.ready && !readyAt.has(name)) readyAt.set(name, Date.now());
      if (object.metadata.ownerReferences?.length && !ownedAt.has(name)) ownedAt.set(name, Date.now());
    };
    let stopped = false;
    informer.on('add', seen);
    informer.on('update', seen);
    informer.on('delete', (object) => goneAt.set(object.metadata.name as string, Date.now()));
    // A watch that ends (a test re-applying the CRD resets every watch on it) is listed and watched again.
    informer.on('error', () =>
      setTimeout(() => !stopped && void informer.start().catch(() => undefined), 500),
    );
    await informer.start();
    return {
      readyAt,
      ownedAt,
      goneAt,
      stop: () => {
        stopped = true;
        void informer.stop();
      },
    };
  }
}

export type RequestCount = { requests: number; writes: number };

/**
 * The requests of one user (the provider's identity) as the API server's API Priority and Fairness counts
 * them: two FlowSchemas match only that user, one its writes and, after it, one everything else; both send
 * it to the priority level it reaches anyway. No other client of the shared stack can add to these counts.
 */
export async function countRequestsOf(
  admin: k8s.KubeConfig,
  user: string,
  probe: () => Promise<unknown>,
): Promise<{ count: () => Promise<RequestCount>; remove: () => Promise<void> }> {
  const flowcontrol = admin.makeApiClient(k8s.FlowcontrolApiserverV1Api);
  const subjects = [{ kind: 'User', user: { name: user } }];
  const everything = { apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true };
  const schemas = {
    [`${user}-writes`]: {
      resourceRules: [{ ...everything, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] }],
    },
    [`${user}-rest`]: {
      resourceRules: [{ ...everything, verbs: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    },
  };
  const names = Object.keys(schemas);
  const remove = async () => {
    for (const name of names) await flowcontrol.deleteFlowSchema({ name }).catch(() => undefined);
  };
  for (const [index, [name, rule]] of Object.entries(schemas).entries()) {
    await flowcontrol.createFlowSchema({
      body: {
        metadata: { name },
        spec: {
          matchingPrecedence: 8000 + index,
          priorityLevelConfiguration: { name: 'global-default' },
          distinguisherMethod: { type: 'ByUser' },
          rules: [{ subjects, ...rule }],
        },
      },
    });
  }
  const tls = {};
  await admin.applyToHTTPSOptions(tls);
  const metricsUrl = new URL('/metrics', admin.getCurrentCluster()?.server);
  const count = async (): Promise<RequestCount> => {
    const text = await new Promise<string>((resolve, reject) => {
      request(metricsUrl, tls, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body)).on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    const dispatched = (schema: string) =>
      [...text.matchAll(/^apiserver_flowcontrol_dispatched_requests_total\{(.*)\} (\S+)$/gm)]
        .filter(([, labels]) => labels?.includes(`flow_schema="${schema}"`))
        .reduce((sum, [, , value]) => sum + Number(value), 0);
    const writes = dispatched(names[0] as string);
    return { requests: writes + dispatched(names[1] as string), writes };
  };
  try {
    // The API server takes new FlowSchemas in a moment later: until then the identity is counted elsewhere.
    await until(
      'the FlowSchemas to count the identity',
      async () => {
        await probe().catch(() => undefined);
        return (await count()).requests > 0;
      },
      30_000,
      500,
    );
    await sleep(100);
  } catch (error) {
    await remove();
    throw error;
  }
  return { count, remove };
}
