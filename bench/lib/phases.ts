// The measured phases: the floor for N DockerClusters, a round of the provider (N created at once → ready →
// quiet → deleted), and an idle DockerCluster over a window.
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { ownerUidLabel } from '../../src/activities/load-balancer.js';
import { workflowIdOf } from '../../src/api/refs.js';
import { loadConfig } from '../../src/config.js';
import { removeByHand } from '../../test/support/stack.js';
import { containerEvents, type FloorSettings, floorCreate, removeContainersOf } from './docker.js';
import type { Kube, RequestCount } from './kube.js';
import { cpuMeter, peakRssMiB } from './processes.js';
import {
  countHistory,
  historyOf,
  startProvider,
  terminateWorkflows,
  untilCompleted,
  untilQuiet,
} from './provider.js';
import { latency, mean, percentile, round, sleep, until } from './stats.js';

export interface Context {
  runId: string;
  kube: Kube;
  docker: Docker;
  temporal: Client;
  floor: FloorSettings;
  /** The provider identity's requests so far. */
  countRequests: () => Promise<RequestCount>;
  /** The provider processes' Docker requests so far (through the benchmark's counting proxy). */
  countDockerCalls: () => number;
  /** The provider's settings shared by every provider process of the run. */
  providerSettings: Record<string, string>;
  logsDir: string;
  /** The Temporal dev server's process, whose CPU the provider's workflows cost too. */
  temporalPid: number;
  /** Registers what the end of the run (or an interrupt) must undo. */
  onCleanup: (undo: () => Promise<unknown>) => void;
}

export const defaultResyncSeconds = loadConfig({}).CAPDT_RESYNC_SECONDS;
/** How long N objects may take to get ready or gone before the phase fails. */
export const timeoutMs = (n: number) => 120_000 + 2_000 * n;
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const perObject = (after: RequestCount, before: RequestCount, n: number) => ({
  requests: round((after.requests - before.requests) / n, 1),
  writes: round((after.writes - before.writes) / n, 1),
});

/** The floor's work for N DockerClusters created beforehand (not timed), all N at once. */
export async function runFloor(context: Context, n: number, label: string) {
  const { kube, docker } = context;
  const namespace = await kube.createNamespace(`floor-${label}`);
  const objects = await Promise.all(range(n).map((i) => kube.create(namespace, `floor-${i}`, false)));
  const seen = await kube.track(namespace);
  const events = await containerEvents(docker, namespace);
  try {
    const before = await context.countRequests();
    const t0 = Date.now();
    await Promise.all(objects.map((object) => floorCreate(context.floor, object.ref)));
    await until('the floor to be seen ready', () => seen.readyAt.size === n, timeoutMs(n));
    const readyMs = objects.map((object) => (seen.readyAt.get(object.name) as number) - t0);
    return {
      create: latency(readyMs, Math.max(...readyMs)),
      ...perObject(await context.countRequests(), before, n),
      containerEvents: round(events.events.length / n, 1),
    };
  } finally {
    seen.stop();
    events.stop();
    await removeContainersOf(docker, namespace);
  }
}

export type Provider = Awaited<ReturnType<typeof providerFor>>;

/** The provider (`all`) in a namespace of its own; stopped and cleaned up at the end of the run. */
export async function providerFor(context: Context, name: string, resyncSeconds: number) {
  const namespace = await context.kube.createNamespace(name);
  const taskQueue = `capdt-bench-${context.runId}-${name}`;
  const provider = await startProvider(
    {
      ...context.providerSettings,
      CAPDT_TASK_QUEUE: taskQueue,
      CAPDT_WATCH_NAMESPACE: namespace,
      CAPDT_RESYNC_SECONDS: String(resyncSeconds),
    },
    context.logsDir,
    name,
  );
  context.onCleanup(() => terminateWorkflows(context.temporal, taskQueue));
  context.onCleanup(() => provider.stop());
  return { namespace, pids: provider.pids, startupMs: provider.startupMs };
}

/** CPU ms per object of the provider's processes and of Temporal's server, over a phase of n objects. */
export function cpuPerObject(context: Context, provider: Provider, n: number) {
  const measure = cpuMeter({ provider: provider.pids, temporal: [context.temporalPid] });
  return () => {
    const used = measure();
    return {
      provider: round((used.provider as number) / n, 1),
      temporal: round((used.temporal as number) / n, 1),
    };
  };
}

/** N Cluster + DockerCluster pairs applied at once: time to ready, cost until quiet, and time to delete. */
export async function runRound(context: Context, provider: Provider, n: number, label: string) {
  const { kube, docker, temporal } = context;
  const { namespace } = provider;
  const seen = await kube.track(namespace);
  const events = await containerEvents(docker, namespace);
  const destroyedAt = (uid: string) => events.events.find((e) => e.action === 'destroy' && e.uid === uid)?.at;
  try {
    const before = await context.countRequests();
    const dockerCallsBefore = context.countDockerCalls();
    const createCpu = cpuPerObject(context, provider, n);
    const created = await Promise.all(range(n).map((i) => kube.create(namespace, `${label}-${i}`, true)));
    const readyAt = (name: string) => seen.readyAt.get(name) as number;
    await until(
      `${n} DockerClusters to be ready`,
      () => created.every((object) => seen.readyAt.has(object.name)),
      timeoutMs(n),
    );
    const ids = created.map((object) => workflowIdOf(object.ref));
    await untilQuiet(temporal, ids);
    const requests = perObject(await context.countRequests(), before, n);
    const dockerCalls = round((context.countDockerCalls() - dockerCallsBefore) / n, 1);
    const createEvents = events.events.length;
    const createCpuMs = createCpu();
    const histories = (await Promise.all(ids.map((id) => historyOf(temporal, id)))).map(countHistory);

    const deleteCpu = cpuPerObject(context, provider, n);
    const d0 = Date.now();
    const deleteReturned = await Promise.all(
      created.map(async (object) => {
        await kube.delete(namespace, object.name);
        return Date.now();
      }),
    );
    const goneAt = () =>
      created.map((o) => Math.max(seen.goneAt.get(o.name) ?? Number.NaN, destroyedAt(o.uid) ?? Number.NaN));
    await until(
      `${n} DockerClusters and their load balancers to be gone`,
      () => goneAt().every(Number.isFinite),
      timeoutMs(n),
    );
    const gone = goneAt();
    await untilCompleted(temporal, ids);
    const deleteCpuMs = deleteCpu();
    await Promise.all(created.map((object) => kube.deleteCluster(namespace, object.name)));

    // From CAPI's owner reference, which the provider waits for: the floor starts with that work done.
    const ownedAt = created.map((object) => seen.ownedAt.get(object.name) as number);
    const readyMs = created.map((object, i) => readyAt(object.name) - (ownedAt[i] as number));
    const lastReady = Math.max(...created.map((object) => readyAt(object.name)));
    const ownerMs = created.map((object, i) => (ownedAt[i] as number) - object.returnedAt);
    const average = (pick: (count: (typeof histories)[number]) => number) =>
      round(mean(histories.map(pick)), 1);
    return {
      create: latency(readyMs, lastReady - Math.min(...ownedAt)),
      capiOwnerMs: percentile(ownerMs, 50),
      delete: latency(
        gone.map((at, i) => at - (deleteReturned[i] as number)),
        Math.max(...gone) - d0,
      ),
      eventsToReady: average((h) => h.eventsToReady),
      eventsUntilQuiet: average((h) => h.events),
      activitiesToReady: average((h) => h.activitiesToReady),
      activitiesUntilQuiet: average((h) => h.activities),
      reconciles: average((h) => h.reconciles),
      ...requests,
      dockerCalls,
      containerEvents: round(createEvents / n, 1),
      cpuMs: { create: createCpuMs, delete: deleteCpuMs },
      peakRssMiB: round(peakRssMiB(provider.pids)),
    };
  } finally {
    seen.stop();
    events.stop();
  }
}

/**
 * `count` ready DockerClusters left alone for idleSeconds while their workflows resync every resyncSeconds (many,
 * so that the resyncs' CPU stands out of the processes' own idling, measured first over as long a window).
 */
export async function runIdle(
  context: Context,
  provider: Provider,
  count: number,
  idleSeconds: number,
  resyncSeconds: number,
) {
  const { kube, docker, temporal } = context;
  const { namespace } = provider;
  const processes = { provider: provider.pids, temporal: [context.temporalPid] };
  const idling = cpuMeter(processes);
  await sleep(idleSeconds * 1000);
  const baseline = idling();
  const seen = await kube.track(namespace);
  const events = await containerEvents(docker, namespace);
  try {
    const created = await Promise.all(range(count).map((i) => kube.create(namespace, `idle-${i}`, true)));
    const ids = created.map((object) => workflowIdOf(object.ref));
    await until(
      `${count} idle DockerClusters to be ready`,
      () => created.every((object) => seen.readyAt.has(object.name)),
      timeoutMs(count),
    );
    await untilQuiet(temporal, ids);

    const lengthsBefore = await Promise.all(
      ids.map(async (id) => (await temporal.workflow.getHandle(id).describe()).historyLength),
    );
    const before = await context.countRequests();
    const dockerCallsBefore = context.countDockerCalls();
    const eventsBefore = events.events.length;
    const w0 = Date.now();
    const cpu = cpuMeter(processes);
    await sleep(idleSeconds * 1000);
    await untilQuiet(temporal, ids, 1_000);
    const used = cpu();
    const windowMs = Date.now() - w0;
    const beyondIdling = (group: keyof typeof processes) =>
      (used[group] as number) - ((baseline[group] as number) * windowMs) / (idleSeconds * 1000);
    const windows = await Promise.all(
      ids.map(async (id, i) => countHistory((await historyOf(temporal, id)).slice(lengthsBefore[i]))),
    );
    const total = (pick: (window: (typeof windows)[number]) => number) =>
      windows.reduce((sum, window) => sum + pick(window), 0);
    const resyncs = total((window) => window.timersFired);
    const requests = perObject(await context.countRequests(), before, resyncs);
    // Temporal's server serves the other provider too, which is quiet meanwhile.
    const perResync = {
      providerCpuMs: round(beyondIdling('provider') / resyncs, 1),
      temporalCpuMs: round(beyondIdling('temporal') / resyncs, 1),
      events: round(total((window) => window.events) / resyncs, 1),
      activities: round(total((window) => window.activities) / resyncs, 1),
      ...requests,
      dockerCalls: round((context.countDockerCalls() - dockerCallsBefore) / resyncs, 1),
      containerEvents: round((events.events.length - eventsBefore) / resyncs, 1),
    };
    const windowSeconds = round(windowMs / 1000, 1);
    // Leave nothing behind: the provider removes the load balancers and ends the workflows.
    await Promise.all(created.map((object) => kube.delete(namespace, object.name)));
    await untilCompleted(temporal, ids);
    await Promise.all(created.map((object) => kube.deleteCluster(namespace, object.name)));
    return {
      count,
      resyncSeconds,
      windowSeconds,
      resyncs,
      perResync,
      perHour: [resyncSeconds, defaultResyncSeconds].map((interval) => ({
        resyncSeconds: interval,
        ...Object.fromEntries(
          Object.entries(perResync).map(([key, value]) => [key, round((value * 3600) / interval, 1)]),
        ),
      })),
    };
  } finally {
    seen.stop();
    events.stop();
  }
}

/**
 * One ready DockerCluster whose load balancer is removed by hand (`docker rm -f`) `removals` times, one after the
 * other: from each removal until a load balancer of it runs again (repaired from Docker's event stream).
 */
export async function runDrift(context: Context, provider: Provider, removals: number) {
  const { kube, docker, temporal } = context;
  const seen = await kube.track(provider.namespace);
  try {
    const object = await kube.create(provider.namespace, 'drift', true);
    const ids = [workflowIdOf(object.ref)];
    await until('the drift DockerCluster to be ready', () => seen.readyAt.has(object.name), timeoutMs(1));
    await untilQuiet(temporal, ids);
    const running = async () =>
      (
        await docker.listContainers({
          filters: { label: [`${ownerUidLabel}=${object.uid}`], status: ['running'] },
        })
      )[0];
    const backMs: number[] = [];
    for (let removal = 0; removal < removals; removal += 1) {
      const removed = await until('its load balancer running', running, timeoutMs(1));
      const t0 = Date.now();
      await removeByHand(docker.getContainer(removed.Id));
      await until(
        'a load balancer running again',
        async () => {
          const now = await running();
          return now && now.Id !== removed.Id;
        },
        timeoutMs(1),
      );
      backMs.push(Date.now() - t0);
      await untilQuiet(temporal, ids, 1_000);
    }
    await kube.delete(provider.namespace, object.name);
    await untilCompleted(temporal, ids);
    await kube.deleteCluster(provider.namespace, object.name);
    return { removals, p50: percentile(backMs, 50), p95: percentile(backMs, 95), max: Math.max(...backMs) };
  } finally {
    seen.stop();
  }
}
