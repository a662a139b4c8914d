// The provider as separate processes (worker and watcher), so the reliability suite can kill and restart
// each one, run under the deploy manifests' least-privilege ClusterRole. They run the build (dist/main.js) with
// plain node, as a deployment does; only the worker with an injected crash is a TypeScript test program.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { leastPrivilegeIdentity } from '../../scripts/local-stack.js';
import { watchingMessage } from '../../src/watcher/watcher.js';
import { eventually, removeNetwork, repoRoot, stackEnv, uniqueName, uniqueSubnet } from './stack.js';

type LogLine = Record<string, unknown> & { msg?: string };

const builtEntryPoint = 'dist/main.js';

export class ProviderProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line: e.g. the stack trace of a crash, printed as plain text.
        }
      });
    }
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as never);
  }

  async untilLogged(message: string, timeoutMs = 60_000): Promise<LogLine> {
    return await eventually(
      `"${message}" in the log`,
      async () => this.lines.find((line) => line.msg === message),
      timeoutMs,
    );
  }

  /** The address of its /metrics, /healthz and /readyz endpoint. */
  async httpBase(): Promise<string> {
    return `http://${(await this.untilLogged('serving /metrics, /healthz, /readyz')).http}`;
  }

  /** The last log lines, for a failure message. */
  tail(count = 20): string {
    return this.lines
      .slice(-count)
      .map((line) => JSON.stringify(line).slice(0, 400))
      .join('\n');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

export interface ProviderProcessesOptions {
  namespace: string;
  /** Extra settings for both processes, e.g. CAPDT_RESYNC_SECONDS. */
  env?: Record<string, string>;
}

export class ProviderProcesses {
  readonly taskQueue = uniqueName('reliability');
  readonly network = uniqueName('capdt-rel');
  readonly subnet = uniqueSubnet();
  readonly crashMarkers = mkdtempSync(join(tmpdir(), 'capdt-crash-'));
  worker?: ProviderProcess;
  /** Workers beside `worker` on the same task queue, as a Deployment with more replicas runs them. */
  readonly moreWorkers: ProviderProcess[] = [];
  watcher?: ProviderProcess;
  client!: Client;
  private connection?: Connection;
  private identity?: Awaited<ReturnType<typeof leastPrivilegeIdentity>>;

  constructor(private readonly options: ProviderProcessesOptions) {}

  /** The kubeconfig of the least-privilege identity both processes run as. */
  get kubeConfigPath(): string {
    if (!this.identity) throw new Error('the provider has not been started');
    return this.identity.kubeConfigPath;
  }

  async start(): Promise<void> {
    this.identity = await leastPrivilegeIdentity(uniqueName('capdt-rel'));
    this.connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
    this.client = new Client({ connection: this.connection });
    await this.startWatcher();
    await this.startWorker();
  }

  /** Runs node with these arguments (a script and its own). */
  private spawn(args: string[], env: Record<string, string> = {}): ProviderProcess {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        KUBECONFIG: this.identity?.kubeConfigPath,
        CAPDT_TASK_QUEUE: this.taskQueue,
        CAPDT_NETWORK: this.network,
        CAPDT_NETWORK_SUBNET: this.subnet,
        CAPDT_WATCH_NAMESPACE: this.options.namespace,
        CAPDT_LEASE_NAMESPACE: this.options.namespace,
        CAPDT_HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        ...this.options.env,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ProviderProcess(child);
  }

  /** Starts the worker; with `crashAt` ("<activity>:before|after") it SIGKILLs itself once at that point. */
  async startWorker(crashAt?: string): Promise<ProviderProcess> {
    this.worker = crashAt
      ? this.spawn(['--import', 'tsx', 'test/support/faulty-worker.ts'], {
          CAPDT_TEST_CRASH_AT: crashAt,
          CAPDT_TEST_CRASH_MARKER: join(this.crashMarkers, crashAt.replace(':', '-')),
        })
      : this.spawn([builtEntryPoint, 'worker']);
    await this.worker.untilLogged('worker running');
    return this.worker;
  }

  /** Starts one more worker (beside another engine, with its settings); `worker` stays the first one. */
  async startAnotherWorker(env: Record<string, string> = {}): Promise<ProviderProcess> {
    const worker = this.spawn([builtEntryPoint, 'worker'], env);
    this.moreWorkers.push(worker);
    await worker.untilLogged('worker running');
    return worker;
  }

  async startWatcher(): Promise<ProviderProcess> {
    this.watcher = this.spawn([builtEntryPoint, 'watcher']);
    await this.watcher.untilLogged(watchingMessage);
    return this.watcher;
  }

  async stop(): Promise<void> {
    for (const worker of [this.worker, ...this.moreWorkers]) await worker?.kill('SIGTERM');
    await this.watcher?.kill('SIGTERM');
    await this.connection?.close();
    await this.identity?.remove();
    await removeNetwork(this.network);
  }
}
