// ClusterClass with CAPI's topology controller and webhooks: a Cluster of a class gets its DockerCluster from
// our DockerClusterTemplate (examples/clusterclass.yaml, applied as a user would), the provider provisions it,
// a template's spec cannot be edited, a class switched to another template rolls the load balancer in place,
// and CAPI's webhooks convert a v1beta1 Cluster and refuse an invalid one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { clusterGroup, clusterNameLabel, clusterResource } from '../../src/api/capi.js';
import {
  apiVersion,
  type DockerCluster,
  type DockerClusterTemplate,
  dockerClusterResource,
  group,
  templateKind,
  templatePlural,
  version,
} from '../../src/api/dockercluster.js';
import { mergePatch } from '../../src/clients.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { record, seconds } from '../support/reliability.js';
import { docker, eventually, repoRoot, uniqueName } from '../support/stack.js';

const scenarioGroup = 'ClusterClass, with CAPI’s topology controller and webhooks';
/** Names in examples/clusterclass.yaml. */
const example = { cluster: 'demo-topology', clusterClass: 'docker-lb', template: 'docker-lb' };
const classResource = { group: clusterGroup, version: 'v1beta2', plural: 'clusterclasses' };
const templateResource = { group, version, plural: templatePlural };

interface ClusterStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

describe('ClusterClass: Clusters from a DockerClusterTemplate, with CAPI’s webhooks', () => {
  const engine = docker();
  let objects: TestObjects;
  let provider: RunningProvider;
  // Asynchronous: the provider runs in this process and must go on while kubectl runs.
  const kubectl = async (args: string[], input?: string) => {
    const child = promisify(execFile)('kubectl', [...args, '--namespace', objects.namespace], {
      cwd: repoRoot,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };

  /** The DockerClusters CAPI made for a Cluster (by its cluster-name label). */
  const dockerClustersOf = async (cluster: string) =>
    (
      (await objects.api.listNamespacedCustomObject({
        ...dockerClusterResource,
        namespace: objects.namespace,
        labelSelector: `${clusterNameLabel}=${cluster}`,
      })) as { items: DockerCluster[] }
    ).items;

  // CAPI's one manager serves every test file running beside this one: 5 s alone, up to 27 s side by side.
  const infrastructureReady = (cluster: string) =>
    eventually(
      `Cluster ${cluster} InfrastructureReady`,
      async () => {
        const current = (await objects.readCluster(cluster)) as ClusterStatus | undefined;
        return current?.status?.conditions?.some(
          (c) => c.type === 'InfrastructureReady' && c.status === 'True',
        )
          ? true
          : undefined;
      },
      120_000,
    );

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace });
  });

  after(async () => {
    await provider.stop();
  });

  it('a Cluster of the class: CAPI creates its DockerCluster from the template, the provider provisions it', async () => {
    const appliedAt = Date.now();
    await kubectl(['apply', '-f', 'examples/clusterclass.yaml']);
    await infrastructureReady(example.cluster);
    const ready = seconds(appliedAt);
    const [dockerCluster, ...others] = await dockerClustersOf(example.cluster);
    assert.ok(dockerCluster, 'CAPI created a DockerCluster');
    assert.deepEqual(others, [], 'exactly one');
    assert.equal(dockerCluster.metadata.labels?.['topology.cluster.x-k8s.io/owned'], '');
    assert.equal(dockerCluster.metadata.annotations?.['cluster.x-k8s.io/cloned-from-name'], example.template);
    assert.equal(
      dockerCluster.metadata.annotations?.['cluster.x-k8s.io/cloned-from-groupkind'],
      `${templateKind}.${group}`,
    );
    assert.equal(dockerCluster.status?.ready, true);
    assert.equal((await objects.containersOf(dockerCluster.metadata.uid as string)).length, 1);
    const described = await promisify(execFile)('clusterctl', [
      'describe',
      'cluster',
      example.cluster,
      '--namespace',
      objects.namespace,
      '--show-conditions',
      'all',
    ]);
    assert.match(described.stdout, /TopologyReconciled +True/);
    assert.match(described.stdout, /InfrastructureReady +True/);
    assert.match(described.stdout, new RegExp(`DockerCluster ${objects.namespace}/${example.cluster}-`));
    console.log(`# kubectl apply of a topology Cluster → InfrastructureReady: ${ready}`);
    record({
      group: scenarioGroup,
      scenario: 'a Cluster of a ClusterClass',
      action: 'examples/clusterclass.yaml applied (DockerClusterTemplate, ClusterClass, a topology Cluster)',
      result:
        'CAPI created one DockerCluster from the template (topology-owned label, cloned-from annotations); the provider provisioned it; InfrastructureReady',
      measured: `kubectl apply → InfrastructureReady ${ready}`,
    });
  });

  it('refuses an edit of a template’s spec, with a message that says what to do', async () => {
    await assert.rejects(
      objects.api.patchNamespacedCustomObject(
        {
          ...templateResource,
          namespace: objects.namespace,
          name: example.template,
          body: { spec: { template: { spec: { loadbalancerImage: 'haproxy:other' } } } },
        },
        mergePatch,
      ),
      (error: unknown) =>
        error instanceof k8s.ApiException &&
        error.code === 422 &&
        /spec\.template\.spec is immutable: create a new DockerClusterTemplate and point the ClusterClass at it/.test(
          String(error.body),
        ),
    );
  });

  it('a class switched to another template: CAPI patches the DockerCluster in place, the provider rolls its load balancer on the same endpoint', async () => {
    const [before] = await dockerClustersOf(example.cluster);
    assert.ok(before?.spec?.controlPlaneEndpoint?.host, 'the Cluster of the first test is provisioned');
    const uid = before.metadata.uid as string;
    const [container] = await objects.containersOf(uid);
    assert.ok(container);
    const tag = uniqueName('class');
    const rolledImage = `capd-temporal/haproxy:${tag}`;
    await engine.getImage(container.Image).tag({ repo: 'capd-temporal/haproxy', tag });
    try {
      const rolledTemplate: DockerClusterTemplate = {
        apiVersion,
        kind: templateKind,
        metadata: { name: `${example.template}-rolled` },
        spec: { template: { spec: { loadbalancerImage: rolledImage } } },
      };
      await objects.api.createNamespacedCustomObject({
        ...templateResource,
        namespace: objects.namespace,
        body: rolledTemplate,
      });
      const switchedAt = Date.now();
      await objects.api.patchNamespacedCustomObject(
        {
          ...classResource,
          namespace: objects.namespace,
          name: example.clusterClass,
          body: { spec: { infrastructure: { templateRef: { name: rolledTemplate.metadata.name } } } },
        },
        mergePatch,
      );
      const rolled = await eventually('the load balancer on the new template’s image, Ready', async () => {
        const [current] = await dockerClustersOf(example.cluster);
        const containers = await objects.containersOf(uid);
        return current?.spec?.loadbalancerImage === rolledImage &&
          containers.length === 1 &&
          containers[0]?.Image === rolledImage &&
          containers[0].State === 'running' &&
          current.status?.ready &&
          current.status.observedGeneration === current.metadata.generation
          ? current
          : undefined;
      });
      const rolledAfter = seconds(switchedAt);
      assert.equal(rolled.metadata.uid, uid, 'the same DockerCluster, patched in place');
      assert.deepEqual(rolled.spec?.controlPlaneEndpoint, before.spec?.controlPlaneEndpoint);
      assert.equal((await dockerClustersOf(example.cluster)).length, 1, 'no second DockerCluster');
      record({
        group: scenarioGroup,
        scenario: 'a ClusterClass switched to another DockerClusterTemplate',
        action:
          'a second template with another loadbalancerImage; the class’s infrastructure templateRef pointed at it',
        result:
          'CAPI patched the same DockerCluster; the provider rolled its load balancer to the new image on the same endpoint; one DockerCluster, one container, Ready',
        measured: `class patched → Ready on the new image ${rolledAfter}`,
      });
    } finally {
      await objects.deleteCluster(example.cluster);
      await objects.untilClusterGone(example.cluster);
      await engine.getImage(rolledImage).remove();
    }
  });

  it('converts a cluster.x-k8s.io/v1beta1 Cluster with CAPI’s webhook, and the provider provisions it', async () => {
    const name = uniqueName('v1beta1');
    const appliedAt = Date.now();
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: `${clusterGroup}/v1beta1`,
            kind: 'Cluster',
            metadata: { name },
            spec: { infrastructureRef: { apiVersion, kind: 'DockerCluster', name } },
          },
          { apiVersion, kind: 'DockerCluster', metadata: { name }, spec: {} },
        ],
      }),
    );
    await infrastructureReady(name);
    const ready = seconds(appliedAt);
    const stored = await objects.readCluster(name);
    assert.deepEqual(stored?.spec?.infrastructureRef, { apiGroup: group, kind: 'DockerCluster', name });
    const endpoint = (await objects.read(name))?.spec?.controlPlaneEndpoint?.host;
    assert.ok(endpoint, 'the DockerCluster has its endpoint');
    // CAPI copies the endpoint in a write of its own, which may come after InfrastructureReady.
    await eventually('read back as v1beta1: the endpoint CAPI copied from the DockerCluster', async () => {
      const asV1beta1 = (await objects.api.getNamespacedCustomObject({
        ...clusterResource,
        version: 'v1beta1',
        namespace: objects.namespace,
        name,
      })) as { spec: { controlPlaneEndpoint?: { host?: string } } };
      return asV1beta1.spec.controlPlaneEndpoint?.host === endpoint ? true : undefined;
    });
    await objects.deleteCluster(name);
    await objects.untilGone(name);
    record({
      group: scenarioGroup,
      scenario: 'a cluster.x-k8s.io/v1beta1 Cluster manifest',
      action:
        'a v1beta1 Cluster (infrastructureRef with apiVersion) and its DockerCluster applied with kubectl',
      result:
        'converted by CAPI’s webhook to v1beta2 (infrastructureRef.apiGroup); provisioned; InfrastructureReady; readable as v1beta1 with its endpoint',
      measured: `kubectl apply → InfrastructureReady ${ready}`,
    });
  });

  it('refuses an invalid Cluster with the message of CAPI’s webhook', async () => {
    await assert.rejects(
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: `${clusterGroup}/v1beta2`,
          kind: 'Cluster',
          metadata: { name: uniqueName('invalid') },
          spec: { topology: { classRef: { name: example.clusterClass }, version: 'one-point-thirty' } },
        }),
      ),
      /spec\.topology\.version: Invalid value: .*version must be a valid semantic version/,
    );
  });
});
