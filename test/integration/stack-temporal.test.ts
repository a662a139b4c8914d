// The stack's Temporal is the real dev server: a real worker runs a workflow and its history is stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { smokeWorkflow } from '../fixtures/smoke-workflows.js';
import { stackEnv, uniqueName } from '../support/stack.js';

describe('Temporal dev server', () => {
  let connection: Connection;
  let client: Client;

  before(async () => {
    connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
    client = new Client({ connection });
  });

  after(async () => {
    await connection.close();
  });

  it('runs a workflow through a real worker and keeps its history', async () => {
    const taskQueue = uniqueName('smoke');
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: stackEnv('TEMPORAL_ADDRESS') }),
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/smoke-workflows.ts', import.meta.url)),
      activities: { greet: async (name: string) => `hello, ${name}` },
    });
    const workflowId = uniqueName('smoke-workflow');
    const result = await worker.runUntil(
      client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
        taskQueue,
        workflowId,
        args: ['stack'],
      }),
    );
    assert.equal(result, 'hello, stack');

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const types = (history.events ?? []).map((event) => event.eventType);
    assert.ok(types.length >= 8, `expected a full history, got ${types.length} events`);
    const { EventType } = proto.temporal.api.enums.v1;
    assert.ok(
      types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
      'the history records the activity',
    );
    assert.equal(types.at(-1), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  });
});
