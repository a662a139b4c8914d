// Kinds of the CAPI providers that cannot run here (a control plane needs machines): each a CRD with CAPI's
// contract label and clusterctl's label, an open schema and a status subresource, and a role aggregated into
// CAPI's manager so that CAPI's controllers may create and update its objects. Nothing reconciles them.

export interface ContractKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

/** What the stack installs for a ClusterClass's control plane: CAPI creates the object, nothing runs it. */
export const placeholderControlPlane: ContractKind = {
  group: 'controlplane.placeholder.capd-temporal.io',
  version: 'v1alpha1',
  kind: 'PlaceholderControlPlane',
  plural: 'placeholdercontrolplanes',
};

export const placeholderControlPlaneTemplate: ContractKind = {
  ...placeholderControlPlane,
  kind: 'PlaceholderControlPlaneTemplate',
  plural: 'placeholdercontrolplanetemplates',
};

export function contractKindCrd(kind: ContractKind): object {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${kind.plural}.${kind.group}`,
      labels: { 'cluster.x-k8s.io/v1beta2': kind.version, 'clusterctl.cluster.x-k8s.io': '' },
    },
    spec: {
      group: kind.group,
      names: { kind: kind.kind, plural: kind.plural, singular: kind.kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
        },
      ],
    },
  };
}

/** CAPI's manager may do with the kinds of this group what it does with a provider's kinds. */
export function contractGroupRole(group: string, name: string): object {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `${name}-for-capi`, labels: { 'cluster.x-k8s.io/aggregate-to-manager': 'true' } },
    rules: [
      {
        apiGroups: [group],
        resources: ['*'],
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
      },
    ],
  };
}
