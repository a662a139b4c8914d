// The Temporal worker: runs the reconcile workflows and their activities against the real clients.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { dockerFrom, kubeConfigFrom, temporalConnectionOptions } from './clients.js';
import type { Config } from './config.js';
import { activityTimer, metricSinks } from './observability/metrics.js';

export const workflowsPath = fileURLToPath(import.meta.resolve('./workflows/index.js'));

export async function createWorker(config: Config): Promise<Worker> {
  return await Worker.create({
    connection: await NativeConnection.connect(temporalConnectionOptions(config)),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.CAPDT_TASK_QUEUE,
    workflowsPath,
    sinks: metricSinks,
    interceptors: { activity: [(context) => ({ inbound: activityTimer(context.info.activityType) })] },
    activities: createActivities({
      kubeConfig: kubeConfigFrom(config),
      docker: dockerFrom(),
      dockerSettings: {
        defaultImage: config.CAPDT_LB_IMAGE,
        network: config.CAPDT_NETWORK,
        hostIp: config.CAPDT_HOST_IP,
      },
    }),
  });
}
