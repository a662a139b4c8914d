// Drift repaired from Docker's events: with the resync at one hour, a load balancer removed or stopped by hand is
// running again, on its endpoint, within seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestObjects } from '../support/objects.js';
import type { ProviderProcesses } from '../support/provider-processes.js';
import { converged, providerWithReadyPair, record } from '../support/reliability.js';
import { docker, eventually, removeByHand } from '../support/stack.js';

const group = 'Drift';
/** How soon a load balancer removed by hand must serve again. */
const backWithinMs = 2_000;

describe('drift from Docker events, resync at one hour', () => {
  let objects: TestObjects;
  let provider: ProviderProcesses;
  const name = 'drift';

  before(async () => {
    ({ objects, provider } = await providerWithReadyPair(name, { CAPDT_RESYNC_SECONDS: '3600' }));
  });

  after(async () => {
    await provider.stop();
    await objects.removeContainers();
  });

  /** The running load balancer of the DockerCluster: its id and address. */
  async function running(): Promise<{ id: string; ip?: string } | undefined> {
    const uid = (await objects.read(name))?.metadata.uid as string;
    const [container] = await objects.containersOf(uid);
    if (container?.State !== 'running') return undefined;
    return { id: container.Id, ip: container.NetworkSettings.Networks[provider.network]?.IPAddress };
  }

  /** Times how long after `change` a running load balancer is back on the endpoint. */
  async function timeToRepair(change: (id: string) => Promise<unknown>): Promise<number> {
    const before = (await running()) as { id: string; ip?: string };
    const changed = Date.now();
    await change(before.id);
    await eventually(
      'the load balancer running again',
      async () => {
        const now = await running();
        return now?.ip === before.ip ? now : undefined;
      },
      // Longer than the provider's Docker request timeout (60 s): a request the engine leaves unanswered is retried.
      90_000,
    );
    return Date.now() - changed;
  }

  it('a load balancer removed, stopped or killed by hand is back within 2 s', async () => {
    const engine = docker();
    const times = {
      removed: [] as number[],
      stopped: [] as number[],
      killed: [] as number[],
    };
    for (let round = 0; round < 3; round += 1) {
      times.removed.push(await timeToRepair((id) => removeByHand(engine.getContainer(id))));
      times.stopped.push(await timeToRepair((id) => engine.getContainer(id).stop({ t: 0 })));
      times.killed.push(await timeToRepair((id) => engine.getContainer(id).kill()));
    }
    await converged(`${name} after the drift`, objects, provider.client, provider.network, { live: [name] });
    record({
      group,
      scenario: 'Load balancer removed, stopped or killed by hand, resync at one hour',
      action: '3 rounds of: container removed (docker rm -f), stopped (docker stop), killed (docker kill)',
      result: 'each time running again on its endpoint address, from the Docker event stream',
      measured: `back after ${Object.entries(times)
        .map(([what, ms]) => `${what} ${ms.map((each) => (each / 1000).toFixed(1)).join('/')} s`)
        .join('; ')}`,
    });
    // The middle of three: one removal may meet an engine slow to remove the container.
    const typical = [...times.removed].sort((a, b) => a - b)[1] as number;
    assert.ok(
      typical <= backWithinMs,
      `removed: back after ${typical} ms (median), not within ${backWithinMs} ms`,
    );
    // A stop or kill is seen as the container dies, a moment before Docker reports it exited.
    const stoppedOrKilled = [...times.stopped, ...times.killed].sort((a, b) => a - b);
    const typicalStop = stoppedOrKilled[Math.floor(stoppedOrKilled.length / 2)] as number;
    assert.ok(typicalStop <= 2.5 * backWithinMs, `stopped or killed: back after ${typicalStop} ms (median)`);
  });
});
