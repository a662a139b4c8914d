// `npm start` against an existing cluster installs the provider's CRDs with scripts/install-crds.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../scripts/install-crds.js';
import { kubeConfig } from '../support/stack.js';

describe('installCrds', () => {
  it('applies the DockerCluster and DockerClusterTemplate CRDs idempotently and returns once they are established', async () => {
    const admin = kubeConfig();
    const names = [
      'dockerclusters.infrastructure.cluster.x-k8s.io',
      'dockerclustertemplates.infrastructure.cluster.x-k8s.io',
    ];
    assert.deepEqual(await installCrds(admin), names);
    assert.deepEqual(await installCrds(admin), names);
    const crd = await admin
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'dockerclusters.infrastructure.cluster.x-k8s.io' });
    assert.equal(crd.metadata?.labels?.['cluster.x-k8s.io/v1beta2'], 'v1alpha1');
    // The whole schema arrives: the endpoint's CEL rule, the port's default, the conditions' list type.
    const spec = crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec;
    assert.match(spec?.x_kubernetes_validations?.[0]?.rule ?? '', /oldSelf\.controlPlaneEndpoint/);
    assert.equal(spec?.properties?.controlPlaneEndpoint?.properties?.port?._default, 6443);
    const conditions =
      crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.status?.properties?.conditions;
    assert.equal(conditions?.x_kubernetes_list_type, 'map');
    const fieldManagers = (crd.metadata?.managedFields ?? []).map((entry) => entry.manager);
    assert.ok(fieldManagers.includes('capd-temporal'), `managed by ${fieldManagers.join(', ')}`);
  });
});
