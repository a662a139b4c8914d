// npm run bench:scale-out [-- --count 100]: N DockerClusters created at once, first on one Docker engine with one
// worker, then on two engines (the stack's and its second one, scripts/stack.sh engine2) with three workers, two
// beside the first engine: time until all are ready and until all are gone, and each process's CPU and peak
// memory. Prints a Markdown table.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { kubeConfig, leastPrivilegeIdentity, repoRoot, stackEnv } from '../scripts/local-stack.js';
import { defaultEngine } from '../src/api/engines.js';
import { loadConfig } from '../src/config.js';
import { engine2Socket, removeNetwork, stack } from '../test/support/stack.js';
import { removeContainersOf } from './lib/docker.js';
import { Kube } from './lib/kube.js';
import { cpuMeter, peakRssMiB } from './lib/processes.js';
import { type ProviderProcessSpec, startProvider } from './lib/provider.js';
import { round, until } from './lib/stats.js';

const log = (message: string) => console.error(`[bench] ${message}`);
const engine2 = 'engine-2';

interface Layout {
  name: string;
  processes: ProviderProcessSpec[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '100' }, out: { type: 'string', default: 'bench-results' } },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) {
    console.error('usage: npm run bench:scale-out -- [--count 100] [--out bench-results]');
    return 2;
  }
  const startedEngine2 = engine2Socket() === undefined;
  if (startedEngine2) stack('engine2', 'up');
  const engines = { [defaultEngine]: new Docker(), [engine2]: new Docker({ socketPath: engine2Socket() }) };
  const runId = randomBytes(3).toString('hex');
  const logsDir = join(resolve(repoRoot, values.out), `scale-out-${runId}-logs`);
  mkdirSync(logsDir, { recursive: true });
  const kube = new Kube(kubeConfig(), runId);
  const identity = await leastPrivilegeIdentity(`capdt-bench-${runId}`);
  const config = loadConfig(process.env);
  const network = `capdt-bench-${runId}`;
  const worker = (name: string, env: Record<string, string> = {}): ProviderProcessSpec => ({
    name,
    component: 'worker',
    env,
  });
  const beside2 = {
    DOCKER_HOST: `unix://${engine2Socket()}`,
    CAPDT_ENGINE: engine2,
    CAPDT_NETWORK_SUBNET: '10.255.100.0/24',
  };
  const layouts: Layout[] = [
    { name: '1 engine, 1 worker', processes: [worker('worker-1')] },
    {
      name: '2 engines, 3 workers',
      processes: [worker('worker-1'), worker('worker-2'), worker('worker-3 (engine 2)', beside2)],
    },
  ];
  const temporalPid = Number(readFileSync(join(stackEnv('CAPDT_STACK_DIR'), 'run/temporal.pid'), 'utf8'));
  const rows: string[] = [];
  try {
    for (const [index, layout] of layouts.entries()) {
      log(`${layout.name}: ${count} DockerClusters`);
      const namespace = await kube.createNamespace(`scale-out-${index}`);
      const provider = await startProvider(
        {
          KUBECONFIG: identity.kubeConfigPath,
          CAPDT_TASK_QUEUE: `capdt-bench-${runId}-${index}`,
          CAPDT_WATCH_NAMESPACE: namespace,
          CAPDT_NETWORK: network,
          CAPDT_NETWORK_SUBNET: `10.${1 + ((randomBytes(1)[0] as number) % 254)}.0.0/16`,
          CAPDT_LB_IMAGE: config.CAPDT_LB_IMAGE,
        },
        logsDir,
        `layout-${index}`,
        [...layout.processes, { name: 'watcher', component: 'watcher' }],
      );
      const names = [...layout.processes.map((p) => p.name), 'watcher'];
      const groups = Object.fromEntries(names.map((name, i) => [name, [provider.pids[i] as number]]));
      groups.temporal = [temporalPid];
      const seen = await kube.track(namespace);
      try {
        const cpu = cpuMeter(groups);
        const t0 = Date.now();
        const created = await Promise.all(
          Array.from({ length: count }, (_, i) => kube.create(namespace, `so-${i}`, true)),
        );
        await until(`${count} ready`, () => seen.readyAt.size === count, 600_000);
        const readyS = (Math.max(...seen.readyAt.values()) - t0) / 1000;
        const d0 = Date.now();
        await Promise.all(created.map((object) => kube.delete(namespace, object.name)));
        await until(`${count} gone`, () => seen.goneAt.size === count, 600_000);
        const goneS = (Math.max(...seen.goneAt.values()) - d0) / 1000;
        const used = cpu();
        const perProcess = names
          .map(
            (name, i) =>
              `${name} ${round(used[name] ?? 0)} ms, ${round(peakRssMiB([provider.pids[i] as number]))} MiB`,
          )
          .join('; ');
        rows.push(
          `| ${layout.name} | ${count} | ${round(readyS, 1)} s | ${round(goneS, 1)} s | ${perProcess} | ${round(used.temporal ?? 0)} ms |`,
        );
        await Promise.all(created.map((object) => kube.deleteCluster(namespace, object.name)));
      } finally {
        seen.stop();
        await provider.stop();
        for (const engine of Object.values(engines)) await removeContainersOf(engine, namespace);
      }
    }
  } finally {
    for (const engine of Object.values(engines)) await removeNetwork(network, engine);
    await kube.removeNamespaces();
    await identity.remove();
    if (startedEngine2) stack('engine2', 'down');
  }
  console.log(
    [
      '| layout | N | all ready | all gone | CPU and peak RSS per process (create + delete) | Temporal server CPU |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
