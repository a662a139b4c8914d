// Delivers "changed" to a DockerCluster's workflow, starting it when it is not running. Requests for one
// workflow coalesce while a delivery is in flight, and a failed delivery is retried with backoff: no
// change is dropped because Temporal was briefly unreachable.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import pLimit from 'p-limit';
import { type DockerClusterRef, workflowIdOf } from '../api/refs.js';
import type { Logger } from '../logger.js';
import { signalWithStart } from '../workflows/client.js';
import { changedSignal } from '../workflows/definitions.js';

interface SignallerOptions {
  client: Client;
  taskQueue: string;
  resyncSeconds: number;
  logger: Logger;
  /** Backoff after a failed delivery: doubles from this up to 30 s. */
  initialBackoffMs?: number;
  /** Deliveries in flight at once (a watcher starting up on many DockerClusters queues the rest). */
  concurrency?: number;
}

export class Signaller {
  /** Per workflow: what to deliver next, and whether a delivery is wanted after the one in flight. */
  private readonly pending = new Map<string, { ref: DockerClusterRef; start: boolean; again: boolean }>();
  private stopped = false;
  private readonly inFlight: ReturnType<typeof pLimit>;

  constructor(private readonly options: SignallerOptions) {
    this.inFlight = pLimit(options.concurrency ?? 8);
  }

  /** Reconcile now; start the workflow if it is not running (unless the object is gone: start = false). */
  request(ref: DockerClusterRef, start = true): void {
    const workflowId = workflowIdOf(ref);
    const current = this.pending.get(workflowId);
    if (current) {
      current.again = true;
      current.start ||= start;
      return;
    }
    this.pending.set(workflowId, { ref, start, again: false });
    void this.deliver(workflowId);
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(workflowId: string): Promise<void> {
    let backoff = this.options.initialBackoffMs ?? 500;
    for (;;) {
      const entry = this.pending.get(workflowId);
      if (!entry || this.stopped) {
        this.pending.delete(workflowId);
        return;
      }
      entry.again = false;
      try {
        await this.inFlight(() => this.send(workflowId, entry.ref, entry.start));
        if (!entry.again) {
          this.pending.delete(workflowId);
          return;
        }
      } catch (error) {
        this.options.logger.warn(
          {
            workflowId,
            namespace: entry.ref.namespace,
            name: entry.ref.name,
            err: error,
            retryInMs: backoff,
          },
          'could not signal the reconcile workflow; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 30_000);
        entry.again = true;
      }
    }
  }

  private async send(workflowId: string, ref: DockerClusterRef, start: boolean): Promise<void> {
    const { client, taskQueue, resyncSeconds, logger } = this.options;
    if (!start) {
      try {
        await client.workflow.getHandle(workflowId).signal(changedSignal);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      return;
    }
    try {
      await signalWithStart(client, ref, { taskQueue, resyncSeconds }, changedSignal);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      logger.debug({ workflowId }, 'the reconcile workflow has completed; not started again');
      return;
    }
    logger.debug({ workflowId, namespace: ref.namespace, name: ref.name }, 'signalled reconcile workflow');
  }
}
