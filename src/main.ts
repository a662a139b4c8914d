// The provider's entry point: `main.ts [worker|watcher|all]` runs the worker, the watcher, or both.
import { kubeConfigFrom, temporalClientFrom } from './clients.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { logger } from './logger.js';
import { Signaller } from './watcher/signaller.js';
import { startWatcher } from './watcher/watcher.js';
import { createWorker } from './worker.js';

const components = ['worker', 'watcher', 'all'] as const;
type Component = (typeof components)[number];

async function runWatcher(config: Config): Promise<() => Promise<void>> {
  const client = await temporalClientFrom(config);
  const watcher = startWatcher({
    kubeConfig: kubeConfigFrom(config),
    signaller: new Signaller({
      client,
      taskQueue: config.CAPDT_TASK_QUEUE,
      resyncSeconds: config.CAPDT_RESYNC_SECONDS,
      logger,
    }),
    logger,
    ...(config.CAPDT_WATCH_NAMESPACE && { namespace: config.CAPDT_WATCH_NAMESPACE }),
    ...(config.CAPDT_WATCH_FILTER && { watchFilter: config.CAPDT_WATCH_FILTER }),
  });
  await watcher.started;
  return async () => {
    await watcher.stop();
    await client.connection.close();
  };
}

async function main(): Promise<void> {
  const component = (process.argv[2] ?? 'all') as Component;
  if (!components.includes(component)) {
    throw new ConfigError(`unknown component '${process.argv[2]}': use one of ${components.join(', ')}`);
  }
  const config = loadConfig();
  const running: Promise<void>[] = [];
  if (component !== 'watcher') {
    // The worker stops by itself on SIGINT/SIGTERM, finishing the tasks it has.
    const worker = await createWorker(config);
    running.push(worker.run());
    logger.info({ taskQueue: config.CAPDT_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  }
  if (component !== 'worker') {
    const stopWatcher = await runWatcher(config);
    const stopped = new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    running.push(stopped.then(stopWatcher));
  }
  await Promise.all(running);
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
