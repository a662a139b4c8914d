// The operator CLI, run as operators run it (node bin/capd-temporal.js) against the real stack, while the real
// provider (worker + watcher) runs in this process for one fresh namespace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { DockerCluster } from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { dockerClusterNameKey } from '../../src/api/search-attributes.js';
import { loadConfig } from '../../src/config.js';
import { reconcileWorkflowType } from '../../src/workflows/definitions.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { eventually, repoRoot, stackEnv, uniqueName } from '../support/stack.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the capd-temporal CLI', () => {
  const uiUrl = 'http://temporal-ui.example:8233/';
  const temporalNamespace = loadConfig().TEMPORAL_NAMESPACE;
  let objects: TestObjects;
  let namespace: string;
  let provider: RunningProvider;
  let taskQueue: string;
  let client: Client;
  let ready: DockerCluster;
  const name = uniqueName('cli');

  /** Runs the CLI as a separate process, as an operator would, with the provider's task queue. */
  function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/capd-temporal.js', ...args],
        {
          cwd: repoRoot,
          env: { ...process.env, CAPDT_TASK_QUEUE: taskQueue, TEMPORAL_UI_URL: uiUrl, ...env },
          timeout: 60_000,
          // status of all namespaces lists the DockerClusters of the test files running beside this one too.
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  const pausedCondition = async () =>
    (await objects.read(name))?.status?.conditions?.find((c) => c.type === 'Paused');

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    ({ namespace } = objects);
    provider = await startProvider({ namespace });
    ({ client } = provider);
    taskQueue = provider.config.CAPDT_TASK_QUEUE;
    await objects.createPair(name);
    ready = await objects.untilReady(name);
  });

  after(async () => {
    // Deleted while the provider runs, so that its workflow removes the load balancer and completes.
    await objects.delete(name).catch(() => undefined);
    await objects.untilGone(name).catch(() => undefined);
    await provider.stop();
    await objects.deleteCluster(name).catch(() => undefined);
  });

  it('status shows a ready DockerCluster: Ready, its endpoint and its cluster', async () => {
    const endpoint = `${ready.spec?.controlPlaneEndpoint?.host}:${ready.spec?.controlPlaneEndpoint?.port}`;
    const run = await cli(['status', `${namespace}/${name}`]);
    assert.equal(run.code, 0, run.stderr);
    const [header, row] = run.stdout.trimEnd().split('\n');
    assert.match(
      header ?? '',
      /^DOCKERCLUSTER\s+CLUSTER\s+READY\s+ENDPOINT\s+PHASE\s+LAST RECONCILE\s+PAUSED/,
    );
    const cells = (row ?? '').split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 5), [`${namespace}/${name}`, name, 'true', endpoint, 'Ready']);
    assert.equal(cells[6], 'no');

    const json = await cli(['status', `${namespace}/${name}`, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.ready, true);
    assert.equal(status.workflow.status, 'RUNNING');
    assert.equal(status.workflow.state.phase, 'Ready');
    assert.deepEqual(status.workflow.state.endpoint, ready.spec?.controlPlaneEndpoint);
    assert.ok(Date.parse(status.workflow.state.lastReconcileTime) > 0);
  });

  it('status without arguments lists DockerClusters of all namespaces', async () => {
    const run = await cli(['status', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const all = JSON.parse(run.stdout) as { namespace: string; name: string; workflow: { state?: object } }[];
    const ours = all.find((s) => s.namespace === namespace && s.name === name);
    assert.equal((ours?.workflow.state as { phase?: string } | undefined)?.phase, 'Ready');
  });

  it('pause: status shows the pause and its reason, and so does the Paused condition', async () => {
    const run = await cli(['pause', `${namespace}/${name}`, 'disk', 'maintenance']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Pause requested for DockerCluster .* \(reason: disk maintenance\)/);

    const condition = await eventually('the Paused condition', async () => {
      const paused = await pausedCondition();
      return paused?.status === 'True' ? paused : undefined;
    });
    assert.equal(condition.reason, 'Paused');
    assert.equal(condition.message, 'paused by an operator: disk maintenance');

    await eventually('status to show the pause', async () => {
      const { stdout } = await cli(['status', `${namespace}/${name}`]);
      return /\bPaused\b.*yes: paused by an operator: disk maintenance/.test(stdout) ? true : undefined;
    });
  });

  it('resume: the Paused condition becomes False again', async () => {
    const run = await cli(['resume', `${namespace}/${name}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Resume requested for DockerCluster/);
    await eventually('Paused=False', async () =>
      (await pausedCondition())?.status === 'False' ? true : undefined,
    );
    const json = JSON.parse((await cli(['status', `${namespace}/${name}`, '--json'])).stdout);
    assert.equal(json.workflow.state.phase, 'Ready');
    assert.equal(json.workflow.state.pausedBy, undefined);
  });

  it('history lists the named reconcile steps with their outcomes, and the signals', async () => {
    const run = await cli(['history', `${namespace}/${name}`]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    const step = (what: RegExp) => lines.find((line) => what.test(line));
    const time = String.raw`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  `;
    assert.match(step(/Add finalizer/) ?? '', new RegExp(`${time}Add finalizer \\S+\\s+completed \\(`));
    assert.match(step(/Create load balancer container/) ?? '', /Create load balancer container\s+completed/);
    assert.match(step(/Write status \(Ready\)/) ?? '', /completed/);
    assert.match(step(/Signal pause/) ?? '', /received: "disk maintenance"/);
    assert.match(step(/Signal resume/) ?? '', /received$/);
    assert.match(step(/Write status \(Paused\)/) ?? '', /completed/);
    assert.ok(step(/Timer \d/), 'the wait for the next change shows as a timer');
    assert.match(lines[0] ?? '', /^Workflow dockercluster\/.* \(running\)$/);

    const json = JSON.parse((await cli(['history', `${namespace}/${name}`, '--json'])).stdout);
    assert.equal(json.runs.length, 1);
    assert.ok(json.runs[0].steps.some((s: { what: string }) => s.what === 'Ensure Docker network'));
  });

  it('ui prints the Temporal Web UI address of the workflow', async () => {
    const run = await cli(['ui', `${namespace}/${name}`]);
    assert.equal(run.code, 0, run.stderr);
    const workflowId = workflowIdOf(refOf(ready));
    assert.equal(
      run.stdout,
      `http://temporal-ui.example:8233/namespaces/${temporalNamespace}/workflows/${encodeURIComponent(workflowId)}\n`,
    );
    const unset = await cli(['ui', `${namespace}/${name}`], { TEMPORAL_UI_URL: '' });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /TEMPORAL_UI_URL is not set/);
  });

  it('pause starts a workflow that is not running (as the watcher would), and status shows it was not', async () => {
    const workflowId = workflowIdOf(refOf(ready));
    await client.workflow.getHandle(workflowId).terminate('the CLI test stops the workflow');
    const stopped = JSON.parse((await cli(['status', `${namespace}/${name}`, '--json'])).stdout);
    assert.equal(stopped.workflow.status, 'TERMINATED');
    const table = await cli(['status', `${namespace}/${name}`]);
    assert.match(table.stdout, /\bworkflow not running \(terminated\)/);

    const run = await cli(['pause', `${namespace}/${name}`, 'restarted', 'by', 'the', 'CLI']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`Its workflow was not running: started ${workflowId} on task queue ${taskQueue}`),
    );
    const condition = await eventually('the Paused condition', async () => {
      const paused = await pausedCondition();
      return paused?.message.includes('restarted by the CLI') && paused.status === 'True'
        ? paused
        : undefined;
    });
    assert.equal(condition.message, 'paused by an operator: restarted by the CLI');
    const description = await client.workflow.getHandle(workflowId).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.taskQueue, taskQueue);
    assert.equal(description.typedSearchAttributes.get(dockerClusterNameKey), name);

    assert.equal((await cli(['resume', `${namespace}/${name}`])).code, 0);
    await eventually('Paused=False', async () =>
      (await pausedCondition())?.status === 'False' ? true : undefined,
    );
  });

  it('status says when no worker answers the query of a running workflow', async () => {
    const workflowId = workflowIdOf(refOf(ready));
    await client.workflow.getHandle(workflowId).terminate('the CLI test replaces the workflow');
    // The same workflow on a task queue no worker polls: it runs, and its query waits for a worker.
    const unpolled = await client.workflow.start(reconcileWorkflowType, {
      workflowId,
      taskQueue: uniqueName('no-worker'),
      args: [{ dockerCluster: refOf(ready), resyncInterval: '1 minute' }],
    });
    try {
      const table = await cli(['status', `${namespace}/${name}`]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /\bunknown\b.*state query failed: no worker answered within 5 s/);
      const { workflow } = JSON.parse((await cli(['status', `${namespace}/${name}`, '--json'])).stdout);
      assert.equal(workflow.status, 'RUNNING');
      assert.equal(workflow.state, undefined);
    } finally {
      await unpolled.terminate('the CLI test is done with it');
    }
    // Started again on the provider's task queue, as the watcher would.
    assert.equal((await cli(['resume', `${namespace}/${name}`])).code, 0);
  });

  it('exits 3 for a DockerCluster that does not exist', async () => {
    const commands = ['status', 'pause', 'resume', 'history', 'ui'];
    const runs = await Promise.all(commands.map((command) => cli([command, `${namespace}/no-such-cluster`])));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 3, `${commands[i]}: ${run.stderr}`);
      assert.equal(run.stderr, `capd-temporal: DockerCluster ${namespace}/no-such-cluster not found\n`);
    }
  });

  it('exits 4, within seconds, when Temporal cannot be reached', async () => {
    const started = Date.now();
    const run = await cli(['status', `${namespace}/${name}`], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /^capd-temporal: cannot reach Temporal at 127\.0\.0\.1:1: .*TEMPORAL_ADDRESS/);
    assert.ok(Date.now() - started < 30_000, 'fails within seconds, not after the default timeouts');
  });

  it('exits 5 when the Kubernetes API cannot be reached, naming the server and the kubeconfig', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'capdt-cli-')), 'kubeconfig');
    const stack = readFileSync(stackEnv('KUBECONFIG'), 'utf8');
    writeFileSync(path, stack.replace(/server: .*/g, 'server: https://127.0.0.1:1'));
    const run = await cli(['status'], { KUBECONFIG: path });
    assert.equal(run.code, 5, run.stderr);
    assert.match(run.stderr, new RegExp(`Kubernetes API at https://127.0.0.1:1 \\(kubeconfig ${path}\\)`));
  });

  it('exits 2 with the usage for bad arguments', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['pause'],
      ['pause', 'no-namespace'],
      ['status', 'a/b', 'c/d'],
      ['status', '--runs', '2'],
      ['history', 'a/b', '--runs', 'zero'],
      ['ui', 'a/b', '--bogus'],
    ]) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^capd-temporal: .*\n\nUsage: capd-temporal <command>/);
      assert.equal(run.stdout, '');
    }
    const help = await cli(['help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: capd-temporal/);
  });
});
