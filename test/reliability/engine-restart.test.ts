// The Docker engine stopped for a while: activities retry with backoff (no hot loop), the condition says
// why, and everything converges once the engine is back. Only an engine that scripts/stack.sh started can be
// stopped; one it did not start is left alone and the scenario says so.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TestObjects } from '../support/objects.js';
import { ProviderProcesses } from '../support/provider-processes.js';
import { activityCalls, activityRetries, converged, record, seconds } from '../support/reliability.js';
import { docker, eventually, repoRoot, uniqueName } from '../support/stack.js';

const outageMs = 25_000;

function stack(...args: string[]) {
  return spawnSync('bash', [`${repoRoot}/scripts/stack.sh`, ...args], { encoding: 'utf8' });
}

describe('the Docker engine stopped for a while', () => {
  let objects: TestObjects;
  let provider: ProviderProcesses;

  /** Where a DockerCluster's load balancer is: its address on the provider's network and its host port. */
  async function loadBalancerPlace(name: string) {
    const [container] = await objects.containersOf((await objects.read(name))?.metadata.uid as string);
    const details = await docker()
      .getContainer(container?.Id as string)
      .inspect();
    return {
      ip: details.NetworkSettings.Networks[provider.network]?.IPAddress,
      hostPort: details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort,
    };
  }

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = new ProviderProcesses({ namespace: objects.namespace, env: { CAPDT_RESYNC_SECONDS: '5' } });
    await provider.start();
  });

  after(async () => {
    execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, 'start', 'dockerd'], { stdio: 'ignore' });
    await provider.stop();
    await objects.removeContainers();
  });

  it('retries with backoff, reports why on the object, and converges when the engine is back', async (context) => {
    const running = uniqueName('before-outage');
    await objects.createPair(running);
    await converged('ready before the outage', objects, provider.client, provider.network, {
      live: [running],
    });
    const placeBefore = await loadBalancerPlace(running);

    const stopped = stack('stop', 'dockerd');
    if (stopped.status !== 0) {
      context.skip(`the Docker engine was not started by scripts/stack.sh: ${stopped.stderr.trim()}`);
      return;
    }
    const outageStart = Date.now();
    const name = uniqueName('during-outage');
    const { dockerCluster } = await objects.createPair(name);
    const reported = await eventually(
      'the condition to say why',
      async () =>
        (await objects.read(name))?.status?.conditions?.find(
          (c) => c.type === 'LoadBalancerAvailable' && c.status === 'False',
        ),
      outageMs,
    );
    assert.match(
      reported.message,
      /docker\.sock|ENOENT|ECONNREFUSED/,
      'the message names the engine that cannot be reached',
    );
    const reportedAfter = seconds(outageStart);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageMs - (Date.now() - outageStart))));
    const attemptsDuringOutage =
      (await activityCalls(provider.client, dockerCluster, 'ensureNetwork')) +
      (await activityRetries(provider.client, dockerCluster, 'ensureNetwork'));
    assert.ok(
      attemptsDuringOutage <= 12,
      `no hot loop: ${attemptsDuringOutage} attempts in ${outageMs / 1000} s`,
    );

    execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, 'start', 'dockerd'], { stdio: 'ignore' });
    const back = Date.now();
    await converged(
      'both after the outage',
      objects,
      provider.client,
      provider.network,
      { live: [running, name] },
      120_000,
    );
    const placeAfter = await loadBalancerPlace(running);
    assert.deepEqual(placeAfter, placeBefore, 'the same address and host port after the restart');
    assert.equal((await objects.read(running))?.spec?.controlPlaneEndpoint?.host, placeBefore.ip);
    record({
      group: 'Faults',
      scenario: 'Docker engine stopped for a while',
      action: `dockerd stopped for ${outageMs / 1000} s while a DockerCluster was created (another one was running)`,
      result:
        'activities retried with backoff; LoadBalancerAvailable=False named the unreachable engine; both ready after it came back; the old load balancer back on its address and host port, the endpoint unchanged',
      measured: `condition set after ${reportedAfter}; ${attemptsDuringOutage} network attempts during the outage; converged ${seconds(back)} after the engine was back; ${placeBefore.ip}, host port ${placeBefore.hostPort} before and after`,
    });
  });
});
