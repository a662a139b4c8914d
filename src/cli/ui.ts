// `ui <ns>/<name>`: the Temporal Web UI page of a DockerCluster's workflow (the UI opens its latest run).
import { refOf, workflowIdOf } from '../api/refs.js';
import type { Config } from '../config.js';
import type { Ref } from './args.js';
import type { Context } from './context.js';
import { CliError, exitCodes } from './errors.js';

/** The UI's page of the configured Temporal namespace, without a trailing slash. */
function namespacePage(config: Config): string {
  if (!config.TEMPORAL_UI_URL) {
    throw new CliError(
      'TEMPORAL_UI_URL is not set: set it to the Temporal Web UI address, such as http://localhost:8233',
      exitCodes.usage,
    );
  }
  return `${config.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}`;
}

export function workflowUrl(config: Config, workflowId: string): string {
  return `${namespacePage(config)}/workflows/${encodeURIComponent(workflowId)}`;
}

export async function ui(context: Context, ref: Ref): Promise<void> {
  namespacePage(context.config); // a missing setting is the first thing to fix
  const object = await context.dockerCluster(ref);
  context.print(workflowUrl(context.config, workflowIdOf(refOf(object))));
}
