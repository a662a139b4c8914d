// `pause <ns>/<name> [reason...]` and `resume <ns>/<name>`: signals to the DockerCluster's workflow, which is
// started (as the watcher would start it) when it is not running.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { refOf } from '../watcher/changes.js';
import { signalWithStart } from '../watcher/signaller.js';
import { pauseSignal, resumeSignal, workflowIdOf } from '../workflows/definitions.js';
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

/** Reads the object for its uid, then signals its workflow; says whether the workflow had to be started. */
async function send<Args extends unknown[]>(
  context: Context,
  ref: Ref,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<string> {
  const dockerCluster = refOf(await context.dockerCluster(ref));
  const temporal = await context.temporal();
  const workflowId = workflowIdOf(dockerCluster);
  const running = await temporal
    .call((client) => client.workflow.getHandle(workflowId).describe())
    .then((description) => description.status.name === 'RUNNING')
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    });
  const { CAPDT_TASK_QUEUE: taskQueue, CAPDT_RESYNC_SECONDS: resyncSeconds } = context.config;
  await temporal.call((client) =>
    signalWithStart(client, dockerCluster, { taskQueue, resyncSeconds }, signal, ...args),
  );
  return running
    ? `Sent to workflow ${workflowId}.`
    : `Its workflow was not running: started ${workflowId} on task queue ${taskQueue}.`;
}
