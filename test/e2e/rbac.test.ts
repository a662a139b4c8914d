// The deploy manifests' ClusterRole is exactly enough: with one verb taken away the provider cannot do its
// job, and says so on the object (a Warning Event) and in its workflow state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { plural } from '../../src/api/dockercluster.js';
import { providerClusterRole } from '../../src/api/manifests.js';
import type { PolicyRule } from '../../src/api/rbac.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import type { ReconcileState } from '../../src/workflows/definitions.js';
import { TestObjects } from '../support/objects.js';
import { startProvider } from '../support/provider.js';
import { eventually, kubeConfig, uniqueName } from '../support/stack.js';

/** The provider's rules with one verb removed from the rule for one resource. */
function without(resource: string, verb: string): PolicyRule[] {
  return providerClusterRole()
    .rules.map((rule) =>
      rule.resources.includes(resource) ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) } : rule,
    )
    .filter((rule) => rule.verbs.length > 0);
}

describe('the provider with a verb missing from its ClusterRole', () => {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

  for (const [resource, verb, failingStep] of [
    [plural, 'patch', 'adding the finalizer'],
    [`${plural}/status`, 'patch', 'updating the status'],
  ] as const) {
    it(`fails visibly without '${verb}' on ${resource}`, async () => {
      const objects = await TestObjects.inFreshNamespace();
      const { namespace } = objects;
      const provider = await startProvider({ namespace, rules: without(resource, verb) });
      try {
        const name = uniqueName('rbac');
        const { dockerCluster: created } = await objects.createPair(name);

        const handle = provider.client.workflow.getHandle(workflowIdOf(refOf(created)));
        const state = await eventually('the workflow to report the failure', async () => {
          const current = await handle.query<ReconcileState>('state');
          return current.lastError ? current : undefined;
        });
        assert.match(
          state.lastError ?? '',
          new RegExp(`${failingStep}.*permission denied.*config/rbac/role.yaml`),
        );
        assert.equal(state.phase, 'Failing');

        const warning = await eventually('a Warning event', async () =>
          (await core.listNamespacedEvent({ namespace })).items.find(
            (event) => event.reason === 'ReconcileFailed',
          ),
        );
        assert.equal(warning?.type, 'Warning');
        assert.equal(warning?.involvedObject.name, name);
        assert.match(warning?.message ?? '', /permission denied/);

        assert.notEqual(
          (await objects.read(name))?.status?.ready,
          true,
          'not ready without the permissions it needs',
        );
      } finally {
        await provider.stop();
      }
    });
  }
});
