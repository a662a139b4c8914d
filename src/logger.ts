// Structured JSON logs; every line about an object carries its namespace, name and workflow id.
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { pino } from 'pino';

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'capd-temporal' } });
export type Logger = typeof logger;

const pinoLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the Temporal SDK's logs (worker, workflows with their ids, activities) into the same JSON log. */
export function routeTemporalLogs(): void {
  const level = (logger.level === 'fatal' ? 'ERROR' : logger.level.toUpperCase()) as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) =>
      logger[pinoLevels[entry.level]]({ ...entry.meta }, entry.message),
    ),
  });
}
