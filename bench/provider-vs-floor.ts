// npm run bench: the provider (watcher, Temporal workflows and activities in one process, `all`) against the
// floor (the same Docker and Kubernetes work done directly), for N DockerClusters created at once; then what an
// idle DockerCluster costs, how fast a load balancer removed by hand is back, and what each of hundreds costs
// (--scale). Prints Markdown tables and writes JSON + Markdown to --out; a full run (the default
// sizes and idle length, no phase failed) also rewrites docs/PERFORMANCE.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import Docker from 'dockerode';
import { kubeConfig, leastPrivilegeIdentity, repoRoot, stackEnv } from '../scripts/local-stack.js';
import { createDockerActivities } from '../src/activities/docker.js';
import { dockerClusterResource } from '../src/api/dockercluster.js';
import { loadConfig } from '../src/config.js';
import { countDockerCalls } from './lib/docker-calls.js';
import { countRequestsOf, Kube } from './lib/kube.js';
import * as phases from './lib/phases.js';
import { type BenchResult, renderDocument, renderTables } from './lib/report.js';
import { runScale } from './lib/scale.js';
import { round } from './lib/stats.js';

const fullSizes = '1,1,1,1,1,10,50';
const fullIdleSeconds = '60';
const fullScale = '500';
const usage = `usage: npm run bench -- [--sizes ${fullSizes}] [--idle-seconds ${fullIdleSeconds}] [--idle-resync-seconds 10] [--drift-removals 20] [--scale ${fullScale} (0: no scale run)] [--scale-wave 50] [--scale-idle-seconds 600] [--out bench-results]`;
/** Creates (one at a time, not counted) that take a fresh worker past its first workflow's sandbox and JIT. */
const warmUps = 3;
const log = (message: string) => console.error(`[bench] ${message}`);
const version = (command: string, ...args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0] as string;
  } catch {
    return 'unknown';
  }
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: fullSizes },
      'idle-seconds': { type: 'string', default: fullIdleSeconds },
      'idle-resync-seconds': { type: 'string', default: '10' },
      'drift-removals': { type: 'string', default: '20' },
      scale: { type: 'string', default: fullScale },
      'scale-wave': { type: 'string', default: '50' },
      'scale-idle-seconds': { type: 'string', default: '600' },
      out: { type: 'string', default: 'bench-results' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const idleSeconds = Number(values['idle-seconds']);
  /** Idle DockerClusters at once: enough resyncs for their CPU to stand out of the processes' own idling. */
  const idleCount = 20;
  const idleResyncSeconds = Number(values['idle-resync-seconds']);
  const driftRemovals = Number(values['drift-removals']);
  const scale = Number(values.scale);
  const scaleWave = Number(values['scale-wave']);
  const scaleIdleSeconds = Number(values['scale-idle-seconds']);
  const positive = [
    ...sizes,
    idleSeconds + 1,
    idleResyncSeconds,
    driftRemovals + 1,
    scale + 1,
    scaleWave,
    scaleIdleSeconds,
  ];
  if (!positive.every((value) => Number.isInteger(value) && value > 0)) {
    console.error(usage);
    return 2;
  }
  const full =
    values.sizes === fullSizes && values['idle-seconds'] === fullIdleSeconds && values.scale === fullScale;
  const config = loadConfig(process.env);
  const runId = randomBytes(3).toString('hex');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = resolve(repoRoot, values.out);
  const logsDir = join(outDir, `bench-${stamp}-logs`);
  mkdirSync(logsDir, { recursive: true });

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const undo of cleanups.splice(0).reverse())
      await undo().catch((error) => log(`cleanup: ${error.message}`));
  };
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  const admin = kubeConfig();
  const docker = new Docker();
  const connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
  cleanups.push(() => connection.close());
  const dockerVersion = await docker.version();
  const machine = {
    date: new Date().toISOString(),
    CPU: `${cpus()[0]?.model}, ${cpus().length} CPUs`,
    memory: `${round(totalmem() / 2 ** 30, 1)} GiB`,
    kernel: release(),
    'Node.js': process.version,
    'Docker engine': `${dockerVersion.Version} (API ${dockerVersion.ApiVersion})`,
    'kube-apiserver': (await admin.makeApiClient(k8s.VersionApi).getCode()).gitVersion,
    'Temporal CLI (dev server)': version(process.env.TEMPORAL_CLI ?? 'temporal', '--version'),
    'load average at start / end': loadavg().join(' '),
    'sizes, idle, scale': `${sizes.join(', ')}; idle ${idleCount} for ${idleSeconds} s, resync every ${idleResyncSeconds} s; scale ${scale} in waves of ${scaleWave}, idle ${scaleIdleSeconds} s`,
  };
  const result: BenchResult = { machine, sizes: [], errors: [] };
  try {
    const network = `capdt-bench-${runId}`;
    // Made as the provider makes its network (its own code): a subnet of its own, Docker's picks kept apart from
    // the load balancers' exact addresses.
    const subnet = `10.${1 + ((randomBytes(1)[0] as number) % 254)}.0.0/16`;
    const dockerSettings = {
      defaultImage: config.CAPDT_LB_IMAGE,
      network,
      subnet,
      hostIp: config.CAPDT_HOST_IP,
    };
    await createDockerActivities(docker, dockerSettings).ensureNetwork();
    cleanups.push(async () => {
      // A failed phase may have left load balancers on the network, which would keep it in use.
      for (const id of Object.keys((await docker.getNetwork(network).inspect()).Containers ?? {})) {
        await docker.getContainer(id).remove({ force: true, v: true });
      }
      await docker.getNetwork(network).remove();
    });
    const user = `capdt-bench-${runId}`;
    const identity = await leastPrivilegeIdentity(user);
    cleanups.push(() => identity.remove());
    const objects = kubeConfig(identity.kubeConfigPath).makeApiClient(k8s.CustomObjectsApi);
    const probe = () =>
      objects.listNamespacedCustomObject({ ...dockerClusterResource, namespace: 'default', limit: 1 });
    const requests = await countRequestsOf(admin, user, probe);
    cleanups.push(requests.remove);
    const dockerCalls = await countDockerCalls();
    cleanups.push(dockerCalls.close);
    const kube = new Kube(admin, runId);
    cleanups.push(() => kube.removeNamespaces());
    const image = config.CAPDT_LB_IMAGE;
    const context: phases.Context = {
      runId,
      kube,
      docker,
      temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      floor: { docker, objects, image, network, hostIp: config.CAPDT_HOST_IP },
      countRequests: requests.count,
      countDockerCalls: dockerCalls.count,
      providerSettings: {
        DOCKER_HOST: dockerCalls.dockerHost,
        KUBECONFIG: identity.kubeConfigPath,
        CAPDT_NETWORK: network,
        CAPDT_NETWORK_SUBNET: subnet,
        CAPDT_LB_IMAGE: image,
        CAPDT_HOST_IP: config.CAPDT_HOST_IP,
      },
      logsDir,
      temporalPid: Number(readFileSync(join(stackEnv('CAPDT_STACK_DIR'), 'run/temporal.pid'), 'utf8')),
      onCleanup: (undo) => cleanups.push(undo),
    };
    log(`run ${runId}: sizes ${sizes.join(', ')}; provider logs in ${logsDir}`);
    const provider = await phases.providerFor(context, 'provider', phases.defaultResyncSeconds);
    result.startupMs = provider.startupMs;
    for (let i = 1; i <= warmUps; i++) await phases.runRound(context, provider, 1, `warm-up-${i}`);
    for (const [index, n] of sizes.entries()) {
      try {
        const floor = await phases.runFloor(context, n, `r${index}`);
        const measured = await phases.runRound(context, provider, n, `r${index}`);
        const ratio = {
          allReady: measured.create.all / floor.create.all,
          p50: measured.create.p50 / floor.create.p50,
        };
        result.sizes.push({ n, floor, provider: measured, ratio });
        log(`N=${n}: all ready after ${measured.create.all} ms, floor ${floor.create.all} ms`);
      } catch (error) {
        result.errors.push(`N=${n}: ${(error as Error).message}`);
      }
    }
    if (driftRemovals > 0) {
      log(`drift: a load balancer removed by hand ${driftRemovals} times`);
      result.drift = await phases.runDrift(context, provider, driftRemovals);
    }
    if (idleSeconds > 0) {
      log(`idle: ${idleCount} for ${idleSeconds} s, resync every ${idleResyncSeconds} s`);
      const idleProvider = await phases.providerFor(context, 'idle', idleResyncSeconds);
      result.idle = await phases.runIdle(context, idleProvider, idleCount, idleSeconds, idleResyncSeconds);
    }
    if (scale > 0) {
      log(`scale: ${scale} in waves of ${scaleWave}, ${scaleIdleSeconds} s idle, deleted in waves`);
      const scaleProvider = await phases.providerFor(context, 'scale', phases.defaultResyncSeconds);
      result.scale = await runScale(context, scaleProvider, scale, scaleWave, scaleIdleSeconds);
    }
  } catch (error) {
    result.errors.push((error as Error).message);
  } finally {
    await cleanUp();
  }
  machine['load average at start / end'] += ` / ${loadavg().join(' ')}`;
  const base = join(outDir, `bench-${stamp}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${renderDocument(result)}\n`);
  console.log(renderTables(result));
  const rewrite = full && result.errors.length === 0;
  if (rewrite) writeFileSync(join(repoRoot, 'docs/PERFORMANCE.md'), `${renderDocument(result)}\n`);
  log(`wrote ${base}.json and .md${rewrite ? ' and docs/PERFORMANCE.md' : ''}`);
  return result.errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
