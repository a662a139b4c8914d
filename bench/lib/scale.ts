// The scale phase: hundreds of DockerClusters created in waves, left alone at the provider's default resync,
// then deleted in waves. What each one costs when there are many, to set beside a round of 50.
import { workflowIdOf } from '../../src/api/refs.js';
import { type Context, cpuPerObject, type Provider, range, timeoutMs } from './phases.js';
import { cpuMeter, peakRssMiB } from './processes.js';
import { untilCompleted, untilQuiet } from './provider.js';
import { round, sleep, until } from './stats.js';

/** Waves of `wave` objects, each applied at once and waited for (`done`) before the next. */
async function inWaves<T>(
  items: T[],
  wave: number,
  apply: (item: T) => Promise<unknown>,
  done: (item: T) => boolean,
) {
  for (let start = 0; start < items.length; start += wave) {
    const batch = items.slice(start, start + wave);
    await Promise.all(batch.map(apply));
    await until(
      `wave ${start / wave + 1} of ${Math.ceil(items.length / wave)}`,
      () => batch.every(done),
      timeoutMs(batch.length),
    );
  }
}

export async function runScale(
  context: Context,
  provider: Provider,
  total: number,
  wave: number,
  idleSeconds: number,
) {
  const { kube, temporal } = context;
  const { namespace } = provider;
  const seen = await kube.track(namespace);
  const processes = { provider: provider.pids, temporal: [context.temporalPid] };
  try {
    const createCpu = cpuPerObject(context, provider, total);
    const names = range(total).map((i) => `scale-${i}`);
    const created: Awaited<ReturnType<typeof kube.create>>[] = [];
    const t0 = Date.now();
    await inWaves(
      names,
      wave,
      async (name) => created.push(await kube.create(namespace, name, true)),
      (name) => seen.readyAt.has(name),
    );
    const allReadyMs = Date.now() - t0;
    const ids = created.map((object) => workflowIdOf(object.ref));
    await untilQuiet(temporal, ids);
    const create = createCpu();

    // Idle at the defaults: everything the processes and Temporal's server do meanwhile, their own idling
    // included, shared out over the DockerClusters.
    const historyLength = async () => {
      const described = await Promise.all(ids.map((id) => temporal.workflow.getHandle(id).describe()));
      return described.reduce((sum, description) => sum + description.historyLength, 0);
    };
    const eventsBefore = await historyLength();
    const requestsBefore = await context.countRequests();
    const dockerCallsBefore = context.countDockerCalls();
    const idleCpu = cpuMeter(processes);
    await sleep(idleSeconds * 1000);
    const used = idleCpu();
    const requestsAfter = await context.countRequests();
    const dockerCalls = context.countDockerCalls() - dockerCallsBefore;
    const events = (await historyLength()) - eventsBefore;
    /** A count over the whole window, as its share per DockerCluster and hour. */
    const perHour = (count: number) => round((count * 3600) / idleSeconds / total, 2);

    const deleteCpu = cpuPerObject(context, provider, total);
    await inWaves(
      created,
      wave,
      (object) => kube.delete(namespace, object.name),
      (object) => seen.goneAt.has(object.name),
    );
    await untilCompleted(temporal, ids);
    const remove = deleteCpu();
    await Promise.all(created.map((object) => kube.deleteCluster(namespace, object.name)));
    return {
      total,
      wave,
      allReadyMs,
      cpuMs: { create, delete: remove },
      peakRssMiB: round(peakRssMiB(provider.pids)),
      idleSeconds,
      idlePerDockerClusterHour: {
        providerCpuMs: perHour(used.provider as number),
        temporalCpuMs: perHour(used.temporal as number),
        events: perHour(events),
        requests: perHour(requestsAfter.requests - requestsBefore.requests),
        writes: perHour(requestsAfter.writes - requestsBefore.writes),
        dockerCalls: perHour(dockerCalls),
      },
    };
  } finally {
    seen.stop();
  }
}
