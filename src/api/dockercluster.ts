// The DockerCluster API: one schema from which the CRD manifest is generated and the TypeScript types derived.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';

export const group = 'infrastructure.cluster.x-k8s.io';
export const version = 'v1alpha1';
export const kind = 'DockerCluster';
export const plural = 'dockerclusters';
export const apiVersion = `${group}/${version}`;
/** What a ClusterClass names for its infrastructure: CAPI's topology controller stamps DockerClusters out of it. */
export const templateKind = `${kind}Template`;
export const templatePlural = 'dockerclustertemplates';
/** How the API server addresses DockerClusters (group, version, plural), as API clients ask for it. */
export const dockerClusterResource = { group, version, plural };

/** The key of the ConfigMap named by spec.loadBalancer.customHAProxyConfigTemplateRef that holds the template. */
export const haproxyTemplateKey = 'value';

/** A DNS subdomain: what Kubernetes allows as the name of most objects (Machines, ConfigMaps). */
export const dnsSubdomainPattern = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

/** Held on every DockerCluster until its load balancer is gone. */
export const finalizer = 'dockercluster.infrastructure.cluster.x-k8s.io';

/**
 * The CAPI contract this API serves, as a CRD label (value: our versions, last one wins). Only v1beta2, the one
 * CAPI's controllers speak and the tests run against.
 */
export const contractLabels = { 'cluster.x-k8s.io/v1beta2': version };

export const defaultEndpointPort = 6443;

/**
 * Set when the provider filled spec.controlPlaneEndpoint.host from the load balancer's IP: the load balancer
 * holds that address for good (a re-created one asks for it back). A host the user set is theirs to serve.
 */
export const endpointFromLoadBalancerAnnotation =
  'dockercluster.infrastructure.cluster.x-k8s.io/endpoint-from-load-balancer';

const conditionSchema = {
  type: 'object',
  description: 'A metav1.Condition: one aspect of the DockerCluster state.',
  properties: {
    type: {
      type: 'string',
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    },
    message: { type: 'string', maxLength: 32768 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  },
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  additionalProperties: false,
} as const;

export const specSchema = {
  type: 'object',
  description: 'The desired state of the DockerCluster.',
  properties: {
    controlPlaneEndpoint: {
      type: 'object',
      description:
        'The endpoint used to reach the control plane; filled in from the load balancer when empty, and fixed once set (CAPI copies it into the Cluster only once).',
      properties: {
        host: {
          type: 'string',
          description: 'The hostname or IP the API servers are reached on.',
          maxLength: 512,
        },
        port: {
          type: 'integer',
          format: 'int32',
          description: 'The port the API servers are reached on.',
          default: 6443,
          minimum: 1,
          maximum: 65535,
        },
      },
      additionalProperties: false,
    },
    loadbalancerImage: {
      type: 'string',
      description:
        'Overrides the whole load-balancer image reference (repository and tag); the default is the provider setting.',
      minLength: 1,
      maxLength: 512,
      pattern: '^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$',
    },
    loadBalancer: {
      type: 'object',
      description: 'How the load balancer is configured.',
      properties: {
        customHAProxyConfigTemplateRef: {
          type: 'object',
          description:
            "A ConfigMap in the DockerCluster's namespace whose key `value` is the HAProxy config as a Go text/template, rendered with upstream CAPD's variables (see the README); the provider's own config when absent.",
          properties: {
            name: {
              type: 'string',
              description: 'The name of the ConfigMap.',
              minLength: 1,
              maxLength: 253,
              pattern: dnsSubdomainPattern,
            },
          },
          required: ['name'],
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
  'x-kubernetes-validations': [
    {
      // A transition rule: checked on updates only, against the object as it was.
      rule: "!has(oldSelf.controlPlaneEndpoint) || !has(oldSelf.controlPlaneEndpoint.host) || oldSelf.controlPlaneEndpoint.host == '' || (has(self.controlPlaneEndpoint) && self.controlPlaneEndpoint == oldSelf.controlPlaneEndpoint)",
      message:
        'spec.controlPlaneEndpoint cannot be changed once its host is set: CAPI copies it into the Cluster only once; create a new DockerCluster for another endpoint',
    },
  ],
} as const;

export const statusSchema = {
  type: 'object',
  description: 'The observed state of the DockerCluster.',
  properties: {
    ready: {
      type: 'boolean',
      default: false,
      description:
        'The infrastructure is ready: the same as initialization.provisioned, for tools that read it.',
    },
    initialization: {
      type: 'object',
      description: 'Observations of the initialization (CAPI contract v1beta2).',
      properties: { provisioned: { type: 'boolean' } },
      additionalProperties: false,
    },
    conditions: {
      type: 'array',
      description: 'Ready, LoadBalancerAvailable and Paused.',
      maxItems: 32,
      items: conditionSchema,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    failureReason: { type: 'string', description: 'A terminal problem, for machines to read.' },
    failureMessage: { type: 'string', description: 'A terminal problem, for people to read.' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  },
  additionalProperties: false,
} as const;

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** A DockerClusterTemplate's spec: what CAPI's topology controller copies into each DockerCluster it creates. */
export const templateSpecSchema = {
  type: 'object',
  description: `The desired state of the ${templateKind}.`,
  properties: {
    template: {
      type: 'object',
      description: 'What each DockerCluster created from this template gets.',
      properties: {
        metadata: {
          type: 'object',
          description: 'Labels and annotations CAPI copies onto each DockerCluster.',
          properties: { labels: stringMap, annotations: stringMap },
          additionalProperties: false,
        },
        spec: {
          ...specSchema,
          'x-kubernetes-validations': [
            {
              rule: 'self == oldSelf',
              message:
                'spec.template.spec is immutable: create a new DockerClusterTemplate and point the ClusterClass at it (CAPI then updates its DockerClusters in place)',
            },
          ],
        },
      },
      required: ['spec'],
      additionalProperties: false,
    },
  },
  required: ['template'],
  additionalProperties: false,
} as const;

export type DockerClusterSpec = FromSchema<typeof specSchema, { keepDefaultedPropertiesOptional: true }>;
export type DockerClusterStatus = FromSchema<typeof statusSchema, { keepDefaultedPropertiesOptional: true }>;
export type Condition = FromSchema<typeof conditionSchema>;
export type ControlPlaneEndpoint = NonNullable<DockerClusterSpec['controlPlaneEndpoint']>;

export interface DockerCluster {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  metadata: V1ObjectMeta;
  spec?: DockerClusterSpec;
  status?: DockerClusterStatus;
}

export type DockerClusterTemplateSpec = FromSchema<
  typeof templateSpecSchema,
  { keepDefaultedPropertiesOptional: true }
>;

export interface DockerClusterTemplate {
  apiVersion: typeof apiVersion;
  kind: typeof templateKind;
  metadata: V1ObjectMeta;
  spec: DockerClusterTemplateSpec;
}

export const conditionTypes = {
  ready: 'Ready',
  loadBalancerAvailable: 'LoadBalancerAvailable',
  paused: 'Paused',
} as const;
