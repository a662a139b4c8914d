// Installs (server-side applies) the provider's CRDs from config/crd/ on the cluster KUBECONFIG points at,
// and waits until the API server serves them (lists their objects). `npm start` runs it against an existing management cluster.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { providerName } from '../src/api/provider.js';

const crdDirectory = fileURLToPath(new URL('../config/crd', import.meta.url));

async function within20s(failure: string, done: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; !(await done()); attempt++) {
    if (attempt > 100) throw new Error(`${failure} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function installCrds(kubeConfig: k8s.KubeConfig): Promise<string[]> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const extensions = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  const objects = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const names: string[] = [];
  for (const file of readdirSync(crdDirectory).filter((name) => name.endsWith('.yaml'))) {
    // Loaded into the client's model, so that it sends every schema keyword back (x-kubernetes-*, default).
    const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(join(crdDirectory, file), 'utf8'));
    await client.patch(crd, undefined, undefined, providerName, true, k8s.PatchStrategy.ServerSideApply);
    const name = crd.metadata?.name as string;
    await within20s(`CRD ${name} was not established`, async () => {
      const current = await extensions.readCustomResourceDefinition({ name });
      return (
        current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
      );
    });
    // Established is not served yet: a new CRD answers 429 "storage is (re)initializing" for a moment, and a
    // provider started then would begin with errors. Listed from the watch cache, as informers list.
    const version = crd.spec.versions.find((v) => v.storage)?.name as string;
    await within20s(`the API server does not serve ${name}`, () =>
      objects
        .listClusterCustomObject({
          group: crd.spec.group,
          version,
          plural: crd.spec.names.plural,
          limit: 1,
          resourceVersion: '0',
        })
        .then(
          () => true,
          () => false,
        ),
    );
    names.push(name);
  }
  return names;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromDefault();
  installCrds(kubeConfig).then(
    (names) => console.error(`installed ${names.join(', ')} on ${kubeConfig.getCurrentCluster()?.server}`),
    (error: Error) => {
      console.error(`installing the CRDs failed: ${error.message}`);
      process.exit(1);
    },
  );
}
