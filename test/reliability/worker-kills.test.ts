// The worker killed -9 at each step of a create and of a delete, then started again: one container, the
// right status, nothing left behind. Each scenario ends with the invariant checks and records what it measured.
import { describe, it } from 'node:test';
import { FaultRig, record, seconds } from '../support/reliability.js';
import { uniqueName } from '../support/stack.js';

const group = 'Faults';

describe('the worker killed during a reconcile', () => {
  const rig = new FaultRig(5);

  for (const crashAt of [
    'createLoadBalancer:after',
    'getLoadBalancerAddress:before',
    'setControlPlaneEndpoint:after',
    'updateStatus:before',
  ]) {
    it(`worker SIGKILLed during a create, at ${crashAt}: one container, correct status`, async () => {
      const name = uniqueName('crash');
      const restarted = await rig.crashWorkerDuring(crashAt, () => rig.objects.createPair(name));
      await rig.check(`${name} after the crash`, { live: [name] });
      await rig.foreign.check();
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
      const { dockerCluster } = await rig.objects.createPair(name);
      await rig.check(`${name} ready`, { live: [name] });
      const restarted = await rig.crashWorkerDuring(crashAt, () => rig.objects.delete(name));
      await rig.check(`${name} deleted after the crash`, { deleted: [dockerCluster] });
      record({
        group,
        scenario: `Worker SIGKILL during delete, ${crashAt.replace(':', ' ')}`,
        action: 'DockerCluster deleted; worker killed at that point, then started again',
        result: 'container removed, finalizer removed, object gone, workflow completed',
        measured: `converged ${seconds(restarted)} after the restart`,
      });
    });
  }
});
