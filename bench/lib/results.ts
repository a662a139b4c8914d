// What one benchmark run measured; written as JSON and rendered as Markdown tables by report.ts.
import { providerRules } from '../../src/api/rbac.js';
import { requestKey, type Scrape } from './apiserver.js';
import type { CriticalPath } from './history.js';
import type { Machine } from './machine.js';
import type { Usage } from './processes.js';
import { type Counts, diffCounts, type Summary, sortCounts, sumCounts } from './stats.js';

export interface Latency {
  /** Per object, in milliseconds. */
  perObject: Summary;
  /** From the start of the phase until the last object was done, in milliseconds. */
  allMs: number;
}

/** Requests the API server counted in a phase that were not the benchmark's own. */
export interface ApiCost {
  /**
   * apiserver_request_total after − before, minus what the benchmark sent, on the verbs and resources the
   * provider's ClusterRole allows (leases left out: leader election is off, and the API server renews its
   * own): "VERB resource" → requests. Other clients of the shared stack can add to these.
   */
  requests: Counts;
  total: number;
  writes: number;
  /** What the benchmark itself sent in the phase and was subtracted. */
  subtracted: Counts;
  /** Requests on other verbs and resources in the phase (the API server's own loops, other clients). */
  unattributed: number;
  /** The provider identity's requests, counted by its own FlowSchemas: exactly the provider's. */
  identity: Counts;
  identityTotal: number;
  identityWrites: number;
  identityRejected: number;
  /** Both counts agree on every key but WATCH (which apiserver_request_total counts when a watch ends). */
  agrees: boolean;
}

export type PhaseUsage = { wallSeconds: number; processes: Record<string, Usage> };

export interface FloorResult {
  n: number;
  /** t0 → a watch saw status.ready=true (the provider is measured the same way). */
  latency: Latency;
  /** t0 → the status patch returned. */
  patched: Latency;
  /** Mean milliseconds of each step per object. */
  steps: { create: number; writeConfig: number; start: number; inspect: number; patchStatus: number };
  api: ApiCost;
  containerEventsPerObject: Counts;
  usage: PhaseUsage;
}

export interface ActivityCost {
  /** A local activity: it runs inside a workflow task, so it has no queue or run time of its own. */
  local: boolean;
  callsPerCreate: number;
  queueMs: number;
  runMs: number;
}

/** The parts of the critical path, as means per create. */
export interface WhereTimeGoes extends Omit<CriticalPath, 'totalMs' | 'activities'> {
  /** DockerCluster created (API response) → WorkflowExecutionStarted: informer event + signalWithStart. */
  watcherMs: Summary;
  /** WorkflowExecutionStarted → "Mark ready" completed. */
  workflowMs: number;
  /** "Mark ready" completed in history → the benchmark's watch saw ready (negative: seen before recorded). */
  readyToSeenMs: Summary;
  byActivity: Record<string, ActivityCost>;
}

export interface ProviderResult {
  n: number;
  namespace: string;
  taskQueue: string;
  startupMs: { worker: number; watcher: number };
  /** The warm-up: the first DockerClusters after the provider started, created one by one, not counted. */
  warmUpMs: number[];
  /** Each DockerCluster's create request returned → the watch saw status.ready=true. */
  create: Latency;
  /** The same from the create request being sent. */
  createFromSent: Summary;
  settled: boolean;
  settleMs: number;
  history: {
    eventsToReady: Summary;
    activitiesToReady: Summary;
    eventsUntilQuiet: Summary;
    activitiesUntilQuiet: Summary;
    reconcilesUntilQuiet: Summary;
    signalsUntilQuiet: Summary;
    failedActivityAttempts: number;
  };
  where: WhereTimeGoes;
  apiCreate: ApiCost;
  containerEventsPerCreate: Counts;
  /** Delete request returned → object gone and its container destroyed. */
  delete: Latency;
  deleteHistory: { events: Summary; activities: Summary };
  apiDelete: ApiCost;
  containerEventsPerDelete: Counts;
  usage: { startup: PhaseUsage; create: PhaseUsage; settle: PhaseUsage; delete: PhaseUsage };
  warnings: { component: string; msg: string; count: number }[];
}

export interface SizeResult {
  n: number;
  floor?: FloorResult;
  provider?: ProviderResult;
  ratio?: { allReady: number; p50: number };
  errors: string[];
}

export interface IdleResult {
  resyncSeconds: number;
  windowSeconds: number;
  resyncs: number;
  signals: number;
  /** How long one resync's reconcile took: timer fired → next timer started (ms). */
  resyncMs: Summary;
  perResync: {
    historyEvents: number;
    activities: number;
    workflowTasks: number;
    /** apiserver_request_total − the benchmark's own, on the provider's verbs and resources. */
    apiRequests: number;
    apiWrites: number;
    api: Counts;
    /** The provider identity's FlowSchemas: exactly the provider's requests. */
    identityRequests: number;
    identityWrites: number;
    identity: Counts;
    dockerCalls?: number;
    docker?: Counts;
    containerEvents: number;
    containerEventActions: Counts;
    workerCpuMs: number;
    watcherCpuMs: number;
  };
  api: ApiCost;
  /**
   * Per idle DockerCluster per hour, at the measured resync interval and at the provider's default; API
   * requests from the provider identity's FlowSchemas.
   */
  perHour: {
    resyncSeconds: number;
    historyEvents: number;
    activities: number;
    apiRequests: number;
    apiWrites: number;
    dockerCalls?: number;
  }[];
  usage: PhaseUsage;
  warnings: { component: string; msg: string; count: number }[];
  error?: string;
}

export interface BenchResult {
  machine: Machine;
  args: Record<string, unknown>;
  identity: string;
  network: string;
  image: string;
  finishedAt?: string;
  sizes: SizeResult[];
  idle?: IdleResult;
}

const writeVerbs = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY']);
export const isWrite = (key: string) => writeVerbs.has(key.split(' ')[0] ?? '');
const isWatch = (key: string) => key.startsWith('WATCH ');

/** The requests the provider may make, as apiserver_request_total keys (leader election off: no leases). */
const attributable = new Set(
  providerRules
    .filter((rule) => !rule.resources.includes('leases'))
    .flatMap((rule) =>
      rule.resources.flatMap((resource) => rule.verbs.map((verb) => requestKey(verb, resource))),
    ),
);

export function apiCost(before: Scrape, after: Scrape, ownBefore: Counts, ownAfter: Counts): ApiCost {
  const all = diffCounts(after.requests, before.requests);
  const own = diffCounts(ownAfter, ownBefore);
  const requests: Counts = {};
  let unattributed = 0;
  for (const [key, value] of Object.entries(all)) {
    const rest = value - (own[key] ?? 0);
    if (rest === 0) continue;
    if (attributable.has(key)) requests[key] = rest;
    else unattributed += rest;
  }
  const identity = diffCounts(after.identity, before.identity);
  const keys = new Set([...Object.keys(requests), ...Object.keys(identity)]);
  return {
    requests: sortCounts(requests),
    total: sumCounts(requests),
    writes: sumCounts(requests, isWrite),
    subtracted: own,
    unattributed,
    identity,
    identityTotal: sumCounts(identity),
    identityWrites: sumCounts(identity, isWrite),
    identityRejected: after.identityRejected - before.identityRejected,
    agrees: [...keys].every((key) => isWatch(key) || (requests[key] ?? 0) === (identity[key] ?? 0)),
  };
}
