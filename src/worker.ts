// The Temporal worker: runs the reconcile workflows and their activities against the real clients.
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { dockerFrom, kubeConfigFrom, workerConnectionFrom } from './clients.js';
import type { Config } from './config.js';

export const workflowsPath = fileURLToPath(import.meta.resolve('./workflows/index.js'));

export async function createWorker(config: Config): Promise<Worker> {
  return await Worker.create({
    connection: await workerConnectionFrom(config),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.CAPDT_TASK_QUEUE,
    workflowsPath,
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
