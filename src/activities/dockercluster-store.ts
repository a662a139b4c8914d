// How the Kubernetes activities read and write DockerClusters: by reference (uid checked), all that the provider
// manages, and merge patches that apply only to the version read.
import type * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { watchFilterLabel } from '../api/capi.js';
import { type DockerCluster, dockerClusterResource } from '../api/dockercluster.js';
import { providerName } from '../api/provider.js';
import type { DockerClusterRef } from '../api/refs.js';
import { isApiError, mergePatch } from '../clients.js';
import { explain } from './api-failures.js';

/** The DockerClusters this provider manages: its watch namespace and watch filter, when set. */
export interface ManagedScope {
  namespace?: string;
  watchFilter?: string;
}

export function dockerClusterStore(objects: k8s.CustomObjectsApi, scope: ManagedScope) {
  /** The DockerCluster this reference names, or undefined when it is gone or was re-created. */
  async function read(ref: DockerClusterRef): Promise<DockerCluster | undefined> {
    try {
      const object = (await objects.getNamespacedCustomObject({
        ...dockerClusterResource,
        namespace: ref.namespace,
        name: ref.name,
      })) as DockerCluster;
      return object.metadata.uid === ref.uid ? object : undefined;
    } catch (error) {
      if (isApiError(error, 404)) return undefined;
      return explain(`reading DockerCluster ${ref.namespace}/${ref.name}`, error);
    }
  }

  return {
    read,

    async readExisting(ref: DockerClusterRef, action: string): Promise<DockerCluster> {
      const object = await read(ref);
      if (!object) {
        throw ApplicationFailure.nonRetryable(
          `${action}: DockerCluster ${ref.namespace}/${ref.name} (uid ${ref.uid}) no longer exists`,
          'NotFound',
        );
      }
      return object;
    },

    /** Every DockerCluster in the provider's watch namespace and filter. */
    async listManaged(action: string): Promise<DockerCluster[]> {
      const labelSelector = scope.watchFilter && `${watchFilterLabel}=${scope.watchFilter}`;
      const request = { ...dockerClusterResource, ...(labelSelector && { labelSelector }) };
      try {
        const list = (await (scope.namespace
          ? objects.listNamespacedCustomObject({ ...request, namespace: scope.namespace })
          : objects.listClusterCustomObject(request))) as { items: DockerCluster[] };
        return list.items;
      } catch (error) {
        return explain(`${action}: listing DockerClusters`, error);
      }
    },

    /** A merge patch that only applies to the version read, so concurrent writers are never overwritten. */
    async patchVersion(
      object: DockerCluster,
      body: object,
      action: string,
      status = false,
    ): Promise<DockerCluster> {
      const request = {
        ...dockerClusterResource,
        namespace: object.metadata.namespace as string,
        name: object.metadata.name as string,
        body: {
          ...body,
          metadata: {
            ...('metadata' in body ? (body.metadata as object) : {}),
            resourceVersion: object.metadata.resourceVersion,
          },
        },
        fieldManager: providerName,
      };
      try {
        return (await (status
          ? objects.patchNamespacedCustomObjectStatus(request, mergePatch)
          : objects.patchNamespacedCustomObject(request, mergePatch))) as DockerCluster;
      } catch (error) {
        return explain(action, error);
      }
    },
  };
}
