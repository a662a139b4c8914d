// npm run bench: the provider (watcher + Temporal workflow + activities, as separate processes) against the
// floor (the same Docker and Kubernetes work done directly), for N DockerClusters created at once; plus what
// an idle DockerCluster costs. Prints Markdown tables; writes JSON + Markdown to --out and docs/PERFORMANCE.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import Docker from 'dockerode';
import { group, plural, version } from '../src/api/dockercluster.js';
import { providerRules } from '../src/api/rbac.js';
import { loadConfig } from '../src/config.js';
import { leastPrivilegeIdentity } from '../test/support/provider.js';
import { kubeConfig, repoRoot } from '../test/support/stack.js';
import { ApiServerMetrics } from './lib/apiserver.js';
import { parseBenchArgs, UsageError } from './lib/args.js';
import { Cleanup } from './lib/cleanup.js';
import { BenchKube } from './lib/kube.js';
import { describeMachine } from './lib/machine.js';
import { type Context, runFloor, runIdle, runProvider } from './lib/phases.js';
import { stackProcesses } from './lib/processes.js';
import { renderDocument, renderTables } from './lib/report.js';
import type { BenchResult, SizeResult } from './lib/results.js';
import { round } from './lib/stats.js';

const log = (message: string) => console.error(`[bench] ${message}`);

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new UsageError(`${name} is not set: run through 'npm run bench', which sets up the local stack`);
  return value;
}

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  required('KUBECONFIG');
  const temporalAddress = required('TEMPORAL_ADDRESS');
  const providerDefaults = loadConfig(process.env);
  const image = providerDefaults.CAPDT_LB_IMAGE;
  const hostIp = providerDefaults.CAPDT_HOST_IP;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = resolve(repoRoot, args.out);
  const logsDir = join(outDir, `${stamp}-logs`);
  mkdirSync(logsDir, { recursive: true });

  const cleanup = new Cleanup();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: cleaning up`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }

  const runId = randomBytes(3).toString('hex');
  const admin = kubeConfig();
  const bench = new BenchKube(admin);
  const docker = new Docker();
  try {
    await docker.getImage(image).inspect();
  } catch {
    throw new UsageError(`the load-balancer image ${image} is not on the Docker engine (CAPDT_LB_IMAGE)`);
  }
  const machine = await describeMachine(docker, admin);
  const connection = await Connection.connect({ address: temporalAddress });
  cleanup.add('the Temporal connection', () => connection.close());
  const temporal = new Client({ connection, namespace: providerDefaults.TEMPORAL_NAMESPACE });

  try {
    // ---- shared for the run: a Docker network, the provider's identity and its FlowSchema -----------
    const network = `capdt-bench-${runId}`;
    await docker.createNetwork({ Name: network, CheckDuplicate: true, Driver: 'bridge' });
    cleanup.add(`Docker network ${network}`, async () => {
      // Only the benchmark's containers join its network; any a failed phase left would keep it in use.
      const details = (await docker.getNetwork(network).inspect()) as {
        Containers?: Record<string, unknown>;
      };
      for (const id of Object.keys(details.Containers ?? {})) {
        await docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      }
      await docker.getNetwork(network).remove();
    });
    const user = `capdt-bench-${runId}`;
    const identity = await leastPrivilegeIdentity(user);
    cleanup.add(`identity ${user}`, () => identity.remove());
    const identityObjects = kubeConfig(identity.kubeConfigPath).makeApiClient(k8s.CustomObjectsApi);
    const metrics = await ApiServerMetrics.create(admin);
    const removeFlowSchemas = await metrics.countUser(admin, `capdt-bench-${runId}`, user, providerRules, {
      key: 'LIST dockerclusters',
      request: () =>
        identityObjects.listNamespacedCustomObject({
          group,
          version,
          plural,
          namespace: 'default',
          limit: 1,
        }),
    });
    cleanup.add(`the FlowSchemas of ${user}`, removeFlowSchemas);

    const context: Context = {
      runId,
      bench,
      identity: { user, kubeConfigPath: identity.kubeConfigPath, objects: identityObjects },
      docker,
      temporal,
      metrics,
      network,
      image,
      hostIp,
      stackPids: stackProcesses(),
      cleanup,
      logsDir,
      phaseTimeoutMs: args.phaseTimeoutSeconds * 1000,
    };
    log(`run ${runId}: sizes ${args.sizes.join(', ')}, image ${image}, network ${network}, identity ${user}`);

    const result: BenchResult = {
      machine,
      args: { ...args },
      identity: `least-privilege user ${user} (ClusterRole of config/rbac/role.yaml)`,
      network,
      image,
      sizes: [],
    };
    for (const [index, n] of args.sizes.entries()) {
      if (interrupted) break;
      const repeat = args.sizes.slice(0, index).filter((earlier) => earlier === n).length + 1;
      const size: SizeResult = { n, errors: [] };
      result.sizes.push(size);
      log(`N=${n}: floor`);
      try {
        size.floor = await runFloor(context, n, repeat);
        log(
          `N=${n}: floor all done in ${size.floor.latency.allMs} ms (p50 ${size.floor.latency.perObject.p50} ms)`,
        );
      } catch (error) {
        size.errors.push(`floor: ${(error as Error).message}`);
        log(`N=${n}: floor failed: ${(error as Error).message}`);
      }
      if (interrupted) break;
      log(`N=${n}: provider`);
      try {
        size.provider = await runProvider(context, n, repeat);
        log(
          `N=${n}: provider all ready in ${size.provider.create.allMs} ms (p50 ${size.provider.create.perObject.p50} ms)`,
        );
      } catch (error) {
        size.errors.push(`provider: ${(error as Error).message}`);
        log(`N=${n}: provider failed: ${(error as Error).message}`);
      }
      if (size.floor && size.provider) {
        size.ratio = {
          allReady: round(size.provider.create.allMs / size.floor.latency.allMs, 2),
          p50: round(size.provider.create.perObject.p50 / size.floor.latency.perObject.p50, 2),
        };
      }
    }
    if (args.idleSeconds > 0 && !interrupted) {
      try {
        result.idle = await runIdle(context, args.idleSeconds, args.idleResyncSeconds);
      } catch (error) {
        log(`idle failed: ${(error as Error).message}`);
        result.idle = {
          error: (error as Error).message,
        } as BenchResult['idle'];
      }
    }
    if (interrupted) return 130;
    machine.loadAverageAtEnd = loadavg().map((value) => round(value, 2));
    result.finishedAt = new Date().toISOString();

    const tables = renderTables(result);
    const base = join(outDir, `bench-${stamp}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${base}.md`, `${renderDocument(result)}\n`);
    console.log(tables);
    const failed = result.sizes.some((size) => size.errors.length > 0) || result.idle?.error !== undefined;
    if (failed) {
      log(`wrote ${base}.json and ${base}.md; a phase failed, so ${args.docs} is left as it was`);
      return 1;
    }
    const docs = resolve(repoRoot, args.docs);
    mkdirSync(dirname(docs), { recursive: true });
    writeFileSync(docs, `${renderDocument(result)}\n`);
    log(`wrote ${base}.json, ${base}.md and ${docs}; provider logs in ${logsDir}`);
    return 0;
  } finally {
    await cleanup.runAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
