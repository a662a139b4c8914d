// Prints what the local stack installs to make its API server a CAPI management cluster, as `clusterctl init`
// would: CAPI core's CRDs, RBAC and webhooks (from the pinned module), clusterctl's inventory CRD and Provider
// objects, this provider's CRDs and aggregated role, and a placeholder control-plane kind for ClusterClasses.
// Every object carries clusterctl's labels, which `clusterctl move` uses to find the types it moves.
// Usage: management-manifests.ts crds|objects <cluster-api module dir> <user> <webhook url> <CA file>: the CRDs
// first, then the objects that need them; <user> is the identity CAPI's manager runs as, <webhook url> where
// its webhook server listens (https://127.0.0.1:PORT) with a certificate signed by <CA file>.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { generatedManifests, providerLabels, systemNamespace } from '../src/api/manifests.js';
import { providerName } from '../src/api/provider.js';
import {
  contractGroupRole,
  contractKindCrd,
  placeholderControlPlane,
  placeholderControlPlaneTemplate,
} from './contract-kinds.js';

type Manifest = { kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<
  string,
  unknown
>;

const clusterctlLabel = 'clusterctl.cluster.x-k8s.io';
const capiNamespace = 'capi-system';
const capiLabels = { 'cluster.x-k8s.io/provider': 'cluster-api' };
/** The label CAPI's aggregated role selects; a provider's role carrying it extends what CAPI may do. */
const aggregateToManager = { 'cluster.x-k8s.io/aggregate-to-manager': 'true' };
const rbacGroup = 'rbac.authorization.k8s.io';

function documents(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => document.toJSON() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

function labelled(manifest: Manifest, labels: Record<string, string>): Manifest {
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: { ...manifest.metadata.labels, ...labels, [clusterctlLabel]: '' },
    },
  };
}

/** clusterctl's inventory entry for an installed provider. */
function inventory(name: string, namespace: string, type: string, providerName: string, version: string) {
  return {
    apiVersion: 'clusterctl.cluster.x-k8s.io/v1alpha3',
    kind: 'Provider',
    metadata: {
      name,
      namespace,
      labels: {
        'cluster.x-k8s.io/provider': name,
        [clusterctlLabel]: '',
        [`${clusterctlLabel}/core`]: 'inventory',
      },
    },
    providerName,
    type,
    version,
  };
}

/** Where the API server reaches CAPI's webhook server: the job cert-manager's CA injector does in a cluster. */
interface WebhookServer {
  url: string;
  caBundle: string;
}

function webhookClientConfig(server: WebhookServer, path: string) {
  return { url: `${server.url}${path}`, caBundle: server.caBundle };
}

/** CAPI's CRDs converted by its webhook: those its kustomization patches (`webhook_in_*.yaml`). */
function convertedCrdNames(capiDir: string): Set<string> {
  const patchDir = join(capiDir, 'core/config/crd/patches');
  return new Set(
    readdirSync(patchDir)
      .filter((file) => file.startsWith('webhook_in_'))
      .flatMap((file) => documents(join(patchDir, file)).map((patch) => patch.metadata.name)),
  );
}

function withConversionWebhook(crd: Manifest, server: WebhookServer): Manifest {
  const spec = crd.spec as Record<string, unknown>;
  return {
    ...crd,
    spec: {
      ...spec,
      conversion: {
        strategy: 'Webhook',
        webhook: { conversionReviewVersions: ['v1'], clientConfig: webhookClientConfig(server, '/convert') },
      },
    },
  };
}

/** CAPI core's mutating and validating webhook configurations, pointed at its webhook server. */
function webhookConfigurations(capiDir: string, server: WebhookServer): Manifest[] {
  return documents(join(capiDir, 'core/config/webhook/manifests.yaml')).map((configuration) => ({
    ...configuration,
    metadata: { ...configuration.metadata, name: `capi-${configuration.metadata.name}` },
    webhooks: (configuration.webhooks as { clientConfig: { service: { path: string } } }[]).map(
      (webhook) => ({
        ...webhook,
        clientConfig: webhookClientConfig(server, webhook.clientConfig.service.path),
      }),
    ),
  }));
}

const packageVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function managementManifests(
  capiDir: string,
  managerUser: string,
  webhookServer: WebhookServer,
): { crds: object[]; objects: object[] } {
  const capiVersion = /@(v[^/]+)$/.exec(capiDir)?.[1] ?? 'v0.0.0';
  const crdDir = join(capiDir, 'core/config/crd/bases');
  const capiCrds = readdirSync(crdDir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => documents(join(crdDir, file)));
  const [inventoryCrd] = documents(join(capiDir, 'cmd/clusterctl/config/manifest/clusterctl-api.yaml'));
  const [managerRole] = documents(join(capiDir, 'core/config/rbac/role.yaml'));
  const generated = generatedManifests();
  const providerCrds = Object.entries(generated)
    .filter(([path]) => path.startsWith('config/crd/'))
    .flatMap(([, manifests]) => manifests as Manifest[]);
  const providerAggregatedRoles = (generated['config/rbac/rbac.yaml'] as Manifest[]).filter(
    (manifest) =>
      manifest.kind === 'ClusterRole' &&
      manifest.metadata.labels?.[Object.keys(aggregateToManager)[0] as string],
  );

  const converted = convertedCrdNames(capiDir);
  const crds = [
    ...capiCrds.map((crd) =>
      labelled(
        converted.has(crd.metadata.name) ? withConversionWebhook(crd, webhookServer) : crd,
        capiLabels,
      ),
    ),
    labelled(inventoryCrd as Manifest, capiLabels),
    ...providerCrds.map((crd) => labelled(crd, providerLabels)),
    ...[placeholderControlPlane, placeholderControlPlaneTemplate].map((kind) => contractKindCrd(kind)),
  ];
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: capiNamespace, labels: capiLabels } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: systemNamespace, labels: providerLabels } },
    labelled(
      { ...(managerRole as Manifest), metadata: { name: 'capi-manager-role' } },
      {
        ...capiLabels,
        ...aggregateToManager,
      },
    ),
    labelled(
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'capi-aggregated-manager-role' },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateToManager }] },
      },
      capiLabels,
    ),
    labelled(
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'capi-manager-rolebinding' },
        roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: 'capi-aggregated-manager-role' },
        subjects: [{ apiGroup: rbacGroup, kind: 'User', name: managerUser }],
      },
      capiLabels,
    ),
    ...webhookConfigurations(capiDir, webhookServer).map((configuration) =>
      labelled(configuration, capiLabels),
    ),
    ...providerAggregatedRoles.map((role) => labelled(role, providerLabels)),
    contractGroupRole(placeholderControlPlane.group, 'placeholder-control-planes'),
    inventory('cluster-api', capiNamespace, 'CoreProvider', 'cluster-api', capiVersion),
    inventory(
      providerLabels['cluster.x-k8s.io/provider'],
      systemNamespace,
      'InfrastructureProvider',
      providerName,
      `v${packageVersion}`,
    ),
  ];
  return { crds, objects };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [part, capiDir, managerUser, webhookUrl, caFile] = process.argv.slice(2);
  if ((part !== 'crds' && part !== 'objects') || !capiDir || !managerUser || !webhookUrl || !caFile) {
    console.error(
      'usage: management-manifests.ts crds|objects <cluster-api module dir> <manager user> <webhook url> <CA file>',
    );
    process.exit(2);
  }
  const caBundle = readFileSync(caFile).toString('base64');
  process.stdout.write(
    managementManifests(capiDir, managerUser, { url: webhookUrl, caBundle })
      [part].map((manifest) => stringify(manifest))
      .join('---\n'),
  );
}
