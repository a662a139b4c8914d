// Two watchers elect one leader through a real Lease on the real API server; the other takes over when the
// leader stops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logger } from '../../src/logger.js';
import { electLeader, type LeaderElection } from '../../src/watcher/leader-election.js';
import { createNamespace, eventually, kubeConfig, uniqueName } from '../support/stack.js';

describe('leader election on a Lease', () => {
  it('lets exactly one candidate lead, and hands over when the leader stops', async () => {
    logger.level = 'warn';
    const namespace = await createNamespace(kubeConfig());
    const name = uniqueName('lease');
    const leading = new Set<string>();
    let mostAtOnce = 0;
    const candidate = (identity: string): LeaderElection =>
      electLeader(
        { kubeConfig: kubeConfig(), namespace, name, identity, logger, leaseSeconds: 4, retryMs: 200 },
        async () => {
          leading.add(identity);
          mostAtOnce = Math.max(mostAtOnce, leading.size);
          return async () => {
            leading.delete(identity);
          };
        },
      );

    const first = candidate('watcher-a');
    const second = candidate('watcher-b');
    try {
      const leader = await eventually('a leader', async () => [...leading][0]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      assert.deepEqual([...leading], [leader], 'the same single leader after several renewals');

      const [leaderElection, standby] = leader === 'watcher-a' ? [first, second] : [second, first];
      assert.equal(standby.isLeader(), false);
      const handedOverAt = Date.now();
      await leaderElection.stop();
      const next = await eventually('the standby to take over', async () => [...leading][0]);
      assert.notEqual(next, leader);
      assert.ok(
        Date.now() - handedOverAt < 3_000,
        'a released lease is taken over at once, not after it expires',
      );
      assert.equal(mostAtOnce, 1, 'never two leaders at the same time');
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
