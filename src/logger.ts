// Structured JSON logs; every line about an object carries its namespace, name and workflow id.
import { pino } from 'pino';

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'capd-temporal' } });
export type Logger = typeof logger;
