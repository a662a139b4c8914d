// While a worker runs, it renews a Lease that names its Docker engine: the fleet's record of which engines have a
// worker. A worker that stops deletes its Lease; one that dies stops renewing it, and it lapses.
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Fleet, workerLeaseEngineLabel, workerLeaseTaskQueueAnnotation } from './api/engines.js';
import { isApiError, mergePatch } from './clients.js';

/** A worker's Lease lapses this long after its last renewal; it renews three times as often. */
const workerLeaseSeconds = 15;

export interface WorkerLeaseOptions {
  kubeConfig: k8s.KubeConfig;
  fleet: Fleet;
  engine: string;
  identity: string;
  logger: Logger;
}

/** Holds the worker's Lease until the returned stop is called; resolves once it is written the first time. */
export async function holdWorkerLease(options: WorkerLeaseOptions): Promise<() => Promise<void>> {
  const { kubeConfig, fleet, engine, identity, logger } = options;
  const leases = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const namespace = fleet.leaseNamespace;
  const digest = createHash('sha256').update(`${fleet.taskQueue}/${engine}/${identity}`).digest('hex');
  const name = `capd-temporal-worker-${digest.slice(0, 16)}`;

  async function renew(): Promise<void> {
    const spec = { renewTime: new k8s.V1MicroTime(), leaseDurationSeconds: workerLeaseSeconds };
    try {
      await leases.patchNamespacedLease({ namespace, name, body: { spec } }, mergePatch);
    } catch (error) {
      if (!isApiError(error, 404)) throw error;
      await leases.createNamespacedLease({
        namespace,
        body: {
          metadata: {
            name,
            labels: { [workerLeaseEngineLabel]: engine },
            annotations: { [workerLeaseTaskQueueAnnotation]: fleet.taskQueue },
          },
          spec: { ...spec, holderIdentity: identity },
        },
      });
    }
  }

  await renew();
  const timer = setInterval(
    () => {
      renew().catch((error) =>
        logger.warn({ err: error, lease: `${namespace}/${name}` }, "renewing the worker's Lease failed"),
      );
    },
    (workerLeaseSeconds * 1_000) / 3,
  );
  return async () => {
    clearInterval(timer);
    await leases.deleteNamespacedLease({ namespace, name }).catch((error) => {
      if (!isApiError(error, 404)) logger.warn({ err: error }, "deleting the worker's Lease failed");
    });
  };
}
