// Faults survived: processes killed at the worst moments, parts of the stack restarted, the world changed
// by hand, and conflicting writers. Each scenario ends with the invariant checks and records what it measured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { pausedAnnotation } from '../../src/api/capi.js';
import { finalizer } from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { TestObjects } from '../support/objects.js';
import { ProviderProcesses } from '../support/provider-processes.js';
import { activityRetries, converged, foreignContainer, record, seconds } from '../support/reliability.js';
import { docker, eventually, repoRoot, stackEnv, uniqueName } from '../support/stack.js';

const group = 'Faults';
const resyncSeconds = 5;

function stack(...args: string[]): string {
  return execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, ...args], { encoding: 'utf8' });
}

describe('faults', () => {
  let objects: TestObjects;
  let provider: ProviderProcesses;
  let foreign: Awaited<ReturnType<typeof foreignContainer>>;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = new ProviderProcesses({
      namespace: objects.namespace,
      env: { CAPDT_RESYNC_SECONDS: String(resyncSeconds) },
    });
    await provider.start();
    foreign = await foreignContainer(`${objects.namespace}-foreign-lb`);
  });

  after(async () => {
    await foreign.check();
    await foreign.remove();
    await provider.stop();
    await objects.removeContainers();
  });

  const check = async (what: string, expected: Parameters<typeof converged>[4], timeoutMs?: number) => {
    try {
      await converged(what, objects, provider.client, provider.network, expected, timeoutMs);
    } catch (error) {
      console.log(`# worker log:\n${provider.worker?.tail()}\n# watcher log:\n${provider.watcher?.tail()}`);
      throw error;
    }
  };

  for (const crashAt of [
    'createLoadBalancer:after',
    'getLoadBalancerAddress:before',
    'setControlPlaneEndpoint:after',
    'updateStatus:before',
  ]) {
    it(`worker SIGKILLed during a create, at ${crashAt}: one container, correct status`, async () => {
      await provider.worker?.kill('SIGTERM');
      const worker = await provider.startWorker(crashAt);
      const name = uniqueName('crash');
      await objects.createPair(name);
      const { signal } = await worker.exited;
      assert.equal(signal, 'SIGKILL', `the worker crashed at ${crashAt}`);
      const restarted = Date.now();
      await provider.startWorker();
      await check(`${name} after the crash`, { live: [name] });
      await foreign.check();
      record({
        group,
        scenario: `Worker SIGKILL during create, ${crashAt.replace(':', ' ')}`,
        action: 'worker process killed at that point of the first reconcile, then started again',
        result: 'one load balancer, ready, endpoint = its IP, no orphan',
        measured: `converged ${seconds(restarted)} after the restart`,
      });
    });
  }

  for (const crashAt of ['deleteLoadBalancer:after', 'removeFinalizer:before']) {
    it(`worker SIGKILLed during a delete, at ${crashAt}: no container, object gone`, async () => {
      const name = uniqueName('crash-del');
      const { dockerCluster } = await objects.createPair(name);
      await check(`${name} ready`, { live: [name] });
      await provider.worker?.kill('SIGTERM');
      const worker = await provider.startWorker(crashAt);
      await objects.delete(name);
      const { signal } = await worker.exited;
      assert.equal(signal, 'SIGKILL', `the worker crashed at ${crashAt}`);
      const restarted = Date.now();
      await provider.startWorker();
      await check(`${name} deleted after the crash`, { deleted: [dockerCluster] });
      record({
        group,
        scenario: `Worker SIGKILL during delete, ${crashAt.replace(':', ' ')}`,
        action: 'DockerCluster deleted; worker killed at that point, then started again',
        result: 'container removed, finalizer removed, object gone, workflow completed',
        measured: `converged ${seconds(restarted)} after the restart`,
      });
    });
  }

  it('watcher killed and restarted while objects change: no change missed, one workflow each', async () => {
    const [kept, removed, paused] = [uniqueName('w-kept'), uniqueName('w-del'), uniqueName('w-pause')];
    for (const name of [kept, removed, paused]) await objects.createPair(name);
    await check('three ready', { live: [kept, removed, paused] });
    const gone = (await objects.read(removed)) as NonNullable<Awaited<ReturnType<TestObjects['read']>>>;

    await provider.watcher?.kill('SIGKILL');
    const added = uniqueName('w-new');
    await objects.createPair(added);
    await objects.delete(removed);
    await objects.patch(paused, { metadata: { annotations: { [pausedAnnotation]: '' } } });
    const restarted = Date.now();
    await provider.startWatcher();

    await check('changes made while the watcher was down', { live: [kept, added], deleted: [gone] });
    await eventually('the pause to be honoured', async () =>
      (await objects.read(paused))?.status?.conditions?.some(
        (c) => c.type === 'Paused' && c.status === 'True',
      )
        ? true
        : undefined,
    );
    const running = await provider.client.workflow.count(
      `DockerClusterNamespace="${objects.namespace}" AND ExecutionStatus="Running"`,
    );
    const live = [kept, added, paused];
    for (const name of live) {
      const object = await objects.read(name);
      const id = workflowIdOf(refOf(object as NonNullable<typeof object>));
      const { count } = await provider.client.workflow.count(
        `WorkflowId="${id}" AND ExecutionStatus="Running"`,
      );
      assert.equal(count, 1, `exactly one running workflow for ${name}`);
    }
    record({
      group,
      scenario: 'Watcher SIGKILL while objects change',
      action: 'watcher killed; a DockerCluster created, one deleted, one paused; watcher started again',
      result: 'all three changes acted on; exactly one running workflow per live DockerCluster',
      measured: `converged ${seconds(restarted)} after the restart; ${running.count} running workflows in the namespace`,
    });
  });

  it('API server restarted (etcd kept): the watcher lists again and recovers without a provider restart', async () => {
    const before = await (await fetch(`${await provider.watcher?.httpBase()}/metrics`)).text();
    const restartsBefore = Number(/capdt_watch_restarts_total (\d+)/.exec(before)?.[1] ?? 0);
    const started = Date.now();
    stack('stop', 'kube-apiserver');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stack('up');
    const back = Date.now();
    const name = uniqueName('after-apiserver');
    await objects.createPair(name);
    await check(`${name} after the restart`, { live: [name] });
    const metrics = await (await fetch(`${await provider.watcher?.httpBase()}/metrics`)).text();
    const restarts = Number(/capdt_watch_restarts_total (\d+)/.exec(metrics)?.[1] ?? 0) - restartsBefore;
    // The object made after the restart was provisioned: the watches are back, whether the informer saw an
    // error (a counted restart) or a watch that the stopping API server closed cleanly (a plain re-watch).
    assert.equal(provider.watcher?.child.exitCode, null, 'the watcher process kept running');
    record({
      group,
      scenario: 'API server restarted, etcd kept',
      action: 'kube-apiserver stopped for 2 s and started again; then a new DockerCluster created',
      result: 'watches came back by themselves; the new DockerCluster provisioned',
      measured: `API server down ${((back - started) / 1000).toFixed(1)} s; ${restarts} watch restarts; new object ready ${seconds(back)} after the API server was back`,
    });
  });

  it('Temporal restarted with its database kept: running workflows continue', async () => {
    const name = uniqueName('temporal');
    const { dockerCluster } = await objects.createPair(name);
    await check(`${name} ready`, { live: [name] });
    const handle = provider.client.workflow.getHandle(workflowIdOf(refOf(dockerCluster)));
    const runBefore = (await handle.describe()).runId;

    stack('stop', 'temporal');
    stack('up');
    const back = Date.now();
    await objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: '' } } });
    await eventually(
      'the workflow to pause after the restart',
      async () =>
        (await objects.read(name))?.status?.conditions?.some(
          (c) => c.type === 'Paused' && c.status === 'True',
        )
          ? true
          : undefined,
      90_000,
    );
    const reacted = seconds(back);
    await objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: null } } });
    await check(`${name} after the Temporal restart`, { live: [name] });
    assert.equal((await handle.describe()).runId, runBefore, 'the same workflow run continued');
    record({
      group,
      scenario: 'Temporal dev server restarted, database kept',
      action: 'temporal server stopped and started again; then the DockerCluster paused and unpaused',
      result: 'the same workflow run continued and acted on both changes',
      measured: `pause honoured ${reacted} after Temporal was back`,
    });
  });

  it('load-balancer container removed or stopped by hand: restored within the resync interval', async () => {
    const name = uniqueName('by-hand');
    const { dockerCluster } = await objects.createPair(name);
    await check(`${name} ready`, { live: [name] });
    const uid = dockerCluster.metadata.uid as string;
    const engine = docker();

    /** The running load balancer of ours that serves the endpoint on its first address and host port. */
    const placeOf = async (id: string) => {
      const details = await engine.getContainer(id).inspect();
      return {
        running: details.State.Running,
        ip: details.NetworkSettings.Networks[provider.network]?.IPAddress,
        hostPort: details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort,
      };
    };
    const [first] = await objects.containersOf(uid);
    const endpoint = (await objects.read(name))?.spec?.controlPlaneEndpoint;
    const { hostPort } = await placeOf(first?.Id as string);
    await engine.getContainer(first?.Id as string).stop({ t: 0 });
    const stopped = Date.now();
    // Started again, Docker publishes the port anew; the provider replaces it to keep the host port.
    const second = await eventually(
      'a running load balancer on the same address and host port',
      async () => {
        const [current] = await objects.containersOf(uid);
        const place = current && (await placeOf(current.Id));
        return place?.running && place.ip === endpoint?.host && place.hostPort === hostPort
          ? current
          : undefined;
      },
      60_000,
    );
    await check(`${name} restarted`, { live: [name] }, 60_000);
    const restartTime = seconds(stopped);

    await engine.getContainer(second.Id).remove({ force: true });
    // Another container takes the address just freed before the provider can have it back.
    const squatter = await engine.createContainer({
      name: uniqueName('squatter'),
      Image: stackEnv('CAPDT_LB_IMAGE'),
      HostConfig: { NetworkMode: provider.network },
      NetworkingConfig: {
        EndpointsConfig: { [provider.network]: { IPAMConfig: { IPv4Address: endpoint?.host } } },
      },
    });
    await squatter.start();
    const squatterName = (await squatter.inspect()).Name.replace(/^\//, '');
    const removed = Date.now();
    try {
      // The first failure may be the removal itself (the container seen while Docker removed it); the
      // condition then names the holder once the provider tries to re-create it.
      const holderMessage = new RegExp(`${endpoint?.host?.replaceAll('.', '\\.')}.*${squatterName}`);
      await eventually(
        'LoadBalancerAvailable=False and Ready=False naming the address and its holder',
        async () => {
          const conditions = (await objects.read(name))?.status?.conditions ?? [];
          const available = conditions.find((c) => c.type === 'LoadBalancerAvailable');
          const ready = conditions.find((c) => c.type === 'Ready');
          return available?.status === 'False' &&
            ready?.status === 'False' &&
            holderMessage.test(available.message)
            ? available
            : undefined;
        },
        60_000,
      );
      const reportedAfter = seconds(removed);
      assert.deepEqual(
        (await objects.read(name))?.spec?.controlPlaneEndpoint,
        endpoint,
        'the endpoint is not moved',
      );
      await squatter.remove({ force: true });
      const freed = Date.now();
      await check(`${name} recreated`, { live: [name] }, 60_000);
      const [third] = await objects.containersOf(uid);
      const details = await engine.getContainer(third?.Id as string).inspect();
      assert.equal(details.NetworkSettings.Networks[provider.network]?.IPAddress, endpoint?.host);
      assert.equal(details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort, hostPort, 'the same host port');
      assert.deepEqual((await objects.readCluster(name))?.spec?.controlPlaneEndpoint, endpoint);
      record({
        group,
        scenario: 'Load balancer stopped, then removed, by hand',
        action: `container stopped; later removed and its IP taken by another container until that one was removed (resync ${resyncSeconds} s)`,
        result:
          'restarted on its address and host port; while the address was taken LoadBalancerAvailable and Ready were False naming the address and the holder, the endpoint unmoved; then re-created on the same IP and host port, and the Cluster kept its endpoint',
        measured: `restarted after ${restartTime}; holder reported after ${reportedAfter}; re-created ${seconds(freed)} after the address was free (${endpoint?.host}, host port ${hostPort})`,
      });
    } finally {
      await squatter.remove({ force: true }).catch(() => undefined);
    }
  });

  it('deleted while its load balancer is being created; owner deleted first; same name re-created', async () => {
    const racing = uniqueName('race');
    const { dockerCluster: raced } = await objects.createPair(racing);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deletedAt = Date.now();
    await objects.delete(racing);
    await check(`${racing} deleted mid-create`, { deleted: [raced] });
    const raceTime = seconds(deletedAt);

    const orphaned = uniqueName('owner-first');
    const { dockerCluster: orphan } = await objects.createPair(orphaned);
    await check(`${orphaned} ready`, { live: [orphaned] });
    // CAPI deletes the Cluster's DockerCluster and waits for it before the Cluster goes.
    await objects.deleteCluster(orphaned);
    await check(`${orphaned} deleted with its Cluster`, { deleted: [orphan] });
    await objects.untilClusterGone(orphaned);

    const reused = uniqueName('reuse');
    const { dockerCluster: firstLife } = await objects.createPair(reused);
    await check(`${reused} ready`, { live: [reused] });
    await objects.deleteCluster(reused);
    await objects.untilClusterGone(reused);
    const recreatedAt = Date.now();
    const { dockerCluster: secondLife } = await objects.createPair(reused);
    assert.notEqual(secondLife.metadata.uid, firstLife.metadata.uid);
    await check(`${reused} re-created`, { live: [reused], deleted: [firstLife] });
    record({
      group,
      scenario: 'Deleted during create; owner deleted first; name re-used',
      action:
        'DockerCluster deleted 0.3 s after creation; a Cluster deleted (CAPI deletes its DockerCluster); a Cluster and DockerCluster deleted and at once created again under the same name',
      result: 'no container left in either deletion; the new incarnation got its own workflow and container',
      measured: `delete during create converged in ${raceTime}; re-created name ready ${seconds(recreatedAt)} after creation`,
    });
  });

  it('conflicting writers: labels written meanwhile and another finalizer are kept', async () => {
    const name = uniqueName('writers');
    const otherFinalizer = 'example.com/other-controller';
    await objects.createPair(name);
    await objects.patch(name, { metadata: { finalizers: [otherFinalizer] } });
    const writes = 40;
    for (let index = 0; index < writes; index++) {
      await objects.patch(name, { metadata: { labels: { [`example.com/label-${index}`]: String(index) } } });
    }
    await check(`${name} ready`, { live: [name] });
    const object = await objects.read(name);
    const labels = Object.keys(object?.metadata.labels ?? {}).filter((key) =>
      key.startsWith('example.com/label-'),
    );
    assert.equal(labels.length, writes, 'no label write was lost');
    assert.deepEqual(new Set(object?.metadata.finalizers), new Set([otherFinalizer, finalizer]));

    await objects.delete(name);
    await eventually('our finalizer to go, the other to stay', async () => {
      const current = await objects.read(name);
      return current?.metadata.finalizers?.length === 1 && current.metadata.finalizers[0] === otherFinalizer
        ? current
        : undefined;
    });
    assert.deepEqual(await objects.containersOf(object?.metadata.uid as string), []);
    await objects.patch(name, { metadata: { finalizers: null } });
    await objects.untilGone(name);
    record({
      group,
      scenario: 'Conflicting writers',
      action: `another client wrote ${writes} labels while the provider provisioned; another controller's finalizer was on the object`,
      result: `all ${writes} labels kept; both finalizers kept; on deletion only ours was removed`,
      measured:
        'every provider write is a merge patch bound to the resourceVersion it read (409 → read again)',
    });
  });

  it('20 DockerClusters created and deleted together, with a worker kill in the middle', {
    timeout: 400_000,
  }, async () => {
    const names = Array.from({ length: 20 }, (_, index) => uniqueName(`many-${index}`));
    const created = Date.now();
    await Promise.all(names.map((name) => objects.createPair(name)));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await provider.worker?.kill('SIGKILL');
    await provider.startWorker();
    await check('20 ready', { live: names }, 240_000);
    const readyAfter = seconds(created);

    const objectsBefore = await Promise.all(names.map((name) => objects.read(name)));
    const deletedAt = Date.now();
    await Promise.all(names.map((name) => objects.delete(name)));
    await check(
      '20 deleted',
      { deleted: objectsBefore as NonNullable<(typeof objectsBefore)[number]>[] },
      240_000,
    );

    let retries = 0;
    for (const object of objectsBefore) {
      retries += await activityRetries(provider.client, object as NonNullable<typeof object>);
    }
    record({
      group,
      scenario: '20 at once, worker killed in the middle',
      action:
        '20 Cluster + DockerCluster pairs created together; worker SIGKILLed 2 s later and restarted; then all deleted together',
      result: '20 ready with one container each; then 20 gone, no container left, 20 workflows completed',
      measured: `all ready ${readyAfter} after creation; all gone ${seconds(deletedAt)} after deletion; ${retries} activity retries in all 20 histories (attempts lost with the worker, retried elsewhere)`,
    });
  });
});
