// Parts of the stack restarted under a running provider: the API server (etcd kept) and Temporal (its
// database kept). They stop what every other test uses, so scripts/test.sh runs this file alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pausedAnnotation } from '../../src/api/capi.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { FaultRig, record, seconds } from '../support/reliability.js';
import { eventually, stack, uniqueName } from '../support/stack.js';

const group = 'Faults';

describe('the stack restarted under the provider', () => {
  const rig = new FaultRig(5);

  it('API server restarted (etcd kept): the watcher lists again and recovers without a provider restart', async () => {
    const before = await (await fetch(`${await rig.provider.watcher?.httpBase()}/metrics`)).text();
    const restartsBefore = Number(/capdt_watch_restarts_total (\d+)/.exec(before)?.[1] ?? 0);
    const started = Date.now();
    stack('stop', 'kube-apiserver');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stack('start', 'kube-apiserver');
    const back = Date.now();
    const name = uniqueName('after-apiserver');
    await rig.objects.createPair(name);
    await rig.check(`${name} after the restart`, { live: [name] });
    const metrics = await (await fetch(`${await rig.provider.watcher?.httpBase()}/metrics`)).text();
    const restarts = Number(/capdt_watch_restarts_total (\d+)/.exec(metrics)?.[1] ?? 0) - restartsBefore;
    // The object made after the restart was provisioned: the watches are back, whether the informer saw an
    // error (a counted restart) or a watch that the stopping API server closed cleanly (a plain re-watch).
    assert.equal(rig.provider.watcher?.child.exitCode, null, 'the watcher process kept running');
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
    const { dockerCluster } = await rig.objects.createPair(name);
    await rig.check(`${name} ready`, { live: [name] });
    const handle = rig.provider.client.workflow.getHandle(workflowIdOf(refOf(dockerCluster)));
    const runBefore = (await handle.describe()).runId;

    stack('stop', 'temporal');
    stack('start', 'temporal');
    const back = Date.now();
    await rig.objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: '' } } });
    await eventually(
      'the workflow to pause after the restart',
      async () =>
        (await rig.objects.read(name))?.status?.conditions?.some(
          (c) => c.type === 'Paused' && c.status === 'True',
        )
          ? true
          : undefined,
      90_000,
    );
    const reacted = seconds(back);
    await rig.objects.patch(name, { metadata: { annotations: { [pausedAnnotation]: null } } });
    await rig.check(`${name} after the Temporal restart`, { live: [name] });
    assert.equal((await handle.describe()).runId, runBefore, 'the same workflow run continued');
    record({
      group,
      scenario: 'Temporal dev server restarted, database kept',
      action: 'temporal server stopped and started again; then the DockerCluster paused and unpaused',
      result: 'the same workflow run continued and acted on both changes',
      measured: `pause honoured ${reacted} after Temporal was back`,
    });
  });
});
