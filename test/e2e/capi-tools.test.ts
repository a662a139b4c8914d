// The README's demo as a CAPI user runs it, with the stack's kubectl and clusterctl against CAPI's own
// controllers and the provider: apply examples/cluster.yaml, wait for InfrastructureReady, describe, delete.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { repoRoot } from '../support/stack.js';

describe("the README's demo with kubectl and clusterctl", () => {
  let objects: TestObjects;
  let provider: RunningProvider;
  // Asynchronous: the provider runs in this process and must go on while kubectl waits.
  const run = async (command: string, ...args: string[]) =>
    (await promisify(execFile)(command, [...args, '--namespace', objects.namespace], { cwd: repoRoot }))
      .stdout;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace });
  });

  after(async () => {
    await provider.stop();
  });

  it('kubectl apply → InfrastructureReady; clusterctl describe shows it; kubectl delete cluster removes all', async () => {
    const appliedAt = Date.now();
    await run('kubectl', 'apply', '-f', 'examples/cluster.yaml');
    await run(
      'kubectl',
      'wait',
      'cluster/demo',
      '--for',
      'condition=InfrastructureReady',
      '--timeout',
      '120s',
    );
    console.log(`# kubectl apply → InfrastructureReady: ${((Date.now() - appliedAt) / 1000).toFixed(2)} s`);

    const table = await run('kubectl', 'get', 'clusters,dockerclusters');
    const endpoint = (await objects.read('demo'))?.spec?.controlPlaneEndpoint?.host;
    assert.ok(endpoint);
    assert.match(table, /cluster\.cluster\.x-k8s\.io\/demo/);
    assert.match(
      table,
      new RegExp(
        `dockercluster\\.infrastructure\\.cluster\\.x-k8s\\.io/demo +demo +true +${endpoint.replaceAll('.', '\\.')}`,
      ),
    );

    const described = await run('clusterctl', 'describe', 'cluster', 'demo', '--show-conditions', 'all');
    console.log(described.replace(/^/gm, '# '));
    assert.match(described, /InfrastructureReady +True +Ready/);
    assert.match(described, new RegExp(`DockerCluster ${objects.namespace}/demo`));
    assert.match(described, /LoadBalancerAvailable +True +Available .*serves/);

    const uid = (await objects.read('demo'))?.metadata.uid as string;
    await run('kubectl', 'delete', 'cluster', 'demo', '--timeout', '120s');
    assert.equal(await objects.read('demo'), undefined);
    assert.deepEqual(await objects.containersOf(uid), []);
  });
});
