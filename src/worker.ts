// The Temporal workers of one process: one runs the reconcile workflows and their Kubernetes calls on the shared
// task queue, the other the Docker calls of the load balancers on the engine beside it, on that engine's own task
// queue (src/api/engines.ts); both over one connection, against the real clients.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Context } from '@temporalio/activity';
import {
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  NativeConnection,
  Worker,
} from '@temporalio/worker';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import { createActivities } from './activities/index.js';
import { engineTaskQueue } from './api/engines.js';
import { workflowBundlePath } from './build-outputs.js';
import { kubeConfigFrom, temporalConnectionOptions } from './clients.js';
import { type Config, ConfigError, fleetOf } from './config.js';
import { holdWorkerLease } from './engine-lease.js';
import { activityTimer, metricSinks } from './observability/metrics.js';

/**
 * How long a Docker request may go without an answer. Every call of the activities is short, but an engine
 * creating fifty containers at once on two cores answers some after 20 s and more (10 s here made creates time
 * out, and the retries thrash); an unanswered request is still given up within a minute, not five.
 */
const dockerRequestTimeoutMs = 60_000;

/** Often enough for the workflow's heartbeat timeout (10 s); the SDK throttles what it sends. */
const heartbeatEveryMs = 2_000;

/**
 * Heartbeats while an activity runs, so that a worker that died is noticed within the heartbeat timeout.
 * Local activities have no heartbeats: the workflow task they run in times out instead.
 */
function heartbeatWhileRunning(context: Context): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      if (context.info.isLocal) return await next(input);
      const timer = setInterval(() => context.heartbeat(), heartbeatEveryMs);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  };
}

/** The workers; `activityInterceptors` come after the provider's own (the reliability suite adds faults). */
async function createWorkers(
  config: Config,
  activityInterceptors: ActivityInterceptorsFactory[] = [],
): Promise<Worker[]> {
  if (!existsSync(workflowBundlePath)) {
    throw new ConfigError(`the workflow bundle ${workflowBundlePath} is missing: run npm run build`);
  }
  const activities = createActivities({
    kubeConfig: kubeConfigFrom(config),
    managedScope: {
      ...(config.CAPDT_WATCH_NAMESPACE && { namespace: config.CAPDT_WATCH_NAMESPACE }),
      ...(config.CAPDT_WATCH_FILTER && { watchFilter: config.CAPDT_WATCH_FILTER }),
    },
    fleet: fleetOf(config),
    // dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) itself. A request the engine leaves
    // unanswered (seen while it removes the container) fails after a while and is retried, instead of holding the
    // activity, whose heartbeats keep it alive, until its start-to-close timeout.
    docker: new Docker({ timeout: dockerRequestTimeoutMs }),
    engine: config.CAPDT_ENGINE,
    dockerSettings: {
      defaultImage: config.CAPDT_LB_IMAGE,
      network: config.CAPDT_NETWORK,
      subnet: config.CAPDT_NETWORK_SUBNET,
      ...(config.CAPDT_NETWORK_SUBNET_V6 && { subnetV6: config.CAPDT_NETWORK_SUBNET_V6 }),
      hostIp: config.CAPDT_HOST_IP,
    },
  });
  const shared = {
    connection: await NativeConnection.connect(temporalConnectionOptions(config)),
    namespace: config.TEMPORAL_NAMESPACE,
    interceptors: {
      activity: [
        (context) => ({ inbound: activityTimer(context.info.activityType) }),
        (context) => ({ inbound: heartbeatWhileRunning(context) }),
        ...activityInterceptors,
      ] satisfies ActivityInterceptorsFactory[],
    },
  };
  return await Promise.all([
    // All activities stay registered here too: a workflow that started before engines had task queues finishes
    // the pass it is in as it began it (docs/DEVELOPING.md, "Changing the workflow").
    Worker.create({
      ...shared,
      taskQueue: config.CAPDT_TASK_QUEUE,
      workflowBundle: { codePath: workflowBundlePath },
      maxCachedWorkflows: config.CAPDT_MAX_CACHED_WORKFLOWS,
      sinks: metricSinks,
      activities,
    }),
    Worker.create({
      ...shared,
      taskQueue: engineTaskQueue(config.CAPDT_TASK_QUEUE, config.CAPDT_ENGINE),
      activities,
    }),
  ]);
}

export interface RunningWorkers {
  ready(): boolean;
  /** Resolves when both workers have stopped (on stop(), or by themselves on SIGINT/SIGTERM). */
  finished: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the workers and holds the Lease that tells the fleet their engine has a worker: taken once they poll,
 * deleted when they stop, so that a stopped engine is noticed at once (a killed one when the Lease lapses).
 */
export async function runWorkers(
  config: Config,
  logger: Logger,
  activityInterceptors: ActivityInterceptorsFactory[] = [],
): Promise<RunningWorkers> {
  const workers = await createWorkers(config, activityInterceptors);
  const finished = Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
  const releaseLease = await holdWorkerLease({
    kubeConfig: kubeConfigFrom(config),
    fleet: fleetOf(config),
    engine: config.CAPDT_ENGINE,
    identity: `${hostname()}-${process.pid}`,
    logger,
  });
  return {
    ready: () => workers.every((worker) => worker.getState() === 'RUNNING'),
    finished,
    async stop() {
      await releaseLease();
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await finished;
    },
  };
}
