// The provider as an operator runs it: `src/main.ts` in its own process, with JSON logs, the metrics and
// health endpoint, leader election, a clean stop on SIGINT, and a clear refusal of bad configuration.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { TestObjects } from '../support/objects.js';
import { leastPrivilegeIdentity } from '../support/provider.js';
import { eventually, removeNetwork, repoRoot, uniqueName } from '../support/stack.js';

type LogLine = Record<string, unknown> & { msg?: string };

function runMain(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const raw: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      raw.push(line);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // The workflow bundler prints a few plain lines.
      }
    });
  }
  return { child, lines, raw };
}

describe('src/main.ts, run as a process', () => {
  const network = uniqueName('capdt-main');
  let objects: TestObjects;
  let namespace: string;
  let identity: Awaited<ReturnType<typeof leastPrivilegeIdentity>>;
  let provider: ReturnType<typeof runMain>;
  let base: string;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    ({ namespace } = objects);
    identity = await leastPrivilegeIdentity(uniqueName('capdt-main'));
    provider = runMain(['all', '--network', network], {
      KUBECONFIG: identity.kubeConfigPath,
      CAPDT_TASK_QUEUE: uniqueName('main'),
      CAPDT_WATCH_NAMESPACE: namespace,
      CAPDT_LEASE_NAMESPACE: namespace,
      CAPDT_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    });
    const serving = await eventually('the HTTP endpoint', async () =>
      provider.lines.find((line) => line.msg === 'serving /metrics, /healthz, /readyz'),
    );
    base = `http://${serving.http}`;
  });

  after(async () => {
    if (provider.child.exitCode === null) provider.child.kill('SIGKILL');
    await identity.remove();
    await objects.removeContainers();
    await removeNetwork(network);
  });

  it('serves health, readiness (after electing itself leader) and metrics', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await eventually('ready', async () =>
      (await fetch(`${base}/readyz`)).status === 200 ? true : undefined,
    );
    assert.ok(provider.lines.some((line) => line.msg === 'became the leader'));
  });

  it('reconciles a DockerCluster, counts it in /metrics and logs it as JSON with its names and workflow id', async () => {
    const name = uniqueName('main');
    await objects.createPair(name);
    await objects.untilReady(name);

    const metrics = await eventually('the reconcile in /metrics', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /capdt_reconciles_total\{outcome="Ready"\} [1-9]/.test(text) ? text : undefined;
    });
    assert.match(
      metrics,
      /capdt_activity_duration_seconds_count\{activity="createLoadBalancer",result="completed"\} 1/,
    );
    assert.match(metrics, /capdt_workflows_running \d+/);
    assert.match(metrics, /capdt_watch_restarts_total \d+/);

    const logged = await eventually('the workflow logging the Ready transition', async () =>
      provider.lines.find((line) => line.name === name && line.to === 'Ready'),
    );
    assert.equal(logged.namespace, namespace);
    assert.equal(logged.cluster, name);
    assert.match(String(logged.workflowId), new RegExp(`^dockercluster/${namespace}/${name}/`));
  });

  it('stops cleanly on SIGINT', async () => {
    provider.child.kill('SIGINT');
    const [code] = (await once(provider.child, 'exit')) as [number | null];
    assert.equal(code, 0, provider.raw.slice(-5).join('\n'));
    assert.ok(provider.lines.some((line) => line.msg === 'stopped'));
  });

  it('refuses bad configuration with exit code 2 and names the setting', async () => {
    const bad = runMain(['worker'], { CAPDT_HOST_IP: 'not-an-ip' });
    const [code] = (await once(bad.child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.ok(
      bad.raw.some((line) => line.includes('CAPDT_HOST_IP') && line.includes('must be an IP address')),
    );
  });
});
