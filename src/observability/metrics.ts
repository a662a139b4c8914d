// Prometheus metrics of the provider, served with the health endpoints by server.ts.
import type { ActivityInboundCallsInterceptor, InjectedSinks } from '@temporalio/worker';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileSinks } from '../workflows/definitions.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'capdt_process_' });

const reconciles = new Counter({
  name: 'capdt_reconciles_total',
  help: 'Reconciles of DockerClusters, by outcome (the phase reached, or failed).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const activityDuration = new Histogram({
  name: 'capdt_activity_duration_seconds',
  help: 'Duration of activity attempts, by activity and result.',
  labelNames: ['activity', 'result'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const workflowsRunning = new Gauge({
  name: 'capdt_workflows_running',
  help: 'Reconcile workflows running, as Temporal visibility counts them.',
  registers: [registry],
});

export const watchRestarts = new Counter({
  name: 'capdt_watch_restarts_total',
  help: 'Times the watcher restarted a list/watch after an error.',
  registers: [registry],
});

/** Workflows report each reconcile's outcome through this sink, which is not called again on replay. */
export const metricSinks: InjectedSinks<ReconcileSinks> = {
  metrics: {
    reconciled: { fn: (_info, outcome) => reconciles.inc({ outcome }), callDuringReplay: false },
  },
};

/** Times every activity attempt. */
export function activityTimer(activity: string): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      const stop = activityDuration.startTimer({ activity });
      try {
        const result = await next(input);
        stop({ result: 'completed' });
        return result;
      } catch (error) {
        stop({ result: 'failed' });
        throw error;
      }
    },
  };
}
