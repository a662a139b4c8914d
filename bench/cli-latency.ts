// npm run bench:cli [-- <namespace>/<name>] [--runs 10]: how fast the operator CLI answers, run as a user runs
// it (node bin/capd-temporal.js: the build) against a DockerCluster of the running provider; default
// default/demo, which `npm start` and `npm run demo` make. A round is status, pause and resume, so the
// DockerCluster ends as it began. Prints the wall time of each command: median, min and max over the rounds.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { repoRoot } from '../scripts/local-stack.js';
import { median, round } from './lib/stats.js';

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
const commands = [
  ['status', ref],
  ['pause', ref, 'paused by npm run bench:cli'],
  ['resume', ref],
] as const;
const times = new Map<string, number[]>(commands.map(([command]) => [command, []]));
const loadBefore = loadavg()[0] as number;
for (let i = 0; i < runs; i++) {
  for (const args of commands) {
    const started = performance.now();
    await run(process.execPath, ['bin/capd-temporal.js', ...args], { cwd: repoRoot }).catch(
      (error: { stderr?: string }) => {
        console.error(`capd-temporal ${args.join(' ')} failed: ${error.stderr?.trim() ?? error}`);
        console.error(ref === 'default/demo' ? 'Run `npm start` and `npm run demo` first.' : usage);
        process.exit(1);
      },
    );
    times.get(args[0])?.push(performance.now() - started);
  }
}

const ms = (value: number) => `${round(value)} ms`;
console.log(
  `capd-temporal against ${ref}, ${runs} rounds (load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after)\n`,
);
console.log('| command | median | min | max |\n| --- | --- | --- | --- |');
for (const [command, values] of times) {
  console.log(
    `| ${command} | ${ms(median(values))} | ${ms(Math.min(...values))} | ${ms(Math.max(...values))} |`,
  );
}
