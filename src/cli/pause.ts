// `pause <ns>/<name> [reason...]` and `resume <ns>/<name>`: signals to the DockerCluster's workflow, which is
// started (as the watcher would start it) when it is not running.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { refOf, workflowIdOf } from '../api/refs.js';
import { signalWithStart } from '../workflows/client.js';
import { pauseSignal, resumeSignal } from '../workflows/definitions.js';
import type { Ref } from './args.js';
import type { Context } from './context.js';

export async function pause(context: Context, ref: Ref, reason: string | undefined): Promise<void> {
  const how = await send(context, ref, pauseSignal, reason);
  const why = reason ? ` (reason: ${reason})` : '';
  context.print(`Pause requested for DockerCluster ${ref.namespace}/${ref.name}${why}. ${how}`);
}

export async function resume(context: Context, ref: Ref): Promise<void> {
  const how = await send(context, ref, resumeSignal);
  context.print(`Resume requested for DockerCluster ${ref.namespace}/${ref.name}. ${how}`);
}

/**
 * Reads the object for its uid, then signals its workflow; a workflow that is not running is started with the
 * signal, as the watcher would start it. Says which of the two happened.
 */
async function send<Args extends unknown[]>(
  context: Context,
  ref: Ref,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<string> {
  const dockerCluster = refOf(await context.dockerCluster(ref));
  const temporal = await context.temporal();
  const workflowId = workflowIdOf(dockerCluster);
  try {
    await temporal.call((client) => client.workflow.getHandle(workflowId).signal(signal, ...args));
    return `Sent to workflow ${workflowId}.`;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  const { CAPDT_TASK_QUEUE: taskQueue, CAPDT_RESYNC_SECONDS: resyncSeconds } = context.config;
  await temporal.call((client) =>
    signalWithStart(client, dockerCluster, { taskQueue, resyncSeconds }, signal, ...args),
  );
  return `Its workflow was not running: started ${workflowId} on task queue ${taskQueue}.`;
}
