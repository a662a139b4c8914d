// Kubernetes manifests derived from the API definition; `npm run generate` writes them under config/.
import { clusterNameLabel } from './capi.js';
import {
  contractLabels,
  group,
  kind,
  plural,
  specSchema,
  statusSchema,
  templateKind,
  templatePlural,
  templateSpecSchema,
  version,
} from './dockercluster.js';
import { defaultEngine } from './engines.js';
import { providerName } from './provider.js';
import { capiCoreRules, providerRules } from './rbac.js';

/** clusterctl finds a provider's components by this label. */
export const providerLabels = { 'cluster.x-k8s.io/provider': `infrastructure-${providerName}` };
export const systemNamespace = `${providerName}-system`;
const managerName = `${providerName}-manager`;
/** The image `docker build -t capd-temporal:dev .` makes from the Dockerfile. */
const providerImage = `${providerName}:dev`;

/**
 * A CRD schema may not combine `properties` with `additionalProperties`; pruning of unknown fields gives the
 * API server the same strictness that `additionalProperties: false` gives the TypeScript types.
 */
function structural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structural);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'additionalProperties' && value === false))
      .map(([key, value]) => [key, structural(value)]),
  );
}

/** A CRD of our group, in the cluster-api category, labelled with the contract and for clusterctl. */
function crd(
  names: { kind: string; plural: string },
  description: string,
  properties: Record<string, unknown>,
  extra: { subresources?: object; additionalPrinterColumns?: object[] },
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}`, labels: { ...contractLabels, ...providerLabels } },
    spec: {
      group,
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.kind.toLowerCase(),
        categories: ['cluster-api'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          ...extra,
          schema: {
            openAPIV3Schema: structural({
              type: 'object',
              description,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                ...properties,
              },
            }),
          },
        },
      ],
    },
  };
}

function dockerClusterCrd() {
  return crd(
    { kind, plural },
    `${kind} is the infrastructure of a Cluster API Cluster on Docker: an HAProxy load balancer.`,
    { spec: specSchema, status: statusSchema },
    {
      subresources: { status: {} },
      additionalPrinterColumns: [
        {
          name: 'Cluster',
          type: 'string',
          jsonPath: `.metadata.labels['${clusterNameLabel.replaceAll('.', '\\.')}']`,
          description: 'The Cluster this DockerCluster belongs to',
        },
        {
          name: 'Ready',
          type: 'boolean',
          jsonPath: '.status.ready',
          description: 'Infrastructure is ready',
        },
        {
          name: 'Endpoint',
          type: 'string',
          jsonPath: '.spec.controlPlaneEndpoint.host',
          description: 'Control-plane endpoint host (the load balancer)',
        },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  );
}

function dockerClusterTemplateCrd() {
  return crd(
    { kind: templateKind, plural: templatePlural },
    `${templateKind} is what a ClusterClass names for its infrastructure: CAPI creates each Cluster's ${kind} from it.`,
    { spec: templateSpecSchema },
    { additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] },
  );
}

export function providerClusterRole() {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: managerName, labels: providerLabels },
    rules: providerRules,
  };
}

function rbacManifests() {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: managerName, namespace: systemNamespace, labels: providerLabels },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: managerName, labels: providerLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: managerName },
      subjects: [{ kind: 'ServiceAccount', name: managerName, namespace: systemNamespace }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: `${providerName}-capi-access`,
        labels: { ...providerLabels, 'cluster.x-k8s.io/aggregate-to-manager': 'true' },
      },
      rules: capiCoreRules,
    },
  ];
}

/** A Deployment of the provider image running the whole provider (`all`), beside the node's Docker engine. */
function controllerManager(replicas: number, env: object[]) {
  const name = `${providerName}-controller-manager`;
  const labels = { ...providerLabels, 'app.kubernetes.io/name': name };
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, periodSeconds: 10 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: systemNamespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: managerName,
          containers: [
            {
              name: 'manager',
              image: providerImage,
              args: ['all'],
              env: [
                { name: 'TEMPORAL_ADDRESS', value: 'temporal-frontend.temporal.svc:7233' },
                { name: 'CAPDT_HTTP_HOST', value: '0.0.0.0' },
                ...env,
              ],
              ports: [{ name: 'http', containerPort: 8080 }],
              livenessProbe: probe('/healthz'),
              readinessProbe: probe('/readyz'),
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              volumeMounts: [{ name: 'docker-socket', mountPath: '/var/run/docker.sock' }],
            },
          ],
          volumes: [{ name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
        },
      },
    },
  };
}

/** The Leases of watchers and workers live beside them. */
const leaseNamespace = {
  name: 'CAPDT_LEASE_NAMESPACE',
  valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
};

function managerManifests() {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: systemNamespace, labels: providerLabels } },
    // Two replicas of the whole provider in one process each (worker and watcher: one process's memory and
    // connections, not two): both poll the task queues, so either may die or be rolled; one watcher leads (holds
    // the Lease), the other stands by. A fleet adds a worker Deployment per further engine (docs/OPERATING.md).
    controllerManager(2, [leaseNamespace, { name: 'CAPDT_ENGINE', value: defaultEngine }]),
  ];
}

/** clusterctl's provider metadata: this release series speaks the v1beta2 contract. */
function clusterctlMetadata() {
  return {
    apiVersion: 'clusterctl.cluster.x-k8s.io/v1alpha3',
    kind: 'Metadata',
    releaseSeries: [{ major: 0, minor: 1, contract: 'v1beta2' }],
  };
}

/** Manifest path (relative to the repository) → its documents, as `npm run generate` writes them. */
export function generatedManifests(): Record<string, object[]> {
  return {
    [`config/crd/${group}_${plural}.yaml`]: [dockerClusterCrd()],
    [`config/crd/${group}_${templatePlural}.yaml`]: [dockerClusterTemplateCrd()],
    'config/rbac/role.yaml': [providerClusterRole()],
    'config/rbac/rbac.yaml': rbacManifests(),
    'config/manager/manager.yaml': managerManifests(),
    'config/metadata.yaml': [clusterctlMetadata()],
  };
}
