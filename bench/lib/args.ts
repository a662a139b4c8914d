// The benchmark's flags.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  sizes: number[];
  idleSeconds: number;
  /** How often an idle DockerCluster is resynced during the idle phase. */
  idleResyncSeconds: number;
  out: string;
  phaseTimeoutSeconds: number;
  docs: string;
}

const usage = `usage: npm run bench -- [--sizes 1,1,1,1,1,10,50] [--idle-seconds 60] [--out bench-results]
                        [--phase-timeout-seconds 300] [--idle-resync-seconds 10] [--docs docs/PERFORMANCE.md]
  --sizes                  numbers of DockerClusters created at once, each a round of its own; a size may
                           repeat (default 1,1,1,1,1,10,50; up to 200)
  --idle-seconds           length of the idle phase with one ready DockerCluster (0 skips it; default 60)
  --idle-resync-seconds    CAPDT_RESYNC_SECONDS of the idle phase (default 10)
  --out                    directory of the JSON and Markdown results (default bench-results)
  --phase-timeout-seconds  bound of every phase (default 300)
  --docs                   where the latest tables are written with the machine they ran on`;

export class UsageError extends Error {}

function positiveInteger(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, not '${value}'\n${usage}`);
  }
  return number;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sizes: { type: 'string', default: '1,1,1,1,1,10,50' },
        'idle-seconds': { type: 'string', default: '60' },
        'idle-resync-seconds': { type: 'string', default: '10' },
        out: { type: 'string', default: 'bench-results' },
        'phase-timeout-seconds': { type: 'string', default: '300' },
        docs: { type: 'string', default: 'docs/PERFORMANCE.md' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  if (values.help) throw new UsageError(usage);
  const sizes = String(values.sizes)
    .split(',')
    .filter((size) => size.trim() !== '')
    .map((size) => positiveInteger('--sizes', size.trim(), 1, 200));
  if (sizes.length === 0) throw new UsageError(`--sizes is empty\n${usage}`);
  return {
    sizes,
    idleSeconds: positiveInteger('--idle-seconds', String(values['idle-seconds']), 0, 3600),
    idleResyncSeconds: positiveInteger(
      '--idle-resync-seconds',
      String(values['idle-resync-seconds']),
      1,
      3600,
    ),
    out: String(values.out),
    phaseTimeoutSeconds: positiveInteger(
      '--phase-timeout-seconds',
      String(values['phase-timeout-seconds']),
      10,
      3600,
    ),
    docs: String(values.docs),
  };
}
