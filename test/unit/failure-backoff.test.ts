// How soon the reconcile workflow tries a failed pass again: after the failure backoff of its input, doubling
// with each failure in a row up to its maximum.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureBackoffMs } from '../../src/workflows/options.js';

const dockerCluster = { namespace: 'default', name: 'dc', uid: '00000000-0000-0000-0000-000000000000' };
const delays = (input: Parameters<typeof failureBackoffMs>[0], failures: number) =>
  Array.from({ length: failures }, (_, i) => failureBackoffMs(input, i + 1));

describe('failure backoff', () => {
  it('starts at 5 s and doubles up to 10 minutes by default', () => {
    assert.deepEqual(
      delays({ dockerCluster }, 9),
      [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000],
    );
  });

  it('follows the initial and maximum of the workflow input', () => {
    const failureBackoff = { initial: '100 ms', maximum: '1 second' };
    assert.deepEqual(delays({ dockerCluster, failureBackoff }, 6), [100, 200, 400, 800, 1_000, 1_000]);
    assert.deepEqual(delays({ dockerCluster, failureBackoff: { initial: 50 } }, 2), [50, 100]);
  });
});
