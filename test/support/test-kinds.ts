// Minimal kinds of the providers that cannot run here (control plane, machines), installed by the tests that
// play those providers (never CAPI): see scripts/contract-kinds.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type ContractKind, contractGroupRole, contractKindCrd } from '../../scripts/contract-kinds.js';
import { stackEnv } from './stack.js';

export const testControlPlane: ContractKind = {
  group: 'controlplane.test.capd-temporal.io',
  version: 'v1alpha1',
  kind: 'TestControlPlane',
  plural: 'testcontrolplanes',
};

export const testMachine: ContractKind = {
  group: 'infrastructure.test.capd-temporal.io',
  version: 'v1alpha1',
  kind: 'TestMachine',
  plural: 'testmachines',
};

function manifests(kind: ContractKind): object[] {
  return [contractKindCrd(kind), contractGroupRole(kind.group, kind.plural)];
}

/**
 * Installs a kind with kubectl server-side apply, as a user installs a provider's manifests (the client's typed
 * serializer would drop the schema's x-kubernetes fields), and waits until it is served.
 */
export function installTestKind(kind: ContractKind, kubeconfig = stackEnv('KUBECONFIG')): void {
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
