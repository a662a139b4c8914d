// Kubernetes manifests derived from the API definition; `npm run generate` writes them under config/.
import { clusterNameLabel } from './capi.js';
import { contractLabels, group, kind, plural, specSchema, statusSchema, version } from './dockercluster.js';
import { providerRules } from './rbac.js';

export const providerName = 'capd-temporal';
/** clusterctl finds a provider's components by this label. */
export const providerLabels = { 'cluster.x-k8s.io/provider': `infrastructure-${providerName}` };

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

export function dockerClusterCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { ...contractLabels, ...providerLabels } },
    spec: {
      group,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        categories: ['cluster-api'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
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
          schema: {
            openAPIV3Schema: structural({
              type: 'object',
              description: `${kind} is the infrastructure of a Cluster API Cluster on Docker: an HAProxy load balancer.`,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema,
                status: statusSchema,
              },
            }),
          },
        },
      ],
    },
  };
}

export function providerClusterRole() {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `${providerName}-manager`, labels: providerLabels },
    rules: providerRules,
  };
}

/** Manifest path (relative to the repository) → content, as `npm run generate` writes them. */
export function generatedManifests(): Record<string, object> {
  return {
    [`config/crd/${group}_${plural}.yaml`]: dockerClusterCrd(),
    'config/rbac/role.yaml': providerClusterRole(),
  };
}
