// The command line: commands, their arguments and options, and the usage text.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export const usage = `Usage: capd-temporal <command> [arguments]

Operates the reconcile workflows of DockerClusters (one long-lived Temporal workflow per DockerCluster).

Commands:
  status [<namespace>/<name>] [--json]
      One DockerCluster, or all of them in all namespaces: cluster, ready, endpoint, and the workflow's
      phase, pause, last error and last reconcile.
  pause <namespace>/<name> [reason...]
      Pauses reconciliation; the reason shows in the DockerCluster's Paused condition.
  resume <namespace>/<name>
      Lifts a pause made with 'pause' (not the paused annotation or a paused Cluster).
  history <namespace>/<name> [--runs <n>|all] [--json]
      The reconcile steps from the workflow's history, one line each, of the last <n> runs
      (a long-lived workflow continues as new from time to time; default 5 runs).
  ui <namespace>/<name>
      Prints the Temporal Web UI address of the DockerCluster's workflow.
  help
      Prints this text.

Environment:
  KUBECONFIG           the Kubernetes API (default ~/.kube/config, or in-cluster)
  TEMPORAL_ADDRESS     the Temporal frontend, host:port (default 127.0.0.1:7233); TEMPORAL_NAMESPACE
  TEMPORAL_UI_URL      the Temporal Web UI, for 'ui'
  CAPDT_TASK_QUEUE, CAPDT_RESYNC_SECONDS
                       the provider's settings, used when 'pause' or 'resume' has to start a workflow

Exit codes:
  0 done; 1 unexpected error; 2 bad arguments or settings; 3 the DockerCluster does not exist;
  4 Temporal unreachable; 5 Kubernetes API unreachable
`;

export interface Ref {
  namespace: string;
  name: string;
}

export type Command =
  | { command: 'help' }
  | { command: 'status'; ref?: Ref; json: boolean }
  | { command: 'pause'; ref: Ref; reason?: string }
  | { command: 'resume'; ref: Ref }
  | { command: 'history'; ref: Ref; runs: number; json: boolean }
  | { command: 'ui'; ref: Ref };

const options = {
  json: { type: 'boolean' },
  runs: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Which options each command takes. */
const allowed: Record<Exclude<Command['command'], 'help'>, (keyof typeof options)[]> = {
  status: ['json'],
  pause: [],
  resume: [],
  history: ['runs', 'json'],
  ui: [],
};

const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parseRef(text: string | undefined): Ref {
  if (text === undefined) throw new UsageError('missing <namespace>/<name>');
  const [namespace, name, ...rest] = text.split('/');
  if (!namespace || !name || rest.length > 0 || !dnsSubdomain.test(namespace) || !dnsSubdomain.test(name)) {
    throw new UsageError(`'${text}' is not <namespace>/<name> of a DockerCluster`);
  }
  return { namespace, name };
}

export function parseCommand(argv: string[]): Command {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === 'help') return { command: 'help' };
  if (command === undefined) throw new UsageError('missing command');
  if (!(command in allowed)) throw new UsageError(`unknown command '${command}'`);
  const name = command as keyof typeof allowed;
  for (const option of Object.keys(values) as (keyof typeof options)[]) {
    if (option !== 'help' && !allowed[name].includes(option)) {
      throw new UsageError(`'${name}' does not take --${option}`);
    }
  }
  const atMost = (n: number) => {
    if (args.length > n) throw new UsageError(`too many arguments for '${name}': ${args.slice(n).join(' ')}`);
  };

  switch (name) {
    case 'status':
      atMost(1);
      return { command: name, ...(args[0] !== undefined && { ref: parseRef(args[0]) }), json: !!values.json };
    case 'pause': {
      const reason = args.slice(1).join(' ').trim();
      return { command: name, ref: parseRef(args[0]), ...(reason && { reason }) };
    }
    case 'history':
      atMost(1);
      return { command: name, ref: parseRef(args[0]), runs: parseRuns(values.runs), json: !!values.json };
    default:
      atMost(1);
      return { command: name, ref: parseRef(args[0]) };
  }
}

function parseRuns(text: string | undefined): number {
  if (text === undefined) return 5;
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs must be a positive number or 'all', not '${text}'`);
  return runs;
}
