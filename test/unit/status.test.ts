// The status a pass leaves: condition updates merged by type (lastTransitionTime moving only on a status
// change), Ready summarising LoadBalancerAvailable and Paused, the provisioned fields set once it serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition, DockerClusterStatus } from '../../src/api/dockercluster.js';
import { mergeConditions, statusAfterPass } from '../../src/api/status.js';

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

describe('statusAfterPass', () => {
  const summary = (status: DockerClusterStatus) =>
    status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}/${c.observedGeneration}`);
  const condition = (status: DockerClusterStatus, type: string) =>
    status.conditions?.find((c) => c.type === type);
  const serving = { status: 'True', reason: 'Available', message: 'serves 172.18.0.2:6443' } as const;

  it('marks a pass that provisioned ready, with its generation, and clears the v1beta1 failure fields', () => {
    const current: DockerClusterStatus = { failureReason: 'Old', failureMessage: 'old problem' };
    const next = statusAfterPass(
      current,
      { generation: 2, pausedBy: null, loadBalancer: serving, provisioned: true },
      1,
      now,
    );
    assert.deepEqual(summary(next), [
      'LoadBalancerAvailable=True/Available/2',
      'Paused=False/NotPaused/2',
      'Ready=True/Ready/2',
    ]);
    assert.equal(condition(next, 'Ready')?.message, '');
    assert.equal(next.ready, true);
    assert.deepEqual(next.initialization, { provisioned: true });
    assert.equal(next.observedGeneration, 2);
    assert.equal('failureReason' in next || 'failureMessage' in next, false);
    assert.deepEqual(
      current,
      { failureReason: 'Old', failureMessage: 'old problem' },
      'the input is not changed',
    );
  });

  it('says why Ready is unknown while paused before anything was provisioned', () => {
    const next = statusAfterPass({}, { generation: 1, pausedBy: 'Cluster a has spec.paused' }, 1, now);
    assert.deepEqual(summary(next), ['Paused=True/Paused/1', 'Ready=Unknown/LoadBalancerNotReconciled/1']);
    assert.equal(
      condition(next, 'Ready')?.message,
      'the load balancer has not been reconciled yet; reconciliation is paused: Cluster a has spec.paused',
    );
    assert.equal(next.ready, undefined);
  });

  it('keeps a serving DockerCluster Ready while paused, saying that it is paused', () => {
    const provisioned = statusAfterPass(
      {},
      { generation: 1, pausedBy: null, loadBalancer: serving },
      1,
      earlier,
    );
    const next = statusAfterPass(provisioned, { generation: 1, pausedBy: 'paused by an operator' }, 1, now);
    assert.equal(condition(next, 'Ready')?.status, 'True');
    assert.equal(condition(next, 'Ready')?.message, 'reconciliation is paused: paused by an operator');
    assert.equal(condition(next, 'Ready')?.lastTransitionTime, earlier, 'Ready did not change status');
    assert.equal(condition(next, 'Paused')?.lastTransitionTime, now);
  });

  it('reports a failed pass in LoadBalancerAvailable and Ready, leaving what was provisioned as it was', () => {
    const provisioned = statusAfterPass(
      {},
      { generation: 3, pausedBy: null, loadBalancer: serving, provisioned: true },
      3,
      earlier,
    );
    const failure = {
      status: 'False',
      reason: 'NotAvailable',
      message: 'image nope:1 cannot be pulled',
    } as const;
    const next = statusAfterPass(provisioned, { loadBalancer: failure }, 4, now);
    assert.deepEqual(summary(next), [
      'LoadBalancerAvailable=False/NotAvailable/4',
      'Paused=False/NotPaused/3',
      'Ready=False/NotAvailable/4',
    ]);
    assert.equal(condition(next, 'Ready')?.message, 'image nope:1 cannot be pulled');
    assert.equal(next.observedGeneration, 3, 'a pass that did not read the object leaves observedGeneration');
    assert.equal(next.ready, true);
    assert.deepEqual(next.initialization, { provisioned: true });
  });
});
