// Log lines: for a person at a terminal, pretty coloured lines; for everything else (files, pipes, log
// collectors), JSON lines. Every line about an object carries its namespace, name and workflow id.
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { type LogFormat, logFormats } from './config.js';

// Synchronous writes to stdout, as pino's own default: a line logged just before an exit is not lost.
const stdout = pino.destination({ dest: 1, sync: true });
const pretty = prettyFactory({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,component' });
let prettyLines = false;

/** 'auto' is pretty when stdout is a terminal. */
export function setLogFormat(format: LogFormat): void {
  prettyLines = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
}

// Until the configuration is loaded (and validated), the environment's setting as it is.
setLogFormat(logFormats.find((format) => format === process.env.LOG_FORMAT) ?? 'auto');

export const logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { component: 'capd-temporal' } },
  { write: (line: string) => stdout.write(prettyLines ? pretty(line) : line) },
);
export type Logger = typeof logger;

const pinoLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK warns of it at the start of the worker of an engine's task queue, which runs activities only. */
const noWorkflowsOnEngineQueue = 'No workflows registered, not polling for workflow tasks';

/** Routes the Temporal SDK's logs (worker, workflows with their ids, activities) into the same log. */
export function routeTemporalLogs(): void {
  const level = (logger.level === 'fatal' ? 'ERROR' : logger.level.toUpperCase()) as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const pinoLevel = entry.message === noWorkflowsOnEngineQueue ? 'debug' : pinoLevels[entry.level];
      logger[pinoLevel]({ ...entry.meta }, entry.message);
    }),
  });
}
