// The provider under test: processes of the build (`node dist/main.js …`, as the image runs it; by default one
// running worker and watcher together, `all`), and what their workflows' histories say.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { freePort, repoRoot } from '../../scripts/local-stack.js';
import { type HistoryEvent, localActivityOf } from '../../src/observability/history.js';
import { sleep, until } from './stats.js';

const { EventType } = proto.temporal.api.enums.v1;

/** One process of the provider: its component and settings of its own (a worker beside another engine). */
export interface ProviderProcessSpec {
  name: string;
  component: 'all' | 'worker' | 'watcher';
  env?: Record<string, string>;
}

const wholeProvider: ProviderProcessSpec[] = [{ name: 'provider', component: 'all' }];

/**
 * Starts the processes (by default one running the whole provider) with the given settings (logs in
 * logsDir/<logName>-<name>.log) and resolves once each answers /readyz (`startupMs`: each one's time from its
 * start); stop() ends them with SIGINT.
 */
export async function startProvider(
  settings: Record<string, string>,
  logsDir: string,
  logName: string,
  processes = wholeProvider,
) {
  const children: ChildProcess[] = [];
  const startupMs: Record<string, number> = {};
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGINT');
      const exited = await Promise.race([
        once(child, 'exit').then(() => true),
        sleep(15_000).then(() => false),
      ]);
      if (!exited) child.kill('SIGKILL');
    }
  };
  try {
    for (const { name, component, env } of processes) {
      const port = await freePort();
      const log = openSync(join(logsDir, `${logName}-${name}.log`), 'a');
      const child = spawn(process.execPath, ['dist/main.js', component], {
        cwd: repoRoot,
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          ...settings,
          ...env,
          CAPDT_LEADER_ELECTION: 'false',
          CAPDT_HTTP_PORT: String(port),
        },
      });
      children.push(child);
      const startedAt = Date.now();
      await until(
        `the ${name} to be ready (log in ${logsDir})`,
        async () => {
          if (child.exitCode !== null) throw new Error(`the ${name} exited with ${child.exitCode}`);
          const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          return response?.status === 200;
        },
        120_000,
        20,
      );
      startupMs[name] = Date.now() - startedAt;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop, pids: children.map((child) => child.pid as number), startupMs };
}

export async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** What a history holds; "to Ready": up to the first status write, the one that marks the DockerCluster ready. */
export function countHistory(events: HistoryEvent[]) {
  const count = {
    events: events.length,
    activities: 0, // local activities included (one marker each)
    reconciles: 0, // passes of the reconcile loop: each starts by reading the DockerCluster
    timersFired: 0,
    eventsToReady: Number.NaN,
    activitiesToReady: Number.NaN,
  };
  for (const [index, event] of events.entries()) {
    if (event.eventType === EventType.EVENT_TYPE_TIMER_FIRED) count.timersFired += 1;
    const local = localActivityOf(event);
    const type = local?.activityType ?? event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (!type) continue;
    count.activities += 1;
    if (type === 'getDockerCluster') count.reconciles += 1;
    if (local && !local.failure && type === 'updateStatus' && Number.isNaN(count.eventsToReady)) {
      count.eventsToReady = index + 1;
      count.activitiesToReady = count.activities;
    }
  }
  return count;
}

const describeAll = (client: Client, ids: string[]) =>
  Promise.all(ids.map((id) => client.workflow.getHandle(id).describe()));

/** Until no workflow has a pending task and none of their histories grew for quietMs. */
export async function untilQuiet(client: Client, ids: string[], quietMs = 2_000): Promise<void> {
  let last = '';
  let changedAt = Date.now();
  await until(
    'the workflows to go quiet',
    async () => {
      const descriptions = await describeAll(client, ids);
      const now = JSON.stringify(
        descriptions.map((d) => [
          d.historyLength,
          d.raw.pendingActivities?.length,
          d.raw.pendingWorkflowTask,
        ]),
      );
      if (
        now !== last ||
        descriptions.some((d) => d.raw.pendingWorkflowTask || d.raw.pendingActivities?.length)
      ) {
        last = now;
        changedAt = Date.now();
      }
      return Date.now() - changedAt >= quietMs;
    },
    120_000,
    Math.max(250, ids.length * 10),
  );
}

export async function untilCompleted(client: Client, ids: string[]): Promise<void> {
  await until(
    'the workflows to complete',
    async () => {
      const descriptions = await describeAll(client, ids);
      return descriptions.every((d) => d.status.name !== 'RUNNING');
    },
    120_000,
    250,
  );
}

/** Workflows a failed phase left running on a task queue: no worker would ever finish them. */
export async function terminateWorkflows(client: Client, taskQueue: string): Promise<void> {
  for await (const workflow of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  })) {
    await client.workflow.getHandle(workflow.workflowId).terminate('capd-temporal benchmark cleanup');
  }
}
