// The benchmark's phases: the floor, the provider (create, settle, delete) for one N, and the idle phase.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { ownerUidLabel } from '../../src/activities/load-balancer.js';
import { loadConfig } from '../../src/config.js';
import { refOf } from '../../src/watcher/changes.js';
import { workflowIdOf } from '../../src/workflows/definitions.js';
import type { ApiServerMetrics } from './apiserver.js';
import { type Cleanup, withTimeout } from './cleanup.js';
import { dockerSocketPath, recordContainerEvents, removeContainersOf, startDockerProxy } from './docker.js';
import { floorOne } from './floor.js';
import { analyze, fetchEvents, type HistoryFacts } from './history.js';
import type { BenchKube, Created } from './kube.js';
import { type MainProcess, spawnMain, stopMain, UsageMeter, waitReady } from './processes.js';
import {
  type ActivityCost,
  apiCost,
  type FloorResult,
  type IdleResult,
  type Latency,
  type PhaseUsage,
  type ProviderResult,
  type WhereTimeGoes,
} from './results.js';
import { diffCounts, round, scaleCounts, sleep, sumCounts, summarize, until } from './stats.js';

export interface Context {
  runId: string;
  bench: BenchKube;
  /** The provider's identity: its kubeconfig and its client (the floor's status writes use it too). */
  identity: { user: string; kubeConfigPath: string; objects: k8s.CustomObjectsApi };
  docker: Docker;
  temporal: Client;
  metrics: ApiServerMetrics;
  network: string;
  image: string;
  hostIp: string;
  stackPids: Record<string, number>;
  cleanup: Cleanup;
  logsDir: string;
  phaseTimeoutMs: number;
}

const log = (message: string) => console.error(`[bench] ${message}`);
const defaultResyncSeconds = loadConfig({}).CAPDT_RESYNC_SECONDS;

function latencyOf(values: number[], allMs: number): Latency {
  const perObject = summarize(values);
  return {
    perObject: {
      count: perObject.count,
      p50: round(perObject.p50),
      p95: round(perObject.p95),
      max: round(perObject.max),
      mean: round(perObject.mean),
    },
    allMs: round(allMs),
  };
}

function rounded(values: number[], digits = 1) {
  const summary = summarize(values);
  return {
    count: summary.count,
    p50: round(summary.p50, digits),
    p95: round(summary.p95, digits),
    max: round(summary.max, digits),
    mean: round(summary.mean, digits),
  };
}

function usageOf(meter: UsageMeter, measurement: ReturnType<UsageMeter['begin']>, since: number): PhaseUsage {
  return { wallSeconds: round((Date.now() - since) / 1000, 2), processes: meter.end(measurement) };
}

const sizeLabel = (n: number, repeat: number) => (repeat > 1 ? `n${n}-${repeat}` : `n${n}`);

async function createNamespace(context: Context, kind: string) {
  const namespace = `bench-${context.runId}-${kind}`;
  await context.bench.createNamespace(namespace);
  const remove = context.cleanup.add(`namespace ${namespace} and its containers`, async () => {
    await removeContainersOf(context.docker, namespace);
    await context.bench.removeNamespace(namespace);
  });
  return { namespace, remove };
}

// ---- the floor ------------------------------------------------------------------------------------

/** `repeat` tells repeated sizes apart (1 for the first run of a size). */
export async function runFloor(context: Context, n: number, repeat = 1): Promise<FloorResult> {
  const { bench, metrics } = context;
  const { namespace, remove } = await createNamespace(context, `floor-${sizeLabel(n, repeat)}`);
  try {
    const objects = await Promise.all(
      Array.from({ length: n }, (_, i) => bench.createDockerCluster(namespace, `floor-${i}`)),
    );
    const readySeen = new Map<string, number>();
    const watch = await bench.watchDockerClusters(namespace, ({ object, at }) => {
      const name = object.metadata?.name as string;
      if (object.status?.ready && !readySeen.has(name)) readySeen.set(name, at);
    });
    const events = await recordContainerEvents(context.docker, namespace);
    const meter = new UsageMeter(context.stackPids);
    try {
      const ownBefore = bench.own.snapshot();
      const before = await metrics.scrape();
      const measurement = meter.begin();
      const t0 = Date.now();
      const settings = {
        docker: context.docker,
        objects: context.identity.objects,
        image: context.image,
        network: context.network,
        hostIp: context.hostIp,
      };
      const times = await withTimeout(`the floor for N=${n}`, context.phaseTimeoutMs, async () => {
        const done = await Promise.all(objects.map((object) => floorOne(settings, object, t0)));
        await until(
          'the floor objects to be seen ready',
          () => (readySeen.size === n ? true : undefined),
          60_000,
          20,
        );
        return done;
      });
      const usage = usageOf(meter, measurement, t0);
      const after = await metrics.scrape();
      const ownAfter = bench.own.snapshot();
      const seen = objects.map((object) => (readySeen.get(object.name) as number) - t0);
      const patched = times.map((time) => time.patchedMs);
      const mean = (pick: (time: (typeof times)[number]) => number) =>
        round(times.reduce((sum, time) => sum + pick(time), 0) / times.length, 1);
      return {
        n,
        latency: latencyOf(seen, Math.max(...seen)),
        patched: latencyOf(patched, Math.max(...patched)),
        steps: {
          create: mean((time) => time.createdMs),
          writeConfig: mean((time) => time.configuredMs - time.createdMs),
          start: mean((time) => time.startedMs - time.configuredMs),
          inspect: mean((time) => time.inspectedMs - time.startedMs),
          patchStatus: mean((time) => time.patchedMs - time.inspectedMs),
        },
        api: apiCost(before, after, ownBefore, ownAfter),
        containerEventsPerObject: scaleCounts(events.countActions(), 1 / n),
        usage,
      };
    } finally {
      meter.stop();
      watch.stop();
      events.stop();
    }
  } finally {
    await remove();
  }
}

// ---- the provider ---------------------------------------------------------------------------------

interface Children {
  worker: MainProcess;
  watcher: MainProcess;
  meter: UsageMeter;
  startup: PhaseUsage;
  startupMs: { worker: number; watcher: number };
  stop: () => Promise<void>;
}

async function startChildren(
  context: Context,
  namespace: string,
  taskQueue: string,
  label: string,
  extra: { resyncSeconds: number; workerDockerHost?: string },
): Promise<Children> {
  const env = {
    KUBECONFIG: context.identity.kubeConfigPath,
    CAPDT_TASK_QUEUE: taskQueue,
    CAPDT_NETWORK: context.network,
    CAPDT_WATCH_NAMESPACE: namespace,
    CAPDT_HTTP_PORT: '0',
    CAPDT_LEADER_ELECTION: 'false',
    CAPDT_LB_IMAGE: context.image,
    CAPDT_HOST_IP: context.hostIp,
    CAPDT_RESYNC_SECONDS: String(extra.resyncSeconds),
    LOG_LEVEL: 'info',
  };
  const spawnedAt = Date.now();
  const worker = spawnMain(
    'worker',
    { ...env, ...(extra.workerDockerHost && { DOCKER_HOST: extra.workerDockerHost }) },
    join(context.logsDir, `${label}-worker.log`),
  );
  const watcher = spawnMain('watcher', env, join(context.logsDir, `${label}-watcher.log`));
  const terminate = context.cleanup.add(`the workflows left running on ${taskQueue}`, () =>
    terminateWorkflows(context.temporal, taskQueue),
  );
  const stop = context.cleanup.add(`the worker and watcher of ${label}`, async () => {
    await Promise.all([stopMain(worker), stopMain(watcher)]);
  });
  const meter = new UsageMeter({ worker: worker.pid, watcher: watcher.pid, ...context.stackPids });
  const measurement = meter.begin();
  let workerReady: number;
  let watcherReady: number;
  try {
    [workerReady, watcherReady] = await Promise.all([
      waitReady(worker, context.phaseTimeoutMs),
      waitReady(watcher, context.phaseTimeoutMs),
    ]);
  } catch (error) {
    meter.stop();
    await stop();
    throw error;
  }
  return {
    worker,
    watcher,
    meter,
    startup: usageOf(meter, measurement, spawnedAt),
    startupMs: { worker: workerReady - spawnedAt, watcher: watcherReady - spawnedAt },
    stop: async () => {
      meter.stop();
      await stop();
      await terminate();
    },
  };
}

/** Workflows of a task queue still running after its phase (a phase failed): nobody would finish them. */
async function terminateWorkflows(temporal: Client, taskQueue: string): Promise<void> {
  const running = temporal.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  });
  for await (const workflow of running) {
    await temporal.workflow
      .getHandle(workflow.workflowId, workflow.runId)
      .terminate('capd-temporal benchmark cleanup')
      .catch(() => undefined);
  }
}

/** Waits until no workflow has a pending activity or workflow task and no history grew for quietMs. */
async function waitQuiet(
  temporal: Client,
  workflowIds: string[],
  timeoutMs: number,
  quietMs = 2_000,
): Promise<{ quiet: boolean; lengths: Map<string, number> }> {
  const deadline = Date.now() + timeoutMs;
  let lengths = new Map<string, number>();
  let lastChange = Date.now();
  for (;;) {
    const descriptions = await Promise.all(
      workflowIds.map((id) => temporal.workflow.getHandle(id).describe()),
    );
    const next = new Map(
      descriptions.map((description, i) => [workflowIds[i] as string, description.historyLength]),
    );
    const busy = descriptions.some(
      (description) =>
        (description.raw.pendingActivities?.length ?? 0) > 0 || Boolean(description.raw.pendingWorkflowTask),
    );
    if (busy || [...next].some(([id, length]) => lengths.get(id) !== length)) lastChange = Date.now();
    lengths = next;
    if (Date.now() - lastChange >= quietMs) return { quiet: true, lengths };
    if (Date.now() > deadline) return { quiet: false, lengths };
    // One describe per workflow per poll: fewer polls for many workflows.
    await sleep(Math.max(500, workflowIds.length * 10));
  }
}

async function waitCompleted(temporal: Client, workflowIds: string[], timeoutMs: number): Promise<boolean> {
  try {
    await until(
      'the workflows to complete',
      async () => {
        const descriptions = await Promise.all(
          workflowIds.map((id) => temporal.workflow.getHandle(id).describe()),
        );
        return descriptions.every((description) => description.status.name !== 'RUNNING') ? true : undefined;
      },
      timeoutMs,
      500,
    );
    return true;
  } catch {
    return false;
  }
}

function whereTimeGoes(
  created: Created[],
  facts: HistoryFacts[],
  readySeen: Map<string, number>,
): WhereTimeGoes {
  const n = created.length;
  const paths = facts.map((fact) => fact.path);
  const mean = (pick: (path: NonNullable<HistoryFacts['path']>) => number) => {
    const values = paths.filter((path) => path !== undefined).map(pick);
    return values.length
      ? round(values.reduce((sum, value) => sum + value, 0) / values.length, 1)
      : Number.NaN;
  };
  const byActivity: Record<string, ActivityCost> = {};
  for (const path of paths) {
    for (const step of path?.activities ?? []) {
      const cost = byActivity[step.type] ?? { local: step.local, callsPerCreate: 0, queueMs: 0, runMs: 0 };
      byActivity[step.type] = cost;
      cost.callsPerCreate += 1 / n;
      cost.queueMs += step.queueMs / n;
      cost.runMs += step.runMs / n;
    }
  }
  for (const cost of Object.values(byActivity)) {
    cost.callsPerCreate = round(cost.callsPerCreate, 2);
    cost.queueMs = round(cost.queueMs, 1);
    cost.runMs = round(cost.runMs, 1);
  }
  return {
    watcherMs: rounded(created.map((object, i) => (facts[i]?.startedAt ?? Number.NaN) - object.returnedAt)),
    workflowMs: mean((path) => path.totalMs),
    workflowTasks: mean((path) => path.workflowTasks),
    workflowTaskQueueMs: mean((path) => path.workflowTaskQueueMs),
    workflowTaskRunMs: mean((path) => path.workflowTaskRunMs),
    activityQueueMs: mean((path) => path.activityQueueMs),
    activityRunMs: mean((path) => path.activityRunMs),
    otherMs: mean((path) => path.otherMs),
    readyToSeenMs: rounded(
      created.map(
        (object, i) => (readySeen.get(object.name) ?? Number.NaN) - (facts[i]?.readyAt ?? Number.NaN),
      ),
    ),
    byActivity: Object.fromEntries(
      Object.entries(byActivity).sort(([, a], [, b]) => b.runMs + b.queueMs - (a.runMs + a.queueMs)),
    ),
  };
}

function warningsOf(...processes: MainProcess[]) {
  const counts = new Map<string, { component: string; msg: string; count: number }>();
  for (const main of processes) {
    for (const line of main.problems) {
      const key = `${main.component}\0${line.msg}`;
      const entry = counts.get(key) ?? { component: main.component, msg: String(line.msg), count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
  }
  return [...counts.values()];
}

/** Applies Cluster + DockerCluster pairs at once, each DockerCluster owned by its Cluster from creation. */
async function applyPairs(
  bench: BenchKube,
  namespace: string,
  n: number,
  prefix: string,
): Promise<Created[]> {
  return await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `${prefix}-${i}`;
      const cluster = await bench.createCluster(namespace, name);
      return await bench.createDockerCluster(namespace, name, cluster);
    }),
  );
}

/** How many DockerClusters are created and deleted, one after the other, before a size is measured. */
export const warmUpCreates = 3;

/**
 * Creates and deletes a few DockerClusters one by one before measuring, so that the sizes measure a running
 * provider, as users meet it, rather than a new worker's first calls (its first workflow builds the sandbox,
 * connections are opened, and the JavaScript engine has not yet compiled the hot paths). Returns each one's
 * time to ready, which the report shows on its own.
 */
async function warmUp(context: Context, namespace: string): Promise<number[]> {
  const { bench, temporal, phaseTimeoutMs } = context;
  const readyAt = new Map<string, number>();
  const gone = new Set<string>();
  const watch = await bench.watchDockerClusters(namespace, ({ type, object, at }) => {
    const name = object.metadata?.name as string;
    if (type === 'DELETED') gone.add(name);
    else if (object.status?.ready && !readyAt.has(name)) readyAt.set(name, at);
  });
  try {
    const times: number[] = [];
    for (let i = 1; i <= warmUpCreates; i++) {
      const [created] = await applyPairs(bench, namespace, 1, `warm-up-${i}`);
      if (!created) throw new Error('the warm-up DockerCluster was not created');
      const what = `warm-up DockerCluster ${created.name}`;
      const ready = await until(
        `the ${what} to be ready`,
        () => readyAt.get(created.name),
        phaseTimeoutMs,
        20,
      );
      times.push(ready - created.returnedAt);
      await bench.deleteDockerCluster(namespace, created.name);
      await until(`the ${what} to be gone`, () => gone.has(created.name) || undefined, phaseTimeoutMs, 20);
      if (!(await waitCompleted(temporal, [workflowIdOf(refOf(created.object))], phaseTimeoutMs))) {
        throw new Error(`the workflow of the ${what} did not complete after it was deleted`);
      }
    }
    return times;
  } finally {
    watch.stop();
  }
}

export async function runProvider(context: Context, n: number, repeat = 1): Promise<ProviderResult> {
  const { bench, metrics, temporal, phaseTimeoutMs } = context;
  const label = sizeLabel(n, repeat);
  const { namespace, remove } = await createNamespace(context, `provider-${label}`);
  const taskQueue = `capdt-bench-${context.runId}-${label}`;
  let children: Children | undefined;
  try {
    children = await startChildren(context, namespace, taskQueue, `provider-${label}`, {
      resyncSeconds: defaultResyncSeconds,
    });
    const { meter } = children;
    log(
      `N=${n}: worker ready in ${children.startupMs.worker} ms, watcher in ${children.startupMs.watcher} ms`,
    );
    const warmUpMs = await warmUp(context, namespace);
    log(`N=${n}: warm-up DockerClusters ready after ${warmUpMs.join(', ')} ms, deleted again`);

    const readySeen = new Map<string, number>();
    const goneSeen = new Map<string, number>();
    const watch = await bench.watchDockerClusters(namespace, ({ type, object, at }) => {
      const name = object.metadata?.name as string;
      if (type === 'DELETED') goneSeen.set(name, at);
      else if (object.status?.ready && !readySeen.has(name)) readySeen.set(name, at);
    });
    const events = await recordContainerEvents(context.docker, namespace);
    const destroyed = new Map<string, number>();
    events.onEvent((event) => {
      const uid = event.labels[ownerUidLabel];
      if (event.action === 'destroy' && uid) destroyed.set(uid, event.at);
    });
    try {
      // ---- create: apply N pairs at once → every DockerCluster seen ready --------------------------
      const ownBefore = bench.own.snapshot();
      const before = await metrics.scrape();
      let measurement = meter.begin();
      const t0 = Date.now();
      const created = await withTimeout(`create N=${n}`, phaseTimeoutMs, async () => {
        const objects = await applyPairs(bench, namespace, n, 'dc');
        await until(
          `${n} DockerClusters to be ready`,
          () => (readySeen.size === n ? true : undefined),
          phaseTimeoutMs,
          20,
        );
        return objects;
      });
      const readyAll = Math.max(...readySeen.values());
      const createUsage = usageOf(meter, measurement, t0);
      log(`N=${n}: all ready after ${readyAll - t0} ms`);

      // ---- settle: until the reconciles the provider's own writes caused are done -------------------
      measurement = meter.begin();
      const settleStart = Date.now();
      const workflowIds = created.map((object) => workflowIdOf(refOf(object.object)));
      const settle = await waitQuiet(temporal, workflowIds, 60_000);
      const settleUsage = usageOf(meter, measurement, settleStart);
      const afterCreate = await metrics.scrape();
      const ownAfterCreate = bench.own.snapshot();
      const histories = await Promise.all(workflowIds.map((id) => fetchEvents(temporal, id)));
      const facts = histories.map((history) => analyze(history));
      const containerEventsAfterCreate = events.events.length;
      const containerEventsPerCreate = scaleCounts(events.countActions(), 1 / n);

      // ---- delete: all at once → objects gone and containers destroyed ----------------------------
      measurement = meter.begin();
      const d0 = Date.now();
      const deleteReturned = new Map<string, number>();
      await withTimeout(`delete N=${n}`, phaseTimeoutMs, async () => {
        await Promise.all(
          created.map(async (object) => {
            await bench.deleteDockerCluster(namespace, object.name);
            deleteReturned.set(object.name, Date.now());
          }),
        );
        await until(
          `${n} DockerClusters and their containers to be gone`,
          () => (created.every((o) => goneSeen.has(o.name) && destroyed.has(o.uid)) ? true : undefined),
          phaseTimeoutMs,
          20,
        );
      });
      const goneAt = created.map((o) =>
        Math.max(goneSeen.get(o.name) as number, destroyed.get(o.uid) as number),
      );
      const completed = await waitCompleted(temporal, workflowIds, 60_000);
      const deleteUsage = usageOf(meter, measurement, d0);
      const afterDelete = await metrics.scrape();
      const ownAfterDelete = bench.own.snapshot();
      const finalHistories = await Promise.all(workflowIds.map((id) => fetchEvents(temporal, id)));
      const deleteFacts = finalHistories.map((history, i) => analyze(history, histories[i]?.length ?? 0));
      if (!completed) log(`N=${n}: not every workflow completed within 60 s of the deletes`);

      const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
      const createLatencies = created.map((o) => (readySeen.get(o.name) as number) - o.returnedAt);
      return {
        n,
        namespace,
        taskQueue,
        startupMs: children.startupMs,
        warmUpMs,
        create: latencyOf(createLatencies, readyAll - t0),
        createFromSent: rounded(
          created.map((o) => (readySeen.get(o.name) as number) - o.sentAt),
          0,
        ),
        settled: settle.quiet,
        settleMs: round(settleUsage.wallSeconds * 1000),
        history: {
          eventsToReady: rounded(facts.map((fact) => fact.eventsToReady ?? Number.NaN)),
          activitiesToReady: rounded(facts.map((fact) => fact.activitiesToReady ?? Number.NaN)),
          eventsUntilQuiet: rounded(facts.map((fact) => fact.events)),
          activitiesUntilQuiet: rounded(facts.map((fact) => fact.activities)),
          reconcilesUntilQuiet: rounded(facts.map((fact) => fact.reconciles)),
          signalsUntilQuiet: rounded(facts.map((fact) => fact.signals)),
          failedActivityAttempts: sum(facts.map((fact) => fact.failedActivityAttempts)),
        },
        where: whereTimeGoes(created, facts, readySeen),
        apiCreate: apiCost(before, afterCreate, ownBefore, ownAfterCreate),
        containerEventsPerCreate,
        delete: latencyOf(
          created.map((o, i) => (goneAt[i] as number) - (deleteReturned.get(o.name) as number)),
          Math.max(...goneAt) - d0,
        ),
        deleteHistory: {
          events: rounded(deleteFacts.map((fact) => fact.events)),
          activities: rounded(deleteFacts.map((fact) => fact.activities)),
        },
        apiDelete: apiCost(afterCreate, afterDelete, ownAfterCreate, ownAfterDelete),
        containerEventsPerDelete: scaleCounts(events.countActions(containerEventsAfterCreate), 1 / n),
        usage: { startup: children.startup, create: createUsage, settle: settleUsage, delete: deleteUsage },
        warnings: warningsOf(children.worker, children.watcher),
      };
    } finally {
      watch.stop();
      events.stop();
    }
  } finally {
    await children?.stop();
    await remove();
  }
}

// ---- idle -----------------------------------------------------------------------------------------

export async function runIdle(
  context: Context,
  idleSeconds: number,
  resyncSeconds: number,
): Promise<IdleResult> {
  const { bench, metrics, temporal, phaseTimeoutMs } = context;
  const { namespace, remove } = await createNamespace(context, 'idle');
  const socket = dockerSocketPath();
  const proxy = socket
    ? await startDockerProxy(socket, join(tmpdir(), `capdt-bench-${context.runId}.sock`))
    : undefined;
  const stopProxy = proxy
    ? context.cleanup.add('the Docker proxy', () => proxy.stop())
    : async () => undefined;
  let children: Children | undefined;
  try {
    children = await startChildren(context, namespace, `capdt-bench-${context.runId}-idle`, 'idle', {
      resyncSeconds,
      ...(proxy && { workerDockerHost: proxy.url }),
    });
    const { meter } = children;
    const readySeen = new Map<string, number>();
    const watch = await bench.watchDockerClusters(namespace, ({ object, at }) => {
      const name = object.metadata?.name as string;
      if (object.status?.ready && !readySeen.has(name)) readySeen.set(name, at);
    });
    const events = await recordContainerEvents(context.docker, namespace);
    try {
      const [created] = await applyPairs(bench, namespace, 1, 'idle');
      const object = created as Created;
      await until(
        'the idle DockerCluster to be ready',
        () => (readySeen.size === 1 ? true : undefined),
        phaseTimeoutMs,
      );
      const workflowId = workflowIdOf(refOf(object.object));
      await waitQuiet(temporal, [workflowId], 60_000);

      // ---- the window: nothing changes; only the resync timer wakes the workflow -------------------
      const lengthBefore = (await temporal.workflow.getHandle(workflowId).describe()).historyLength;
      const ownBefore = bench.own.snapshot();
      const before = await metrics.scrape();
      const dockerBefore = proxy?.calls.snapshot();
      const eventsBefore = events.events.length;
      const measurement = meter.begin();
      const w0 = Date.now();
      log(`idle: one ready DockerCluster, resync every ${resyncSeconds} s, for ${idleSeconds} s`);
      await sleep(idleSeconds * 1000);
      const quiet = await waitQuiet(temporal, [workflowId], 30_000, 1_000);
      const usage = usageOf(meter, measurement, w0);
      const after = await metrics.scrape();
      const ownAfter = bench.own.snapshot();
      const dockerAfter = proxy?.calls.snapshot();
      const lengthAfter = quiet.lengths.get(workflowId) ?? 0;
      const history = (await fetchEvents(temporal, workflowId)).slice(0, lengthAfter);
      const facts = analyze(history, lengthBefore);
      const api = apiCost(before, after, ownBefore, ownAfter);
      const resyncs = facts.timersFired;
      const per = (value: number) => (resyncs > 0 ? round(value / resyncs, 2) : Number.NaN);
      const docker = dockerAfter && dockerBefore ? diffCounts(dockerAfter, dockerBefore) : undefined;
      const containerEventActions = events.countActions(eventsBefore);
      const perResync = {
        historyEvents: per(facts.events),
        activities: per(facts.activities),
        workflowTasks: per(facts.workflowTasks),
        apiRequests: per(api.total),
        apiWrites: per(api.writes),
        api: resyncs > 0 ? scaleCounts(api.requests, 1 / resyncs) : {},
        identityRequests: per(api.identityTotal),
        identityWrites: per(api.identityWrites),
        identity: resyncs > 0 ? scaleCounts(api.identity, 1 / resyncs) : {},
        ...(docker && {
          dockerCalls: per(sumCounts(docker)),
          docker: scaleCounts(docker, 1 / Math.max(resyncs, 1)),
        }),
        containerEvents: per(sumCounts(containerEventActions)),
        containerEventActions: scaleCounts(containerEventActions, 1 / Math.max(resyncs, 1)),
        workerCpuMs: per((usage.processes.worker?.cpuSeconds ?? 0) * 1000),
        watcherCpuMs: per((usage.processes.watcher?.cpuSeconds ?? 0) * 1000),
      };
      const perHour = [resyncSeconds, defaultResyncSeconds].map((interval) => {
        const resyncsPerHour = 3600 / interval;
        return {
          resyncSeconds: interval,
          historyEvents: round(perResync.historyEvents * resyncsPerHour),
          activities: round(perResync.activities * resyncsPerHour),
          apiRequests: round(perResync.identityRequests * resyncsPerHour),
          apiWrites: round(perResync.identityWrites * resyncsPerHour),
          ...(perResync.dockerCalls !== undefined && {
            dockerCalls: round(perResync.dockerCalls * resyncsPerHour),
          }),
        };
      });
      // Leave nothing behind: the provider deletes its container and finishes its workflow (not measured).
      await bench.deleteDockerCluster(namespace, object.name).catch(() => undefined);
      const finished = await waitCompleted(temporal, [workflowId], 60_000);
      if (!finished) log('idle: the workflow did not finish within 60 s of the delete; it is terminated');
      return {
        resyncSeconds,
        windowSeconds: usage.wallSeconds,
        resyncs,
        signals: facts.signals,
        resyncMs: rounded(facts.resyncMs),
        perResync,
        api,
        perHour,
        usage,
        warnings: warningsOf(children.worker, children.watcher),
      };
    } finally {
      watch.stop();
      events.stop();
    }
  } finally {
    await children?.stop();
    await stopProxy();
    await remove();
  }
}
