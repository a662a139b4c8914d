// Drift from Docker's events: a load balancer that dies, is stopped, killed or removed, or is disconnected from the
// provider's network is reconciled at once, instead of at the next resync. The worker follows the engine it drives.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { ownerNameLabel, ownerNamespaceLabel, ownerUidLabel } from '../activities/load-balancer.js';
import type { DockerClusterRef } from '../api/refs.js';
import type { Logger } from '../logger.js';

/**
 * What happens to a container that stops serving. Not `kill`: the provider's own reloads send SIGHUP, and a
 * signal that does kill the container is followed by `die`.
 */
const containerEvents = ['die', 'stop', 'destroy', 'oom'];

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time: number;
}

export interface DockerEventsOptions {
  docker: Docker;
  /** The provider's network: a load balancer disconnected from it no longer serves. */
  network: string;
  logger: Logger;
  /** Asks the DockerCluster's workflow for a pass (it is not started when it is not running). */
  changed: (ref: DockerClusterRef) => void;
  /** Backoff before the stream is opened again after it was lost: doubles from this up to 30 s. */
  initialBackoffMs?: number;
}

/** The DockerCluster a container serves, from its labels; undefined for a container that is not ours. */
function ownerOf(labels: Record<string, string> | undefined): DockerClusterRef | undefined {
  const uid = labels?.[ownerUidLabel];
  const namespace = labels?.[ownerNamespaceLabel];
  const name = labels?.[ownerNameLabel];
  return uid && namespace && name ? { namespace, name, uid } : undefined;
}

/**
 * Follows the engine's events until stopped. A lost stream is opened again with backoff, from the time of the last
 * event seen (the engine replays what it still has), and every load balancer's DockerCluster then gets one pass:
 * an engine that restarted meanwhile has forgotten its events.
 */
export function followDockerEvents(options: DockerEventsOptions): { stop(): void } {
  const { docker, network, logger, changed } = options;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  let stopped = false;
  let stream: Readable | undefined;
  let since: number | undefined;

  async function ownerOfContainer(id: string): Promise<DockerClusterRef | undefined> {
    try {
      return ownerOf((await docker.getContainer(id).inspect()).Config.Labels);
    } catch {
      // Gone: its destroy event says so.
      return undefined;
    }
  }

  async function handle(event: DockerEvent): Promise<void> {
    const attributes = event.Actor.Attributes;
    const ref =
      event.Type === 'container'
        ? ownerOf(attributes)
        : attributes?.name === network && attributes.container
          ? await ownerOfContainer(attributes.container)
          : undefined;
    if (ref) changed(ref);
  }

  async function passForEveryLoadBalancer(): Promise<void> {
    const containers = await docker.listContainers({ all: true, filters: { label: [ownerUidLabel] } });
    for (const container of containers) {
      const ref = ownerOf(container.Labels);
      if (ref) changed(ref);
    }
  }

  async function follow(): Promise<void> {
    let backoff = initialBackoffMs;
    while (!stopped) {
      try {
        stream = (await docker.getEvents({
          ...(since !== undefined && { since }),
          filters: { type: ['container', 'network'], event: [...containerEvents, 'disconnect'] },
        })) as unknown as Readable;
        if (since !== undefined) await passForEveryLoadBalancer();
        logger.info({ network }, 'following Docker events of the load balancers');
        for await (const line of createInterface({ input: stream })) {
          backoff = initialBackoffMs;
          const event = JSON.parse(line) as DockerEvent;
          since = event.time;
          await handle(event);
        }
      } catch (error) {
        if (!stopped) logger.warn({ err: error }, 'the Docker event stream failed');
      }
      if (stopped) return;
      since ??= Math.floor(Date.now() / 1000);
      logger.warn({ retryInMs: backoff }, 'the Docker event stream ended; opening it again');
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }

  void follow();
  return {
    stop() {
      stopped = true;
      stream?.destroy();
    },
  };
}
