// npm run bench:cli [-- <namespace>/<name>] [--runs 10]: how fast the operator CLI answers, run as a user runs
// it (node bin/capd-temporal.js: the build) against a DockerCluster of the running provider; default
// default/demo, which `npm start` and `npm run demo` make. `status` runs back to back; `pause` and `resume`
// alternate with 2 s between them, so that each starts with the provider idle, as when an operator types them
// (a signal makes the workflow reconcile, and a query waits for a reconcile in progress). The DockerCluster
// ends as it began. Prints the wall time of each command, and of an empty Node process: median, min and max.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { repoRoot } from '../scripts/local-stack.js';
import { median, round, sleep } from './lib/stats.js';

const usage = 'usage: npm run bench:cli -- [<namespace>/<name>] [--runs 10] (runs: 1 to 50)';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '10' } },
});
const ref = positionals[0] ?? 'default/demo';
const runs = Number(values.runs);
if (positionals.length > 1 || !Number.isInteger(runs) || runs < 1 || runs > 50) {
  console.error(usage);
  process.exit(2);
}

const run = promisify(execFile);
/** An empty Node process is the floor of any command, and shows how busy the machine is. */
const times = {
  'node -e 0': [] as number[],
  status: [] as number[],
  pause: [] as number[],
  resume: [] as number[],
};
const settleMs = 2_000;

async function time(command: keyof typeof times, ...args: string[]): Promise<void> {
  const started = performance.now();
  const argv = command === 'node -e 0' ? ['-e', '0'] : ['bin/capd-temporal.js', command, ref, ...args];
  await run(process.execPath, argv, { cwd: repoRoot }).catch((error: { stderr?: string }) => {
    console.error(`capd-temporal ${command} ${ref} failed: ${error.stderr?.trim() ?? error}`);
    console.error(ref === 'default/demo' ? 'Run `npm start` and `npm run demo` first.' : usage);
    process.exit(1);
  });
  times[command].push(performance.now() - started);
}

const loadBefore = loadavg()[0] as number;
for (let i = 0; i < runs; i++) await time('node -e 0');
for (let i = 0; i < runs; i++) await time('status');
for (let i = 0; i < runs; i++) {
  await time('pause', 'paused by npm run bench:cli');
  await sleep(settleMs);
  await time('resume');
  await sleep(settleMs);
}

const ms = (value: number) => `${round(value)} ms`;
console.log(
  `capd-temporal against ${ref}, ${runs} runs each (load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after)\n`,
);
console.log('| command | median | min | max |\n| --- | --- | --- | --- |');
for (const [command, values] of Object.entries(times)) {
  console.log(
    `| ${command} | ${ms(median(values))} | ${ms(Math.min(...values))} | ${ms(Math.max(...values))} |`,
  );
}
