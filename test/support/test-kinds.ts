// Minimal kinds of the providers that cannot run here (control plane, machines): tests play those providers,
// never CAPI. Each kind has CAPI's contract label, clusterctl's label and a status subresource, and CAPI's
// manager may use it (by the aggregated role).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stackEnv } from './stack.js';

export interface TestKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

export const testControlPlane: TestKind = {
  group: 'controlplane.test.capd-temporal.io',
  version: 'v1alpha1',
  kind: 'TestControlPlane',
  plural: 'testcontrolplanes',
};

export const testMachine: TestKind = {
  group: 'infrastructure.test.capd-temporal.io',
  version: 'v1alpha1',
  kind: 'TestMachine',
  plural: 'testmachines',
};

function manifests(kind: TestKind): object[] {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return [
    {
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
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: `${kind.plural}-for-capi`,
        labels: { 'cluster.x-k8s.io/aggregate-to-manager': 'true' },
      },
      rules: [
        {
          apiGroups: [kind.group],
          resources: ['*'],
          verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'],
        },
      ],
    },
  ];
}

/**
 * Installs a kind with kubectl server-side apply, as a user installs a provider's manifests (the client's typed
 * serializer would drop the schema's x-kubernetes fields), and waits until it is served.
 */
export function installTestKind(kind: TestKind, kubeconfig = stackEnv('KUBECONFIG')): void {
  const run = spawnSync(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      '--field-manager',
      'capd-temporal-test',
      '-f',
      '-',
    ],
    {
      input: manifests(kind)
        .map((object) => JSON.stringify(object))
        .join('\n'),
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const wait = spawnSync('kubectl', [
    '--kubeconfig',
    kubeconfig,
    'wait',
    '--for',
    'condition=Established',
    `crd/${kind.plural}.${kind.group}`,
  ]);
  assert.equal(wait.status, 0, String(wait.stderr));
}
