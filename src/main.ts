// The provider's entry point: `main.ts [worker|watcher|all] [--flag value ...]` runs the worker, the
// watcher, or both, with the metrics and health endpoint.
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import { kubeConfigFrom, temporalClientFrom } from './clients.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { logger, routeTemporalLogs, setLogFormat } from './logger.js';
import { watchRestarts, workflowsRunning } from './observability/metrics.js';
import { type ReadinessCheck, startHealthServer } from './observability/server.js';
import { followDockerEvents } from './watcher/docker-events.js';
import { electLeader } from './watcher/leader-election.js';
import { Signaller } from './watcher/signaller.js';
import { startConfiguredWatcher } from './watcher/watcher.js';
import { runWorkers } from './worker.js';
import { reconcileWorkflowType } from './workflows/definitions.js';

const components = ['worker', 'watcher', 'all'] as const;
type Component = (typeof components)[number];
type Stop = () => Promise<void>;

/** Keeps capdt_workflows_running current from Temporal's visibility store. */
function countRunningWorkflows(client: Client, config: Config): Stop {
  const query = `WorkflowType = '${reconcileWorkflowType}' AND ExecutionStatus = 'Running' AND TaskQueue = '${config.CAPDT_TASK_QUEUE}'`;
  const timer = setInterval(() => {
    client.workflow.count(query).then(
      ({ count }) => workflowsRunning.set(count),
      (error) => logger.debug({ err: error }, 'counting workflows failed'),
    );
  }, 15_000);
  return async () => clearInterval(timer);
}

async function runWatcher(config: Config, client: Client, ready: ReadinessCheck[]): Promise<Stop> {
  const kubeConfig = kubeConfigFrom(config);
  const stopCounting = countRunningWorkflows(client, config);
  let started = false;
  const watch = async (): Promise<Stop> => {
    const watcher = startConfiguredWatcher(config, {
      kubeConfig,
      client,
      logger,
      onRestart: () => watchRestarts.inc(),
    });
    await watcher.started;
    started = true;
    return async () => {
      started = false;
      await watcher.stop();
    };
  };

  let stopWatching: Stop;
  if (config.CAPDT_LEADER_ELECTION) {
    const election = electLeader(
      {
        kubeConfig,
        namespace: config.CAPDT_LEASE_NAMESPACE,
        name: `capd-temporal-watcher-${config.CAPDT_TASK_QUEUE}`,
        identity: `${hostname()}-${process.pid}`,
        logger,
      },
      watch,
    );
    // A standby watcher is ready too: it is doing its job, which is to wait.
    ready.push(() => !election.isLeader() || started);
    stopWatching = () => election.stop();
  } else {
    stopWatching = await watch();
    ready.push(() => started);
  }
  return async () => {
    await stopWatching();
    await stopCounting();
  };
}

/**
 * The worker follows the Docker events of the engine it drives: a load balancer stopped, killed or removed is
 * reconciled at once, not at the next resync. Its DockerCluster's workflow is signalled, never started.
 */
function followLoadBalancerDrift(config: Config, client: Client): Stop {
  const signaller = new Signaller({
    client,
    taskQueue: config.CAPDT_TASK_QUEUE,
    resyncSeconds: config.CAPDT_RESYNC_SECONDS,
    logger,
  });
  const follower = followDockerEvents({
    docker: new Docker(),
    network: config.CAPDT_NETWORK,
    logger,
    changed: (ref) => signaller.request(ref, false),
  });
  return async () => {
    follower.stop();
    signaller.stop();
  };
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const config = loadConfig(process.env, args);
  logger.level = config.LOG_LEVEL;
  setLogFormat(config.LOG_FORMAT);
  const component = (args[0] && !args[0].startsWith('--') ? args[0] : 'all') as Component;
  if (!components.includes(component)) {
    throw new ConfigError(`unknown component '${component}': use one of ${components.join(', ')}`);
  }
  routeTemporalLogs();

  const ready: ReadinessCheck[] = [];
  const running: Promise<void>[] = [];
  const signalled = untilSignalled();
  // One client for the drift follower and the watcher (in `all`, one connection to Temporal besides the workers').
  const client = await temporalClientFrom(config);
  const startWorkers = async () => {
    // The workers stop by themselves on SIGINT/SIGTERM too, finishing the tasks they have.
    const workers = await runWorkers(config, logger);
    ready.push(workers.ready);
    running.push(workers.finished, signalled.then(workers.stop));
    running.push(signalled.then(followLoadBalancerDrift(config, client)));
    logger.info(
      { taskQueue: config.CAPDT_TASK_QUEUE, engine: config.CAPDT_ENGINE, temporal: config.TEMPORAL_ADDRESS },
      'worker running',
    );
  };
  const startWatcher = async () => {
    running.push(signalled.then(await runWatcher(config, client, ready)));
  };
  // In `all` both start at once: the start-up takes the longer of the two, not their sum.
  await Promise.all([component !== 'watcher' && startWorkers(), component !== 'worker' && startWatcher()]);
  const server = await startHealthServer(config.CAPDT_HTTP_PORT, config.CAPDT_HTTP_HOST, ready);
  const address = server.address();
  logger.info(
    { http: typeof address === 'object' && address ? `${address.address}:${address.port}` : address },
    'serving /metrics, /healthz, /readyz',
  );
  running.push(signalled.then(() => new Promise<void>((resolve) => server.close(() => resolve()))));
  await Promise.all(running);
  await client.connection.close();
  logger.info('stopped');
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    logger.fatal(error.message);
    process.exit(2);
  }
  logger.fatal({ err: error }, 'capd-temporal failed');
  process.exit(1);
});
