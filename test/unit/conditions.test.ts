// mergeConditions: condition updates merged by type, with lastTransitionTime moving only on a status change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeConditions } from '../../src/activities/kubernetes.js';
import type { Condition } from '../../src/api/dockercluster.js';

const earlier = '2030-01-01T00:00:00.000Z';
const now = '2030-01-02T00:00:00.000Z';

const ready: Condition = {
  type: 'Ready',
  status: 'False',
  reason: 'LoadBalancerMissing',
  message: 'no load balancer yet',
  lastTransitionTime: earlier,
  observedGeneration: 1,
};

const lbAvailable: Condition = {
  type: 'LoadBalancerAvailable',
  status: 'True',
  reason: 'ContainerRunning',
  message: '',
  lastTransitionTime: earlier,
  observedGeneration: 1,
};

describe('mergeConditions', () => {
  it('adds conditions of new types, stamped with now and the generation', () => {
    const merged = mergeConditions(
      [ready],
      [{ type: 'Paused', status: 'False', reason: 'NotPaused', message: '' }],
      3,
      now,
    );
    assert.deepEqual(merged, [
      ready,
      {
        type: 'Paused',
        status: 'False',
        reason: 'NotPaused',
        message: '',
        lastTransitionTime: now,
        observedGeneration: 3,
      },
    ]);
  });

  it('starts from an empty list', () => {
    const merged = mergeConditions(
      [],
      [{ type: 'Ready', status: 'Unknown', reason: 'Pending', message: 'm' }],
      1,
      now,
    );
    assert.deepEqual(merged, [
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'Pending',
        message: 'm',
        lastTransitionTime: now,
        observedGeneration: 1,
      },
    ]);
  });

  it('replaces an existing condition of the same type in place, keeping the order', () => {
    const merged = mergeConditions(
      [ready, lbAvailable],
      [{ type: 'Ready', status: 'True', reason: 'LoadBalancerReady', message: 'ok' }],
      2,
      now,
    );
    assert.deepEqual(
      merged.map((condition) => condition.type),
      ['Ready', 'LoadBalancerAvailable'],
    );
    assert.deepEqual(merged[0], {
      type: 'Ready',
      status: 'True',
      reason: 'LoadBalancerReady',
      message: 'ok',
      lastTransitionTime: now,
      observedGeneration: 2,
    });
    assert.deepEqual(merged[1], lbAvailable, 'a condition not mentioned is left as it was');
  });

  it('keeps lastTransitionTime when the status is unchanged, even if reason and message change', () => {
    const [merged] = mergeConditions(
      [ready],
      [{ type: 'Ready', status: 'False', reason: 'LoadBalancerStarting', message: 'starting' }],
      2,
      now,
    );
    assert.equal(merged?.lastTransitionTime, earlier);
    assert.equal(merged?.reason, 'LoadBalancerStarting');
    assert.equal(merged?.message, 'starting');
  });

  it('sets lastTransitionTime to now when the status changes', () => {
    const [merged] = mergeConditions(
      [ready],
      [{ type: 'Ready', status: 'True', reason: 'LoadBalancerReady', message: '' }],
      1,
      now,
    );
    assert.equal(merged?.lastTransitionTime, now);
  });

  it('sets observedGeneration on every updated condition, also when the status is unchanged', () => {
    const merged = mergeConditions(
      [ready, lbAvailable],
      [
        { type: 'Ready', status: 'False', reason: 'LoadBalancerMissing', message: 'no load balancer yet' },
        { type: 'LoadBalancerAvailable', status: 'True', reason: 'ContainerRunning', message: '' },
      ],
      5,
      now,
    );
    assert.deepEqual(
      merged.map((condition) => condition.observedGeneration),
      [5, 5],
    );
    assert.deepEqual(
      merged.map((condition) => condition.lastTransitionTime),
      [earlier, earlier],
    );
  });

  it('returns the input unchanged when there are no updates, and never mutates it', () => {
    const current = [structuredClone(ready), structuredClone(lbAvailable)];
    const snapshot = structuredClone(current);
    assert.deepEqual(mergeConditions(current, [], 9, now), snapshot);
    mergeConditions(current, [{ type: 'Ready', status: 'True', reason: 'R', message: '' }], 9, now);
    assert.deepEqual(current, snapshot);
  });

  it('applies several updates of the same type in order, the last one winning', () => {
    const merged = mergeConditions(
      [ready],
      [
        { type: 'Ready', status: 'True', reason: 'A', message: '' },
        { type: 'Ready', status: 'True', reason: 'B', message: '' },
      ],
      1,
      now,
    );
    assert.equal(merged.length, 1);
    assert.equal(merged[0]?.reason, 'B');
    assert.equal(merged[0]?.lastTransitionTime, now);
  });
});
