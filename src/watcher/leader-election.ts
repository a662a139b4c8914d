// Leader election on a coordination.k8s.io Lease, so that of several watchers only one watches and signals.
// The lease is written with its resourceVersion, so two candidates can never both take it.
import * as k8s from '@kubernetes/client-node';
import { isApiError } from '../clients.js';
import type { Logger } from '../logger.js';

interface LeaderElectionOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  /** How long a lease holds without renewal. */
  leaseSeconds?: number;
  /** How often the leader renews, and a candidate tries. */
  retryMs?: number;
}

export interface LeaderElection {
  isLeader(): boolean;
  /** Stops leading (giving the lease up at once) or trying. */
  stop(): Promise<void>;
}

/**
 * Runs `lead` while this process holds the lease; `lead` returns the function that stops what it started,
 * which is called when the lease is lost or on stop().
 */
export function electLeader(
  options: LeaderElectionOptions,
  lead: () => Promise<() => Promise<void>>,
): LeaderElection {
  const { namespace, name, identity, logger } = options;
  const leaseSeconds = options.leaseSeconds ?? 15;
  const retryMs = options.retryMs ?? 2_000;
  const leases = options.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  let stopLeading: (() => Promise<void>) | undefined;
  let lastRenewal = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();

  function held(lease: k8s.V1Lease, now: number): boolean {
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    return (
      Boolean(lease.spec?.holderIdentity) &&
      now - renewed < (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000
    );
  }

  /** One attempt to acquire or renew; true when this process holds the lease afterwards. */
  async function tryToHold(): Promise<boolean> {
    const now = new k8s.V1MicroTime();
    let lease: k8s.V1Lease;
    try {
      lease = await leases.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isApiError(error, 404)) throw error;
      await leases.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: leaseSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
      });
      return true;
    }
    const mine = lease.spec?.holderIdentity === identity;
    if (!mine && held(lease, now.getTime())) return false;
    const spec = lease.spec ?? {};
    await leases.replaceNamespacedLease({
      namespace,
      name,
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: leaseSeconds,
          renewTime: now,
          ...(!mine && { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
        },
      },
    });
    return true;
  }

  async function step(): Promise<void> {
    let holding: boolean;
    try {
      holding = await tryToHold();
      if (holding) lastRenewal = Date.now();
    } catch (error) {
      // A conflict means another candidate wrote first; anything else, the API server is unreachable.
      if (!isApiError(error, 409))
        logger.warn({ err: error, lease: `${namespace}/${name}` }, 'lease update failed');
      holding = Boolean(stopLeading) && Date.now() - lastRenewal < leaseSeconds * 1000 * 0.8;
    }
    if (holding && !stopLeading && !stopped) {
      logger.info({ lease: `${namespace}/${name}`, identity }, 'became the leader');
      stopLeading = await lead();
    } else if (!holding && stopLeading) {
      logger.warn({ lease: `${namespace}/${name}`, identity }, 'lost the lease; stopping');
      await stopLeading();
      stopLeading = undefined;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      tick = step().finally(schedule);
    }, retryMs);
  }

  tick = step().finally(schedule);

  return {
    isLeader: () => Boolean(stopLeading),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tick.catch(() => undefined);
      if (!stopLeading) return;
      await stopLeading();
      stopLeading = undefined;
      // Give the lease up so that another watcher takes over without waiting for it to expire.
      try {
        const lease = await leases.readNamespacedLease({ namespace, name });
        if (lease.spec?.holderIdentity === identity) {
          await leases.replaceNamespacedLease({
            namespace,
            name,
            body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 } },
          });
        }
      } catch (error) {
        logger.warn({ err: error }, 'could not release the lease');
      }
    },
  };
}
