// The provider's worker and watcher as child processes (`node --import tsx src/main.ts <component>`), their
// JSON logs, and the CPU time and resident memory of them and of the stack's processes, read from /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../test/support/stack.js';
import { round, sleep, until } from './stats.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface MainProcess {
  component: 'worker' | 'watcher';
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  /** Parsed JSON log lines, warnings and worse kept; the full log goes to logFile. */
  problems: LogLine[];
  tail: string[];
  http?: string;
  exited: Promise<number | null>;
  log: WriteStream;
}

export function spawnMain(
  component: 'worker' | 'watcher',
  env: NodeJS.ProcessEnv,
  logFile: string,
): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', component], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start the ${component}`);
  const log = createWriteStream(logFile);
  const main: MainProcess = {
    component,
    child,
    pid: child.pid,
    spawnedAt: Date.now(),
    problems: [],
    tail: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    log,
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      main.tail.push(line);
      if (main.tail.length > 40) main.tail.shift();
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        return; // the workflow bundler prints a few plain lines
      }
      if (parsed.msg === 'serving /metrics, /healthz, /readyz') main.http = String(parsed.http);
      if ((parsed.level ?? 0) >= 40) main.problems.push(parsed);
    });
  }
  return main;
}

/** Resolves when the process's /readyz answers 200 (after its JSON log said where it serves). */
export async function waitReady(main: MainProcess, timeoutMs: number): Promise<number> {
  let exitCode: number | null | undefined;
  void main.exited.then((code) => {
    exitCode = code;
  });
  await until(
    `the ${main.component} to be ready`,
    async () => {
      if (exitCode !== undefined) {
        throw new Error(`the ${main.component} exited with ${exitCode}:\n${main.tail.slice(-10).join('\n')}`);
      }
      if (!main.http) return undefined;
      const response = await fetch(`http://${main.http}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    timeoutMs,
    100,
  );
  return Date.now();
}

/** SIGINT (the provider's clean stop), then SIGKILL after graceMs. */
export async function stopMain(main: MainProcess, graceMs = 15_000): Promise<number | null> {
  if (main.child.exitCode === null && main.child.signalCode === null) {
    main.child.kill('SIGINT');
    const exited = await Promise.race([main.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exited) main.child.kill('SIGKILL');
  }
  const code = await main.exited;
  await new Promise<void>((resolve) => main.log.end(resolve));
  return code;
}

// ---- /proc ------------------------------------------------------------------------------------------

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in seconds, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** VmRSS in MiB, or undefined when the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The stack's processes (shared with whatever else uses the stack): pid files, else by command name. */
export function stackProcesses(): Record<string, number> {
  const found: Record<string, number> = {};
  const runDir = process.env.CAPDT_STACK_DIR ? join(process.env.CAPDT_STACK_DIR, 'run') : undefined;
  for (const name of ['kube-apiserver', 'etcd', 'temporal', 'dockerd']) {
    try {
      if (runDir) found[name] = Number(readFileSync(join(runDir, `${name}.pid`), 'utf8').trim());
    } catch {
      // not started by the stack script
    }
  }
  const wanted = new Set(['dockerd', 'containerd']);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (wanted.has(comm) && found[comm] === undefined) found[comm] = Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  for (const [name, pid] of Object.entries(found)) if (cpuSeconds(pid) === undefined) delete found[name];
  return found;
}

export interface Usage {
  cpuSeconds: number;
  rssEndMiB: number;
  rssPeakMiB: number;
}

interface Measurement {
  start: Record<string, number>;
  peak: Record<string, number>;
}

/** CPU time and RSS of named processes over phases: begin() … end(); RSS is sampled every 250 ms. */
export class UsageMeter {
  private readonly active = new Set<Measurement>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Record<string, number>) {
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  private sample() {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = rssMiB(pid);
      if (rss === undefined) continue;
      for (const measurement of this.active) {
        measurement.peak[name] = Math.max(measurement.peak[name] ?? 0, rss);
      }
    }
  }

  begin(): Measurement {
    const measurement: Measurement = { start: {}, peak: {} };
    for (const [name, pid] of Object.entries(this.pids)) measurement.start[name] = cpuSeconds(pid) ?? 0;
    this.active.add(measurement);
    this.sample();
    return measurement;
  }

  end(measurement: Measurement): Record<string, Usage> {
    this.sample();
    this.active.delete(measurement);
    const result: Record<string, Usage> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const cpu = cpuSeconds(pid);
      const rss = rssMiB(pid);
      result[name] = {
        cpuSeconds: round((cpu ?? measurement.start[name] ?? 0) - (measurement.start[name] ?? 0), 2),
        rssEndMiB: round(rss ?? Number.NaN, 1),
        rssPeakMiB: round(Math.max(measurement.peak[name] ?? 0, rss ?? 0), 1),
      };
    }
    return result;
  }

  stop() {
    clearInterval(this.timer);
  }
}
