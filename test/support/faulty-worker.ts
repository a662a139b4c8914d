// The provider's worker with one injected crash, for the reliability suite: it SIGKILLs itself once, at the
// point CAPDT_TEST_CRASH_AT names ("<activity>:before" or "<activity>:after" its side effects), the first
// time that activity runs. The marker file makes the restarted worker run normally.
import { existsSync, writeFileSync } from 'node:fs';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { loadConfig } from '../../src/config.js';
import { logger, routeTemporalLogs } from '../../src/logger.js';
import { runWorkers } from '../../src/worker.js';

const [activity, when] = (process.env.CAPDT_TEST_CRASH_AT ?? '').split(':');
const marker = process.env.CAPDT_TEST_CRASH_MARKER;

function crash(point: string): void {
  if (!marker || existsSync(marker)) return;
  writeFileSync(marker, point);
  logger.warn({ point }, 'crashing on purpose');
  process.kill(process.pid, 'SIGKILL');
}

const crashOnce = (type: string): ActivityInboundCallsInterceptor => ({
  async execute(input, next) {
    if (type === activity && when === 'before') crash(`${type}:before`);
    const result = await next(input);
    if (type === activity && when === 'after') crash(`${type}:after`);
    return result;
  },
});

const config = loadConfig(process.env, process.argv.slice(2));
logger.level = config.LOG_LEVEL;
routeTemporalLogs();
const workers = await runWorkers(config, logger, [
  (context) => ({ inbound: crashOnce(context.info.activityType) }),
]);
logger.info({ taskQueue: config.CAPDT_TASK_QUEUE }, 'worker running');
await workers.finished;
