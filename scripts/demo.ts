// The demo: applies examples/cluster.yaml, sets the owner reference as CAPI's Cluster controller would,
// and follows the DockerCluster until it is ready. `--delete` removes the example again.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { clusterGroup, clusterVersion } from '../src/api/capi.js';
import { type DockerCluster, group, plural, version } from '../src/api/dockercluster.js';
import { providerName } from '../src/api/manifests.js';
import { refOf, workflowIdOf } from '../src/watcher/changes.js';

const examplePath = fileURLToPath(new URL('../examples/cluster.yaml', import.meta.url));
const timeoutMs = 60_000;

const kubeConfig = new k8s.KubeConfig();
kubeConfig.loadFromDefault();
const objects = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
const generic = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
const [cluster, dockerCluster] = parseAllDocuments(readFileSync(examplePath, 'utf8')).map(
  (document) => document.toJSON() as k8s.KubernetesObject & { metadata: { name: string; namespace: string } },
) as [k8s.KubernetesObject & { metadata: { name: string; namespace: string } }, DockerCluster];
const { name, namespace } = dockerCluster.metadata as { name: string; namespace: string };
const dockerClusters = { group, version, plural, namespace, name };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function read(): Promise<DockerCluster | undefined> {
  try {
    return (await objects.getNamespacedCustomObject(dockerClusters)) as DockerCluster;
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    throw error;
  }
}

async function apply(): Promise<void> {
  for (const object of [cluster, dockerCluster]) {
    await generic.patch(
      object,
      undefined,
      undefined,
      `${providerName}-demo`,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    console.log(`applied ${object.kind} ${namespace}/${object.metadata?.name}`);
  }
  const owner = (await objects.getNamespacedCustomObject({
    group: clusterGroup,
    version: clusterVersion,
    plural: 'clusters',
    namespace,
    name: cluster.metadata.name,
  })) as k8s.KubernetesObject;
  await objects.patchNamespacedCustomObject(
    {
      ...dockerClusters,
      body: {
        metadata: {
          ownerReferences: [
            {
              apiVersion: `${clusterGroup}/${clusterVersion}`,
              kind: 'Cluster',
              name: owner.metadata?.name,
              uid: owner.metadata?.uid,
            },
          ],
        },
      },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  console.log(
    `set the owner reference to Cluster ${namespace}/${cluster.metadata.name} (CAPI's Cluster controller does this)`,
  );

  const started = Date.now();
  let last = '';
  for (;;) {
    const object = await read();
    const conditions = (object?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(' ');
    if (conditions !== last)
      console.log(`  ${((Date.now() - started) / 1000).toFixed(1)} s  ${conditions || 'no status yet'}`);
    last = conditions;
    if (object?.status?.ready) {
      const endpoint = object.spec?.controlPlaneEndpoint;
      console.log(
        `DockerCluster ${namespace}/${name} is ready: control-plane endpoint ${endpoint?.host}:${endpoint?.port}`,
      );
      const ui = process.env.TEMPORAL_UI_URL;
      const workflowId = workflowIdOf(refOf(object));
      console.log(
        ui
          ? `its workflow: ${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`
          : `its workflow: ${workflowId}`,
      );
      return;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`not ready after ${timeoutMs / 1000} s: is the provider running (npm start)?`);
    }
    await sleep(250);
  }
}

async function remove(): Promise<void> {
  await objects.deleteNamespacedCustomObject(dockerClusters).catch(() => undefined);
  const started = Date.now();
  while (await read()) {
    if (Date.now() - started > timeoutMs)
      throw new Error('the DockerCluster is still there: is the provider running (npm start)?');
    await sleep(250);
  }
  console.log(`deleted DockerCluster ${namespace}/${name} and its load balancer`);
  await generic.delete(cluster).catch(() => undefined);
  console.log(`deleted Cluster ${namespace}/${cluster.metadata.name}`);
}

(process.argv.includes('--delete') ? remove() : apply()).catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
