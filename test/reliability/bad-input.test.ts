// Bad input refused or reported, nothing foreign touched, nothing secret kept: each case gets a clear
// condition/Event (or an API error), bounded retries and no leaked container.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import proto from '@temporalio/proto';
import { configPath, haproxyConfig } from '../../src/activities/load-balancer.js';
import { managedByAnnotation, pausedAnnotation } from '../../src/api/capi.js';
import {
  group as apiGroup,
  apiVersion,
  type DockerCluster,
  plural,
  version,
} from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import type { ReconcileState } from '../../src/workflows/definitions.js';
import { readContainerFile } from '../support/container-files.js';
import { TestObjects } from '../support/objects.js';
import { ProviderProcesses } from '../support/provider-processes.js';
import { activityCalls, converged, record, seconds } from '../support/reliability.js';
import { docker, eventually, kubeConfig, stackEnv, uniqueName } from '../support/stack.js';

const group = 'Bad input and security';

describe('bad input and security', () => {
  let objects: TestObjects;
  let provider: ProviderProcesses;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = new ProviderProcesses({ namespace: objects.namespace, env: { CAPDT_RESYNC_SECONDS: '5' } });
    await provider.start();
  });

  after(async () => {
    await provider.stop();
    await objects.removeContainers();
  });

  const state = (object: DockerCluster) =>
    provider.client.workflow.getHandle(workflowIdOf(refOf(object))).query<ReconcileState>('state');

  const warnings = async (name: string) =>
    (await core.listNamespacedEvent({ namespace: objects.namespace })).items.filter(
      (event) => event.involvedObject.name === name && event.type === 'Warning',
    );

  it('an image that does not exist: condition, one Warning event, slow retries, no container; fixed by editing the spec', async () => {
    const name = uniqueName('no-image');
    const image = 'capd-temporal/does-not-exist:never';
    const { dockerCluster } = await objects.createPair(name, { spec: { loadbalancerImage: image } });
    const condition = await eventually('the condition', async () =>
      (await objects.read(name))?.status?.conditions?.find(
        (c) => c.type === 'LoadBalancerAvailable' && c.status === 'False',
      ),
    );
    assert.match(condition.message, new RegExp(`${image} is not on the Docker engine and cannot be pulled`));
    const watchedFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const attempts = await activityCalls(provider.client, dockerCluster, 'createLoadBalancer');
    assert.ok(attempts <= 4, `bounded retries: ${attempts} attempts in about 20 s`);
    assert.equal(
      (await warnings(name)).length,
      1,
      'one Warning event for one error, however often it is retried',
    );
    assert.deepEqual(await objects.containersOf(dockerCluster.metadata.uid as string), []);

    await objects.patch(name, { spec: { loadbalancerImage: stackEnv('CAPDT_LB_IMAGE') } });
    const fixedAt = Date.now();
    await converged(`${name} fixed`, objects, provider.client, provider.network, { live: [name] });
    record({
      group,
      scenario: 'Load-balancer image that does not exist',
      action: `spec.loadbalancerImage: ${image}; later corrected`,
      result:
        'LoadBalancerAvailable=False "… is not on the Docker engine and cannot be pulled …", one Warning event, no container; ready once corrected',
      measured: `${attempts} create attempts in ${seconds(watchedFrom)} (backoff 5 s doubling); ready ${seconds(fixedAt)} after the fix`,
    });
  });

  it('a network that cannot be created: condition and Warning, no container', async () => {
    const badObjects = await TestObjects.inFreshNamespace();
    const { namespace } = badObjects;
    const bad = new ProviderProcesses({ namespace, env: { CAPDT_NETWORK: 'default' } });
    await bad.start();
    try {
      const name = uniqueName('bad-network');
      const { dockerCluster } = await badObjects.createPair(name);
      const condition = await eventually('the condition', async () =>
        (await badObjects.read(name))?.status?.conditions?.find(
          (c) => c.type === 'LoadBalancerAvailable' && c.status === 'False',
        ),
      );
      assert.match(
        condition.message,
        /Docker network default \(subnet [0-9./]+\) cannot be created: .*predefined/,
      );
      assert.deepEqual(await badObjects.containersOf(dockerCluster.metadata.uid as string), []);
      record({
        group,
        scenario: 'Docker network that cannot be created',
        action: 'provider configured with the network name "default" (Docker refuses to create it)',
        result: `LoadBalancerAvailable=False: "${condition.message}"; no container`,
        measured: 'InvalidNetwork is not retried by the activity; the workflow retries slowly',
      });
    } finally {
      await bad.stop();
      await badObjects.removeContainers();
    }
  });

  it('invalid specs are refused by the API server', async () => {
    const attempts: [string, object, string | undefined][] = [
      ['port 0', { controlPlaneEndpoint: { host: 'a', port: 0 } }, undefined],
      ['port 70000', { controlPlaneEndpoint: { host: 'a', port: 70000 } }, undefined],
      ['host of 513 characters', { controlPlaneEndpoint: { host: 'h'.repeat(513), port: 6443 } }, undefined],
      ['an unknown field (strict, as kubectl sends)', { loadBalancerImage: 'typo' }, 'Strict'],
    ];
    const refused: string[] = [];
    for (const [what, spec, fieldValidation] of attempts) {
      const error = await objects.api
        .createNamespacedCustomObject({
          group: apiGroup,
          version,
          plural,
          namespace: objects.namespace,
          ...(fieldValidation && { fieldValidation }),
          body: { apiVersion, kind: 'DockerCluster', metadata: { name: uniqueName('invalid') }, spec },
        })
        .then(
          () => undefined,
          (failure: k8s.ApiException<unknown>) => failure,
        );
      assert.ok(error && [400, 422].includes(error.code), `${what} is refused`);
      refused.push(`${what} → ${error.code}`);
    }
    record({
      group,
      scenario: 'Invalid specs',
      action: 'DockerClusters created with port 0, port 70000, a 513-character host, an unknown spec field',
      result: 'all refused by the CRD schema at the API server; nothing reaches the provider',
      measured: refused.join('; '),
    });
  });

  it('names at the maximum length, and the same name in two namespaces', async () => {
    const long = `l${uniqueName('x')}`.padEnd(253, 'n');
    const other = await TestObjects.inFreshNamespace();
    const shared = uniqueName('same');
    // The provider watches one namespace; the second one's pair gets a provider of its own.
    const second = new ProviderProcesses({ namespace: other.namespace });
    await second.start();
    try {
      // CAPI limits Cluster names to 63 characters; the DockerCluster's may use all 253 of a DNS subdomain.
      await objects.createCluster(uniqueName('long-owner'), {
        infrastructureRef: { apiGroup, kind: 'DockerCluster', name: long },
      });
      await objects.createDockerCluster(long);
      await objects.createPair(shared);
      await other.createPair(shared);
      await converged('the long name', objects, provider.client, provider.network, { live: [long, shared] });
      await converged('the same name elsewhere', other, second.client, second.network, { live: [shared] });
      const [mine] = await objects.containersOf((await objects.read(shared))?.metadata.uid as string);
      const [theirs] = await other.containersOf((await other.read(shared))?.metadata.uid as string);
      assert.notEqual(mine?.Names[0], theirs?.Names[0], 'one container name each');
      const [longOne] = await objects.containersOf((await objects.read(long))?.metadata.uid as string);
      record({
        group,
        scenario: 'Maximum-length name; one name in two namespaces',
        action: 'a 253-character DockerCluster name; the same name in two namespaces',
        result: 'all ready, each with its own load balancer',
        measured: `container names ${longOne?.Names[0]?.length ?? 0} characters (≤ 64 with the leading slash); ${mine?.Names[0]} vs ${theirs?.Names[0]}`,
      });
    } finally {
      await second.stop();
      await other.removeContainers();
    }
  });

  it('odd annotation values: a paused annotation of any value pauses, managed-by is left alone, others change nothing', async () => {
    const paused = uniqueName('odd-paused');
    const managed = uniqueName('odd-managed');
    const noisy = uniqueName('odd-noise');
    const { dockerCluster: pausedObject } = await objects.createPair(paused, {
      annotations: { [pausedAnnotation]: 'false' },
    });
    const { dockerCluster: managedObject } = await objects.createPair(managed, {
      annotations: { [managedByAnnotation]: '' },
    });
    await objects.createPair(noisy, {
      annotations: { 'example.com/odd': 'line one\nbind *:1\n\u0000\u{1F600}', 'example.com/empty': '' },
    });
    await converged('the noisy one', objects, provider.client, provider.network, { live: [noisy] });
    await eventually('the paused one to pause', async () =>
      (await state(pausedObject)).phase === 'Paused' ? true : undefined,
    );
    await eventually('the managed one to be left alone', async () =>
      (await state(managedObject)).phase === 'ExternallyManaged' ? true : undefined,
    );
    assert.deepEqual(await objects.containersOf(pausedObject.metadata.uid as string), []);
    assert.deepEqual(await objects.containersOf(managedObject.metadata.uid as string), []);
    assert.equal(
      (await objects.read(managed))?.metadata.finalizers,
      undefined,
      'an externally managed object gets no finalizer',
    );

    // The HAProxy config holds validated numbers only: annotations cannot reach it.
    const [container] = await objects.containersOf((await objects.read(noisy))?.metadata.uid as string);
    const config = await readContainerFile(docker().getContainer(container?.Id as string), configPath);
    assert.equal(config, haproxyConfig({ port: 6443, ipFamily: 'IPv4', backends: [] }));
    record({
      group,
      scenario: 'Odd annotation values; injection through annotations',
      action: `${pausedAnnotation}: "false"; ${managedByAnnotation}: ""; an annotation holding newlines, an HAProxy directive, NUL and an emoji`,
      result:
        'paused (presence pauses, as in CAPI); left alone, no finalizer; the third ready with the exact generated HAProxy config',
      measured: 'no container for the paused or the managed one',
    });
  });

  it('a DockerCluster that no Cluster ever names: waits, bounded reads, no container', async () => {
    const name = uniqueName('no-cluster');
    const dockerCluster = await objects.createDockerCluster(name);
    await eventually('waiting for the owner', async () =>
      (await state(dockerCluster)).phase === 'WaitingForOwner' ? true : undefined,
    );
    const from = Date.now();
    const readsBefore = await activityCalls(provider.client, dockerCluster, 'getDockerCluster');
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const reads = (await activityCalls(provider.client, dockerCluster, 'getDockerCluster')) - readsBefore;
    assert.ok(reads <= 5, `bounded: ${reads} reads in 15 s (resync 5 s)`);
    assert.deepEqual(await objects.containersOf(dockerCluster.metadata.uid as string), []);
    const waiting = await objects.read(name);
    assert.equal(waiting?.metadata.finalizers, undefined);
    assert.equal(waiting?.metadata.ownerReferences, undefined, 'CAPI sets no owner: no Cluster names it');
    record({
      group,
      scenario: 'A DockerCluster that no Cluster names',
      action: 'DockerCluster created with no Cluster referring to it (CAPI never sets its owner)',
      result: 'phase WaitingForOwner; no finalizer, no container',
      measured: `${reads} reads in ${seconds(from)} (one per resync)`,
    });
  });

  it('keeps no secret in workflow history', async () => {
    const { EventType } = proto.temporal.api.enums.v1;
    const kubeconfig = readFileSync(stackEnv('KUBECONFIG'), 'utf8');
    const secrets = [
      /BEGIN [A-Z ]*PRIVATE KEY/,
      /BEGIN CERTIFICATE/,
      /client-key/,
      /\btoken\b/i,
      /kubeconfig/i,
    ];
    let histories = 0;
    let payloadBytes = 0;
    for await (const execution of provider.client.workflow.list({
      query: `DockerClusterNamespace="${objects.namespace}"`,
    })) {
      const history = await provider.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .fetchHistory();
      const text = JSON.stringify(history.events ?? [], (_key, value) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
      );
      payloadBytes += text.length;
      histories += 1;
      for (const secret of secrets) assert.doesNotMatch(text, secret, `history of ${execution.workflowId}`);
      assert.ok(!text.includes(kubeconfig.slice(0, 200)));
      assert.ok(
        (history.events ?? []).some(
          (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        ),
      );
    }
    assert.ok(histories > 0);
    record({
      group,
      scenario: 'No secret in workflow history',
      action: 'every history of this suite searched for keys, certificates, tokens and kubeconfig content',
      result: 'none found: inputs and results are object references and small views',
      measured: `${histories} histories, ${(payloadBytes / 1024).toFixed(0)} KiB of events searched`,
    });
  });

  it('runs under the least-privilege ClusterRole, never as an admin', async () => {
    const whoami = await provider.client.workflow.count(`DockerClusterNamespace="${objects.namespace}"`);
    assert.ok(whoami.count > 0);
    const config = readFileSync(provider.kubeConfigPath, 'utf8');
    assert.doesNotMatch(config, /admin\.crt/, 'the provider does not use the admin certificate');
    record({
      group,
      scenario: 'Least privilege',
      action:
        'worker and watcher processes run with a client certificate bound only to config/rbac/role.yaml',
      result:
        'every scenario above passed under it; test/e2e/rbac.test.ts shows a missing verb makes the provider fail visibly',
      measured: `${whoami.count} workflows driven under that identity in this file`,
    });
  });
});
