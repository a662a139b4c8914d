// The committed manifests under config/ are generated from src/api; they must not drift from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { renderManifest } from '../../scripts/generate.js';
import { repoRoot } from '../../scripts/repo-root.js';
import { generatedManifests } from '../../src/api/manifests.js';

const crdPath = 'config/crd/infrastructure.cluster.x-k8s.io_dockerclusters.yaml';
const templateCrdPath = 'config/crd/infrastructure.cluster.x-k8s.io_dockerclustertemplates.yaml';

function committed(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
  schema: { openAPIV3Schema: Record<string, unknown> };
}

interface Schema {
  properties?: Record<string, Schema>;
  [keyword: string]: unknown;
}

interface Crd {
  metadata: { name: string; labels: Record<string, string> };
  spec: { group: string; names: { kind: string; categories?: string[] }; versions: CrdVersion[] };
}

/** The JSON paths at which key occurs anywhere in value. */
function pathsOfKey(value: unknown, key: string, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => pathsOfKey(item, key, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, child]) => [
    ...(name === key ? [`${path}.${name}`] : []),
    ...pathsOfKey(child, key, `${path}.${name}`),
  ]);
}

describe('generated manifests', () => {
  const manifests = generatedManifests();

  it('generates the CRDs, the RBAC, the Deployments and the clusterctl metadata', () => {
    assert.deepEqual(Object.keys(manifests).sort(), [
      'config/crd/infrastructure.cluster.x-k8s.io_dockerclusters.yaml',
      'config/crd/infrastructure.cluster.x-k8s.io_dockerclustertemplates.yaml',
      'config/manager/manager.yaml',
      'config/metadata.yaml',
      'config/rbac/rbac.yaml',
      'config/rbac/role.yaml',
    ]);
  });

  for (const [path, documents] of Object.entries(manifests)) {
    it(`${path} is up to date with src/api`, () => {
      assert.equal(
        committed(path),
        renderManifest(documents),
        `${path} is stale: run \`npm run generate\` and commit the result`,
      );
    });
  }

  it('labels every component for clusterctl', () => {
    for (const [path, documents] of Object.entries(manifests)) {
      for (const document of documents as {
        kind: string;
        metadata?: { labels?: Record<string, string> };
      }[]) {
        if (document.kind === 'Metadata') continue;
        assert.equal(
          document.metadata?.labels?.['cluster.x-k8s.io/provider'],
          'infrastructure-capd-temporal',
          `${document.kind} in ${path}`,
        );
      }
    }
  });

  describe('the DockerCluster CRD', () => {
    const crd = parse(committed(crdPath)) as Crd;
    const version = crd.spec.versions[0] as CrdVersion;

    it('serves and stores one version, v1alpha1, of infrastructure.cluster.x-k8s.io', () => {
      assert.equal(crd.metadata.name, 'dockerclusters.infrastructure.cluster.x-k8s.io');
      assert.equal(crd.spec.group, 'infrastructure.cluster.x-k8s.io');
      assert.equal(crd.spec.names.kind, 'DockerCluster');
      assert.equal(crd.spec.versions.length, 1);
      assert.equal(version.name, 'v1alpha1');
      assert.equal(version.served, true);
      assert.equal(version.storage, true);
    });

    it('carries the CAPI contract label v1beta2 only, naming v1alpha1', () => {
      assert.equal(crd.metadata.labels['cluster.x-k8s.io/v1beta2'], 'v1alpha1');
      assert.equal(crd.metadata.labels['cluster.x-k8s.io/v1beta1'], undefined);
    });

    it('is in the cluster-api category, so `kubectl get cluster-api` lists DockerClusters', () => {
      assert.deepEqual(crd.spec.names.categories, ['cluster-api']);
    });

    it('has a status subresource', () => {
      assert.deepEqual(version.subresources?.status, {});
    });

    it('prints Cluster, Ready, Endpoint and Age columns', () => {
      assert.deepEqual(
        version.additionalPrinterColumns?.map((column) => column.name),
        ['Cluster', 'Ready', 'Endpoint', 'Age'],
      );
      const byName = Object.fromEntries(
        (version.additionalPrinterColumns ?? []).map((column) => [column.name, column]),
      );
      assert.equal(byName.Cluster?.jsonPath, ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']");
      assert.equal(byName.Ready?.jsonPath, '.status.ready');
      assert.equal(byName.Endpoint?.jsonPath, '.spec.controlPlaneEndpoint.host');
      assert.equal(byName.Age?.type, 'date');
    });

    it('has a structural schema: no additionalProperties anywhere', () => {
      assert.deepEqual(pathsOfKey(version.schema.openAPIV3Schema, 'additionalProperties'), []);
    });

    it('still validates what the API types declare (port range, host length)', () => {
      const endpoint = (version.schema.openAPIV3Schema as Schema).properties?.spec?.properties
        ?.controlPlaneEndpoint?.properties;
      assert.ok(endpoint, 'spec.controlPlaneEndpoint is in the schema');
      assert.equal(endpoint.port?.type, 'integer');
      assert.equal(endpoint.port?.minimum, 1);
      assert.equal(endpoint.port?.maximum, 65535);
      assert.equal(endpoint.host?.maxLength, 512);
    });
  });

  describe('the DockerClusterTemplate CRD', () => {
    const crd = parse(committed(templateCrdPath)) as Crd;
    const clusterCrd = parse(committed(crdPath)) as Crd;
    const version = crd.spec.versions[0] as CrdVersion;
    const templateSchema = (version.schema.openAPIV3Schema as Schema).properties?.spec?.properties?.template;

    it('is DockerClusterTemplate v1alpha1 of infrastructure.cluster.x-k8s.io, with the contract label', () => {
      assert.equal(crd.metadata.name, 'dockerclustertemplates.infrastructure.cluster.x-k8s.io');
      assert.equal(crd.spec.names.kind, 'DockerClusterTemplate');
      assert.deepEqual(
        crd.spec.versions.map((served) => served.name),
        ['v1alpha1'],
      );
      assert.equal(crd.metadata.labels['cluster.x-k8s.io/v1beta2'], 'v1alpha1');
    });

    it('holds in spec.template.spec exactly the DockerCluster spec, immutable', () => {
      const { 'x-kubernetes-validations': templateRules, ...templateSpec } = (templateSchema?.properties
        ?.spec ?? {}) as Schema;
      const { 'x-kubernetes-validations': _endpointRule, ...clusterSpec } =
        ((clusterCrd.spec.versions[0] as CrdVersion).schema.openAPIV3Schema as Schema).properties?.spec ?? {};
      assert.deepEqual(templateSpec, clusterSpec);
      assert.deepEqual(templateRules, [
        {
          rule: 'self == oldSelf',
          message:
            'spec.template.spec is immutable: create a new DockerClusterTemplate and point the ClusterClass at it (CAPI then updates its DockerClusters in place)',
        },
      ]);
    });

    it('has template metadata of labels and annotations, and a structural schema', () => {
      assert.deepEqual(Object.keys(templateSchema?.properties?.metadata?.properties ?? {}), [
        'labels',
        'annotations',
      ]);
      // The only additionalProperties are the two string maps (a structural schema allows those).
      assert.deepEqual(pathsOfKey(version.schema.openAPIV3Schema, 'additionalProperties'), [
        '$.properties.spec.properties.template.properties.metadata.properties.labels.additionalProperties',
        '$.properties.spec.properties.template.properties.metadata.properties.annotations.additionalProperties',
      ]);
    });
  });
});
