// The CLI's reads of DockerClusters, with a short timeout and errors that say which API server failed.
import * as k8s from '@kubernetes/client-node';
import { type DockerCluster, dockerClusterResource } from '../api/dockercluster.js';
import { isApiError, kubeConfigFrom } from '../clients.js';
import type { Config } from '../config.js';
import { CliError, exitCodes, KubernetesUnreachableError, NotFoundError } from './errors.js';

const requestTimeoutMs = 5_000;

/** Aborts every request that has no answer within requestTimeoutMs. */
const timeout = {
  middleware: [
    {
      pre: (context: k8s.RequestContext) => {
        context.setSignal(AbortSignal.timeout(requestTimeoutMs));
        return new k8s.Observable(Promise.resolve(context));
      },
      post: (context: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(context)),
    },
  ],
  middlewareMergeStrategy: 'append' as const,
};

export class DockerClusters {
  private constructor(
    private readonly objects: k8s.CustomObjectsApi,
    private readonly server: string,
    private readonly kubeconfig: string,
  ) {}

  static from(config: Config): DockerClusters {
    const kubeconfig = config.KUBECONFIG ?? 'default (~/.kube/config or in-cluster)';
    let kubeConfig: k8s.KubeConfig;
    try {
      kubeConfig = kubeConfigFrom(config);
    } catch (error) {
      throw new KubernetesUnreachableError(undefined, kubeconfig, error);
    }
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) {
      throw new KubernetesUnreachableError(
        undefined,
        kubeconfig,
        new Error('the kubeconfig names no current cluster'),
      );
    }
    return new DockerClusters(kubeConfig.makeApiClient(k8s.CustomObjectsApi), server, kubeconfig);
  }

  async get(namespace: string, name: string): Promise<DockerCluster> {
    try {
      return (await this.objects.getNamespacedCustomObject(
        { ...dockerClusterResource, namespace, name },
        timeout,
      )) as DockerCluster;
    } catch (error) {
      if (isApiError(error, 404) && isObjectNotFound((error as k8s.ApiException<unknown>).body)) {
        throw new NotFoundError(namespace, name);
      }
      throw this.failure(error);
    }
  }

  /** Every DockerCluster, in all namespaces, sorted by namespace and name. */
  async list(): Promise<DockerCluster[]> {
    try {
      const list = (await this.objects.listClusterCustomObject(
        dockerClusterResource,
        timeout,
      )) as k8s.KubernetesListObject<DockerCluster>;
      return list.items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): CliError {
    if (error instanceof k8s.ApiException) {
      const status = parse(error.body);
      const message = typeof status?.message === 'string' ? status.message : `HTTP ${error.code}`;
      const hint = error.code === 404 ? ' (is the DockerCluster CRD installed?)' : '';
      return new CliError(
        `the Kubernetes API at ${this.server} refused: ${message}${hint}`,
        exitCodes.unexpected,
        {
          cause: error,
        },
      );
    }
    const cause =
      error instanceof Error && error.name === 'AbortError'
        ? new Error(`no answer within ${requestTimeoutMs / 1000} s`)
        : error;
    return new KubernetesUnreachableError(this.server, this.kubeconfig, cause);
  }
}

function keyOf(object: DockerCluster): string {
  return `${object.metadata.namespace}/${object.metadata.name}`;
}

function parse(
  body: unknown,
): { message?: unknown; reason?: unknown; details?: { name?: unknown } } | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? body : undefined;
}

/** A 404 for the object itself, not for the API (an API the server does not serve is also a 404). */
function isObjectNotFound(body: unknown): boolean {
  return parse(body)?.reason === 'NotFound';
}
