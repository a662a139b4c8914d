// The benchmark's own Kubernetes traffic (as admin, or as the provider's identity for the floor's status
// writes): every request it makes is counted by verb and resource, as the API server's
// apiserver_request_total counts them, so that it can be subtracted from the server's counters.
import * as k8s from '@kubernetes/client-node';
import { clusterGroup, clusterResource, clusterVersion } from '../../src/api/capi.js';
import {
  apiVersion,
  type DockerCluster,
  dockerClusterResource,
  finalizer,
  group,
  plural,
  version,
} from '../../src/api/dockercluster.js';
import { mergePatch } from '../../src/clients.js';
import { Counter } from './stats.js';

export interface Created {
  name: string;
  uid: string;
  object: DockerCluster;
  /** Date.now() when the create request was sent and when its response came back. */
  sentAt: number;
  returnedAt: number;
}

export interface ObjectEvent {
  type: string;
  object: DockerCluster;
  at: number;
}

export class BenchKube {
  /** The benchmark's own requests, keyed like apiserverRequestKey(): "VERB resource[/subresource]". */
  readonly own = new Counter();
  readonly objects: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;

  constructor(readonly config: k8s.KubeConfig) {
    this.objects = config.makeApiClient(k8s.CustomObjectsApi);
    this.core = config.makeApiClient(k8s.CoreV1Api);
  }

  async createNamespace(name: string): Promise<void> {
    this.own.add('POST namespaces');
    await this.core.createNamespace({
      body: { metadata: { name, labels: { 'capd-temporal/bench': 'true' } } },
    });
  }

  async createCluster(namespace: string, name: string): Promise<{ name: string; uid: string }> {
    this.own.add('POST clusters');
    const cluster = (await this.objects.createNamespacedCustomObject({
      ...clusterResource,
      namespace,
      body: {
        apiVersion: `${clusterGroup}/${clusterVersion}`,
        kind: 'Cluster',
        metadata: { name },
        spec: { infrastructureRef: { apiGroup: group, kind: 'DockerCluster', name } },
      },
    })) as { metadata: { name: string; uid: string } };
    return { name: cluster.metadata.name, uid: cluster.metadata.uid };
  }

  /** A DockerCluster, with the owner reference CAPI's Cluster controller would set when owner is given. */
  async createDockerCluster(
    namespace: string,
    name: string,
    owner?: { name: string; uid: string },
  ): Promise<Created> {
    this.own.add('POST dockerclusters');
    const sentAt = Date.now();
    const object = (await this.objects.createNamespacedCustomObject({
      ...dockerClusterResource,
      namespace,
      body: {
        apiVersion,
        kind: 'DockerCluster',
        metadata: {
          name,
          labels: { 'cluster.x-k8s.io/cluster-name': owner?.name ?? name },
          ...(owner && {
            ownerReferences: [
              {
                apiVersion: `${clusterGroup}/${clusterVersion}`,
                kind: 'Cluster',
                name: owner.name,
                uid: owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }),
        },
        spec: {},
      },
    })) as DockerCluster;
    return { name, uid: object.metadata.uid as string, object, sentAt, returnedAt: Date.now() };
  }

  async deleteDockerCluster(namespace: string, name: string): Promise<void> {
    this.own.add('DELETE dockerclusters');
    await this.objects.deleteNamespacedCustomObject({ ...dockerClusterResource, namespace, name });
  }

  /**
   * Watches the DockerClusters of a namespace from now on. The API server counts a WATCH when it ends, so
   * the benchmark counts it then, and stops its watches only after a phase's last metrics scrape. A watch
   * that ends resumes where it was; when that is too old (410 Gone, e.g. after someone re-applied the CRD,
   * which resets every watch on it), it lists again and reports what changed meanwhile.
   */
  async watchDockerClusters(namespace: string, onEvent: (event: ObjectEvent) => void) {
    const watch = new k8s.Watch(this.config);
    const path = `/apis/${group}/${version}/namespaces/${namespace}/${plural}`;
    const known = new Set<string>();
    let controller: AbortController | undefined;
    let stopped = false;
    let resourceVersion: string | undefined;
    let backoffMs = 200;
    const deliver = (type: string, object: DockerCluster) => {
      const name = object.metadata?.name as string;
      if (type === 'DELETED') known.delete(name);
      else known.add(name);
      onEvent({ type, object, at: Date.now() });
    };
    const relist = async () => {
      this.own.add('LIST dockerclusters');
      const list = (await this.objects.listNamespacedCustomObject({
        ...dockerClusterResource,
        namespace,
      })) as {
        metadata?: { resourceVersion?: string };
        items: DockerCluster[];
      };
      const present = new Set(list.items.map((item) => item.metadata.name as string));
      for (const name of [...known]) {
        if (!present.has(name)) deliver('DELETED', { metadata: { name } } as DockerCluster);
      }
      for (const item of list.items) deliver('MODIFIED', item);
      resourceVersion = list.metadata?.resourceVersion;
    };
    const connect = async (): Promise<void> => {
      const connectedAt = Date.now();
      if (resourceVersion === undefined && known.size > 0) await relist();
      controller = await watch.watch(
        path,
        { allowWatchBookmarks: false, ...(resourceVersion && { resourceVersion }) },
        (type, object: DockerCluster & { code?: number }) => {
          if (type === 'ERROR') {
            if (object.code === 410) resourceVersion = undefined;
            return;
          }
          resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
          deliver(type, object);
        },
        (error) => {
          if (stopped) return;
          this.own.add('WATCH dockerclusters');
          if (error) console.error(`[bench] watch on ${namespace} ended: ${(error as Error).message}`);
          // A watch that ends at once again and again backs off instead of spinning.
          backoffMs = Date.now() - connectedAt < 1_000 ? Math.min(backoffMs * 2, 5_000) : 200;
          reconnect();
        },
      );
    };
    const reconnect = () => {
      setTimeout(() => {
        if (stopped) return;
        connect().catch((reason) => {
          console.error(`[bench] re-watch on ${namespace} failed: ${reason}`);
          backoffMs = Math.min(backoffMs * 2, 5_000);
          reconnect();
        });
      }, backoffMs);
    };
    await connect();
    return {
      stop: () => {
        stopped = true;
        controller?.abort();
        this.own.add('WATCH dockerclusters');
      },
    };
  }

  /**
   * Removes everything the benchmark put into a namespace (uncounted: it runs after the measurements), then
   * the namespace itself. The stack runs no namespace controller, so the namespace is finalized by hand once
   * it is empty.
   */
  async removeNamespace(namespace: string): Promise<void> {
    const list = (await this.objects.listNamespacedCustomObject({ ...dockerClusterResource, namespace })) as {
      items: DockerCluster[];
    };
    for (const object of list.items) {
      const name = object.metadata.name as string;
      if (object.metadata.finalizers?.includes(finalizer)) {
        await this.objects
          .patchNamespacedCustomObject(
            { ...dockerClusterResource, namespace, name, body: { metadata: { finalizers: null } } },
            mergePatch,
          )
          .catch(() => undefined);
      }
      await this.objects
        .deleteNamespacedCustomObject({ ...dockerClusterResource, namespace, name })
        .catch(() => undefined);
    }
    const clusterList = (await this.objects.listNamespacedCustomObject({
      ...clusterResource,
      namespace,
    })) as {
      items: { metadata: { name: string } }[];
    };
    for (const cluster of clusterList.items) {
      await this.objects
        .deleteNamespacedCustomObject({ ...clusterResource, namespace, name: cluster.metadata.name })
        .catch(() => undefined);
    }
    await this.core.deleteCollectionNamespacedEvent({ namespace }).catch(() => undefined);
    await this.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    const current = await this.core.readNamespace({ name: namespace }).catch(() => undefined);
    if (current?.spec?.finalizers?.length) {
      await this.core
        .replaceNamespaceFinalize({ name: namespace, body: { ...current, spec: { finalizers: [] } } })
        .catch((error) => console.error(`[bench] finalizing namespace ${namespace}: ${error.message}`));
    }
  }
}

/** A merge patch of status.ready through the status subresource, as the floor writes it. */
export async function patchReady(objects: k8s.CustomObjectsApi, namespace: string, name: string) {
  await objects.patchNamespacedCustomObjectStatus(
    { ...dockerClusterResource, namespace, name, body: { status: { ready: true } } },
    mergePatch,
  );
}
