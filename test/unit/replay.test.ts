// Replays the committed workflow histories (test/histories, recorded with scripts/record-histories.ts from
// earlier code) against the current workflow code, with no Temporal server: a change that would make
// running workflows fail on their next task (a different command sequence) fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { workflowsPath } from '../../src/build-outputs.js';
import { metricSinks } from '../../src/observability/metrics.js';
import { readHistories } from '../support/histories.js';

const histories = readHistories();

describe('replaying the committed workflow histories', () => {
  it('has a history of each shape of a workflow: provision, change, idle resyncs, pause and resume, delete, failure, on an engine', () => {
    const recorded = histories.map((history) => history.workflowId);
    const shapes = ['provision', 'change', 'idle', 'pause-resume', 'delete', 'failure', 'engines'];
    assert.deepEqual(
      shapes.filter((shape) => !recorded.includes(shape)),
      [],
      'shapes without a history',
    );
  });

  it('replays every history with the current workflow code, without a non-determinism error', async () => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle, sinks: metricSinks }, histories)) {
      if (result.error) failed.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    assert.deepEqual(failed, [], 'histories the workflow code cannot replay');
  });
});
