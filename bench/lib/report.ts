// Markdown tables of a run, and docs/PERFORMANCE.md: the latest tables with the machine they ran on.
import { warmUpCreates } from './phases.js';
import type { ApiCost, BenchResult, Latency, PhaseUsage, ProviderResult, SizeResult } from './results.js';
import { type Counts, percentile } from './stats.js';

const dash = '–';

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return dash;
  return value.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** p50, p95, max and all-done cells of a latency. */
function latencyCells(latency: Latency | undefined): string[] {
  return [
    num(latency?.perObject.p50),
    num(latency?.perObject.p95),
    num(latency?.perObject.max),
    num(latency?.allMs),
  ];
}

function counts(values: Counts | undefined, digits = 2): string {
  if (!values || Object.keys(values).length === 0) return dash;
  return Object.entries(values)
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toFixed(digits)}`)
    .join(', ');
}

function perCreate(values: Counts, n: number): Counts {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, Math.round((value / n) * 100) / 100]),
  );
}

const providers = (sizes: SizeResult[]) =>
  sizes.filter((size): size is SizeResult & { provider: ProviderResult } => size.provider !== undefined);

export function renderTables(result: BenchResult): string {
  const sections: string[] = [];
  const { sizes } = result;

  sections.push(
    '### Create: time until ready (ms)',
    table(
      [
        'N',
        'floor p50',
        'floor p95',
        'floor max',
        'floor all done',
        'provider p50',
        'provider p95',
        'provider max',
        'provider all ready',
        'ratio all ready',
        'ratio p50',
        'provider warm-up: its first creates, one by one (not counted)',
      ],
      sizes.map((size) => {
        return [
          String(size.n),
          ...latencyCells(size.floor?.latency),
          ...latencyCells(size.provider?.create),
          size.ratio ? `${num(size.ratio.allReady, 1)}×` : dash,
          size.ratio ? `${num(size.ratio.p50, 1)}×` : dash,
          size.provider ? size.provider.warmUpMs.map((ms) => num(ms)).join(', ') : dash,
        ];
      }),
    ),
  );

  const rounds = new Map<number, NonNullable<SizeResult['ratio']>[]>();
  for (const size of sizes) if (size.ratio) rounds.set(size.n, [...(rounds.get(size.n) ?? []), size.ratio]);
  if ([...rounds.values()].some((ratios) => ratios.length > 1)) {
    const spread = (values: number[]) =>
      `${num(percentile(values, 50), 2)}× (${num(Math.min(...values), 2)}–${num(Math.max(...values), 2)})`;
    sections.push(
      '#### Ratio per N over its rounds: median (lowest–highest)',
      table(
        ['N', 'rounds', 'ratio all ready', 'ratio p50'],
        [...rounds].map(([n, ratios]) => [
          String(n),
          String(ratios.length),
          spread(ratios.map((ratio) => ratio.allReady)),
          spread(ratios.map((ratio) => ratio.p50)),
        ]),
      ),
    );
  }

  const withFloor = sizes.filter((size) => size.floor !== undefined);
  if (withFloor.length > 0) {
    sections.push(
      '#### Floor steps (mean ms per object, all N at once)',
      table(
        [
          'N',
          'docker create',
          'write HAProxy config',
          'start',
          'inspect',
          'status patch',
          'patch returned → watch saw ready (p50)',
        ],
        withFloor.map(({ n, floor }) => {
          const f = floor as NonNullable<SizeResult['floor']>;
          return [
            String(n),
            num(f.steps.create),
            num(f.steps.writeConfig),
            num(f.steps.start),
            num(f.steps.inspect),
            num(f.steps.patchStatus),
            num(f.latency.perObject.p50 - f.patched.perObject.p50),
          ];
        }),
      ),
    );
  }

  const withProvider = providers(sizes);
  if (withProvider.length > 0) {
    sections.push(
      '### Delete (provider): delete request → object gone and container destroyed (ms)',
      table(
        [
          'N',
          'p50',
          'p95',
          'max',
          'all gone',
          'history events / delete',
          'activities / delete',
          'API requests / delete',
          'API writes / delete',
        ],
        withProvider.map(({ n, provider: p }) => [
          String(n),
          ...latencyCells(p.delete),
          num(p.deleteHistory.events.mean, 1),
          num(p.deleteHistory.activities.mean, 1),
          num(p.apiDelete.identityTotal / n, 1),
          num(p.apiDelete.identityWrites / n, 1),
        ]),
      ),
      '### Cost per create (provider; floor for comparison)',
      table(
        [
          'N',
          'history events to Ready',
          'history events until quiet',
          'activities to Ready',
          'activities until quiet',
          'reconcile passes',
          'signals',
          'API requests (writes): request_total − bench',
          'API requests (writes): provider identity',
          'floor API requests (writes)',
          'container events provider / floor',
          'CPU ms / create: worker + watcher, Temporal server',
        ],
        withProvider.map(({ n, provider: p, floor }) => [
          String(n),
          num(p.history.eventsToReady.mean, 1),
          num(p.history.eventsUntilQuiet.mean, 1),
          num(p.history.activitiesToReady.mean, 1),
          num(p.history.activitiesUntilQuiet.mean, 1),
          num(p.history.reconcilesUntilQuiet.mean, 1),
          num(p.history.signalsUntilQuiet.mean, 1),
          `${num(p.apiCreate.total / n, 1)} (${num(p.apiCreate.writes / n, 1)})${p.apiCreate.agrees ? '' : ' ≠'}`,
          `${num(p.apiCreate.identityTotal / n, 1)} (${num(p.apiCreate.identityWrites / n, 1)})`,
          floor ? `${num(floor.api.identityTotal / n, 1)} (${num(floor.api.identityWrites / n, 1)})` : dash,
          `${num(sumOf(p.containerEventsPerCreate), 1)} / ${floor ? num(sumOf(floor.containerEventsPerObject), 1) : dash}`,
          `${num(cpuMs(p, ['worker', 'watcher']) / n)}, ${num(cpuMs(p, ['temporal']) / n)}`,
        ]),
      ),
      '#### API requests per create and per delete, by verb and resource (provider identity; ≠: apiserver_request_total − bench differs)',
      table(
        ['N', 'per create', 'per delete', 'container events per create', 'per delete'],
        withProvider.map(({ n, provider: p }) => [
          String(n),
          counts(perCreate(p.apiCreate.identity, n)) +
            (p.apiCreate.agrees ? '' : ` ≠ ${counts(perCreate(p.apiCreate.requests, n))}`),
          counts(perCreate(p.apiDelete.identity, n)) +
            (p.apiDelete.agrees ? '' : ` ≠ ${counts(perCreate(p.apiDelete.requests, n))}`),
          counts(p.containerEventsPerCreate),
          counts(p.containerEventsPerDelete),
        ]),
      ),
      '### Where the time goes (provider, mean per create, ms; from the workflow histories)',
      table(
        [
          'N',
          'create → ready p50',
          'watcher: created → workflow started',
          'workflow: started → "Mark ready" done',
          'workflow tasks',
          'WT queue',
          'WT run (local activities included)',
          'activity queue',
          'activity run',
          'other',
          '"Mark ready" → watch saw it',
        ],
        withProvider.map(({ n, provider: p }) => [
          String(n),
          num(p.create.perObject.p50),
          num(p.where.watcherMs.mean),
          num(p.where.workflowMs),
          num(p.where.workflowTasks, 1),
          num(p.where.workflowTaskQueueMs),
          num(p.where.workflowTaskRunMs),
          num(p.where.activityQueueMs),
          num(p.where.activityRunMs),
          num(p.where.otherMs),
          num(p.where.readyToSeenMs.mean),
        ]),
      ),
    );
    const largest = withProvider[withProvider.length - 1] as SizeResult & { provider: ProviderResult };
    const smallest = withProvider[0] as SizeResult & { provider: ProviderResult };
    const shown = largest === smallest ? [largest] : [smallest, largest];
    const types = [...new Set(shown.flatMap((size) => Object.keys(size.provider.where.byActivity)))];
    sections.push(
      `#### Activities up to Ready, per create (queue = scheduled → started, run = started → completed; ms; a local activity runs inside a workflow task)`,
      table(
        [
          'activity',
          ...shown.flatMap((size) => [`N=${size.n} calls`, `N=${size.n} queue`, `N=${size.n} run`]),
        ],
        types.map((type) => [
          type,
          ...shown.flatMap((size) => {
            const cost = size.provider.where.byActivity[type];
            if (cost?.local) return [num(cost.callsPerCreate, 2), 'local', 'local'];
            return [num(cost?.callsPerCreate, 2), num(cost?.queueMs), num(cost?.runMs)];
          }),
        ]),
      ),
    );
  }

  const processNames = ['temporal', 'kube-apiserver', 'etcd', 'dockerd', 'containerd'];
  /** One phase's row; the floor has no worker or watcher. */
  const usageRow = (n: number, phase: string, usage: PhaseUsage): string[] => {
    const provider = (['worker', 'watcher'] as const).flatMap((component) => {
      const process = usage.processes[component];
      return process
        ? [num(process.cpuSeconds, 2), `${num(process.rssEndMiB)} / ${num(process.rssPeakMiB)}`]
        : [dash, dash];
    });
    return [
      String(n),
      phase,
      num(usage.wallSeconds, 2),
      ...provider,
      ...processNames.map((name) => num(usage.processes[name]?.cpuSeconds, 2)),
    ];
  };
  const usageRows: string[][] = [];
  for (const size of sizes) {
    if (size.floor) usageRows.push(usageRow(size.n, 'floor', size.floor.usage));
    for (const [phase, usage] of Object.entries(size.provider?.usage ?? {})) {
      usageRows.push(usageRow(size.n, phase, usage));
    }
  }
  if (result.idle && !result.idle.error) usageRows.push(usageRow(1, 'idle', result.idle.usage));
  sections.push(
    '### Processes per phase (CPU seconds; RSS MiB at the end / peak)',
    table(
      [
        'N',
        'phase',
        'wall s',
        'worker CPU',
        'worker RSS',
        'watcher CPU',
        'watcher RSS',
        ...processNames.map((name) => `${name} CPU`),
      ],
      usageRows,
    ),
  );

  const idle = result.idle;
  if (idle?.error) sections.push(`### Idle\n\nfailed: ${idle.error}`);
  else if (idle) {
    const per = idle.perResync;
    sections.push(
      `### Idle: one ready, unchanged DockerCluster, resync every ${idle.resyncSeconds} s (${num(idle.windowSeconds, 1)} s window, ${idle.resyncs} resyncs, ${idle.signals} signals)`,
      table(
        ['per resync', 'value'],
        [
          [
            'reconcile time (timer fired → next timer started), p50 / max ms',
            `${num(idle.resyncMs.p50)} / ${num(idle.resyncMs.max)}`,
          ],
          ['history events', num(per.historyEvents, 1)],
          ['activities', num(per.activities, 1)],
          ['workflow tasks', num(per.workflowTasks, 1)],
          ['API requests: provider identity', `${num(per.identityRequests, 1)}: ${counts(per.identity)}`],
          ['API requests: request_total − bench', `${num(per.apiRequests, 1)}: ${counts(per.api)}`],
          [
            'API writes: provider identity / request_total − bench',
            `${num(per.identityWrites, 1)} / ${num(per.apiWrites, 1)}`,
          ],
          [
            'Docker API calls',
            per.dockerCalls === undefined ? dash : `${num(per.dockerCalls, 1)}: ${counts(per.docker)}`,
          ],
          ['container events', `${num(per.containerEvents, 1)}: ${counts(per.containerEventActions)}`],
          ['worker / watcher CPU ms', `${num(per.workerCpuMs)} / ${num(per.watcherCpuMs)}`],
        ],
      ),
      table(
        [
          'per idle DockerCluster per hour',
          'history events',
          'activities',
          'API requests',
          'API writes',
          'Docker API calls',
        ],
        idle.perHour.map((hour) => [
          `resync every ${hour.resyncSeconds} s`,
          num(hour.historyEvents),
          num(hour.activities),
          num(hour.apiRequests),
          num(hour.apiWrites),
          num(hour.dockerCalls),
        ]),
      ),
    );
  }

  const errors = sizes.flatMap((size) => size.errors.map((error) => `- N=${size.n}: ${error}`));
  const warnings = withProvider.flatMap(({ n, provider: p }) =>
    p.warnings.map((warning) => `- N=${n}: ${warning.component} logged "${warning.msg}" ×${warning.count}`),
  );
  const checks = withProvider
    .filter(({ provider: p }) => !p.settled || p.history.failedActivityAttempts > 0)
    .map(
      ({ n, provider: p }) =>
        `- N=${n}: ${p.settled ? '' : 'histories did not go quiet within 60 s; '}${p.history.failedActivityAttempts} failed activity attempts`,
    );
  if (result.idle?.warnings) {
    warnings.push(
      ...result.idle.warnings.map(
        (warning) => `- idle: ${warning.component} logged "${warning.msg}" ×${warning.count}`,
      ),
    );
  }
  const disagreements = withProvider.flatMap(({ n, provider: p }) =>
    [
      ['create', p.apiCreate],
      ['delete', p.apiDelete],
    ]
      .filter(([, cost]) => !(cost as ApiCost).agrees)
      .map(
        ([phase, cost]) =>
          `- N=${n} ${phase}: apiserver_request_total − bench (${(cost as ApiCost).total}) ≠ provider identity (${(cost as ApiCost).identityTotal}): other clients of the stack were busy`,
      ),
  );
  if (result.idle && !result.idle.error && !result.idle.api.agrees) {
    disagreements.push(
      `- idle: apiserver_request_total − bench (${result.idle.api.total}) ≠ provider identity (${result.idle.api.identityTotal}): other clients of the stack were busy`,
    );
  }
  checks.push(...disagreements);
  for (const size of sizes) {
    const phases: [string, ApiCost | undefined][] = [
      ['floor', size.floor?.api],
      ['create', size.provider?.apiCreate],
      ['delete', size.provider?.apiDelete],
    ];
    for (const [phase, cost] of phases) {
      if (cost && cost.identityRejected > 0) {
        checks.push(
          `- N=${size.n} ${phase}: the API server rejected ${cost.identityRejected} requests of the provider identity (429)`,
        );
      }
    }
  }
  if (errors.length + warnings.length + checks.length > 0) {
    sections.push('### Problems seen', [...errors, ...checks, ...warnings].join('\n'));
  }
  return sections.join('\n\n');
}

/** CPU milliseconds the named processes used in the create and settle phases. */
function cpuMs(provider: ProviderResult, names: string[]): number {
  let total = 0;
  for (const usage of [provider.usage.create, provider.usage.settle]) {
    for (const name of names) total += (usage.processes[name]?.cpuSeconds ?? Number.NaN) * 1000;
  }
  return total;
}

function sumOf(values: Counts): number {
  return Object.values(values).reduce((sum, value) => sum + value, 0);
}

export function renderMachine(result: BenchResult): string {
  const m = result.machine;
  return table(
    ['', 'value'],
    [
      ['date', m.date],
      ['CPU', `${m.cpuModel}, ${m.nproc} CPUs (nproc)`],
      ['memory', `${m.memoryGiB} GiB`],
      ['kernel', m.kernel],
      ['Node.js', m.node],
      ['Docker engine', m.docker],
      ['kube-apiserver', m.kubeApiserver],
      ['Temporal CLI (dev server)', m.temporalCli.split('\n')[0] ?? 'unknown'],
      [
        'load average at start / end',
        `${m.loadAverageAtStart.join(' ')} / ${m.loadAverageAtEnd?.join(' ') ?? dash}`,
      ],
      ['sizes, idle', `${(result.args.sizes as number[]).join(', ')}; idle ${result.args.idleSeconds} s`],
    ],
  );
}

export const legend = `## What the numbers mean

All times are wall-clock milliseconds on one machine; N objects are always handled at once.

- **floor**: the least work a create needs, done directly by the benchmark for N DockerClusters created beforehand
  (not timed), all N concurrently: \`docker create\` of the load balancer (same image, name scheme, labels,
  network and ports 6443 and 8404 published on 127.0.0.1 as the provider's), its HAProxy config written into it
  (one archive upload, before start, as the provider does), \`start\`, \`inspect\` (its IP), and one merge patch
  \`status.ready: true\` through the status subresource, as the provider's least-privilege identity. No watcher,
  Temporal, retries, reads, finalizer, \`spec.controlPlaneEndpoint\` or Events. Per object: from the common start
  until the benchmark's watch sees the object ready; *all done*: until the last one. *Floor steps* are the
  means of each step.
- **provider**: the real worker and watcher as two processes (\`node --import tsx src/main.ts worker|watcher\`),
  fresh per N (namespace, task queue, processes), leader election off, running as a least-privilege identity
  bound to the ClusterRole of \`config/rbac/role.yaml\`. N Cluster + DockerCluster pairs are applied at once,
  each DockerCluster owned by its Cluster from creation, as CAPI would. Per object: from its create request
  returning until the benchmark's watch (opened before) sees \`status.ready=true\`; *all ready*: from the first
  create request until the last object is seen ready. **ratio** = provider / floor. Before the N objects, ${warmUpCreates}
  DockerClusters are created and deleted one by one (the warm-up, not counted): a new worker's first workflow
  builds its sandbox, connections are opened and the JavaScript engine compiles the hot paths, all of which a
  running provider has done long before. Their times to ready are shown on their own. A size may be run more than once (\`--sizes 1,1,1,…\`): each run is a row, with its own
  floor, since single creates vary by tens of milliseconds from one to the next.
- **delete**: all DockerClusters deleted at once; per object from its delete request returning until the object
  is gone (watch DELETED, i.e. the finalizer removed) and its container destroyed (Docker event), whichever is
  later. Events/activities per delete: added to the history from then until the workflow completed.
- **history events / activities to Ready**: events of the workflow's history up to its "Mark ready" call, and
  the calls until then: activities and local activities (a local activity runs in the worker inside a workflow
  task and is recorded as one marker when that task completes). **until quiet**: once every workflow has had
  no pending task and no new event for 2 s; the workflow tasks that take in the watcher's echoes of the
  provider's own writes (finalizer, \`spec.controlPlaneEndpoint\` and its annotation) fall in between.
  **signals**: \`changed\` signals received (the first one starts the workflow). **reconcile passes**: calls
  of "Get DockerCluster".
- **API requests**: counted by the kube-apiserver itself, from its \`/metrics\` scraped with the admin
  certificate before and after each phase, two ways: (1) \`apiserver_request_total\` by verb and resource,
  minus the requests the benchmark sent itself (its creates, deletes and watch), on the verbs and resources the
  provider's ClusterRole allows; the stack is shared, so other clients can add to it (marked ≠ when they did);
  (2) the **provider identity**: API Priority and Fairness counters of FlowSchemas that match only the
  provider's user, one per verb and resource (all sending it to the priority level it reaches anyway); these
  are exactly the worker's and the watcher's requests. Breakdowns use (2). Writes = POST, PUT, PATCH, DELETE.
- **where the time goes**: from the histories' own timestamps, mean per create: *watcher* = DockerCluster
  created → workflow started (informer event + signalWithStart); *WT queue / run* = workflow tasks scheduled →
  started → completed (the first, then one per activity result or signal), local activities included;
  *activity queue / run* = activity scheduled → started → completed; *other* = the rest of the workflow's time
  until "Mark ready" was recorded; *"Mark ready" → watch saw it*: negative when the watch saw the write before
  the workflow task that made it had completed.
- **processes**: CPU seconds (utime + stime of /proc/<pid>/stat) used during the phase, and RSS (VmRSS of
  /proc/<pid>/status, sampled every 250 ms) at its end / its peak, of the worker, the watcher and the stack's
  processes. Phases: startup (spawn → /readyz 200), create (apply → all ready), settle (→ quiet), delete (→ all
  gone and every workflow completed), idle (the idle window). *CPU ms / create* = create + settle phases / N;
  the Temporal server's includes whatever else used it meanwhile.
- **idle**: one ready DockerCluster left unchanged while its workflow resyncs on the timer (its own worker and
  watcher, started with \`CAPDT_RESYNC_SECONDS\`); the worker reaches Docker through a counting proxy on a unix
  socket. Per resync, and per idle DockerCluster per hour at that interval and at the provider's default (300
  s); API requests per hour are the provider identity's.`;

export const caveats = `## Caveats

- A development stack on the same machine as everything else: \`temporal server start-dev\` (SQLite),
  kube-apiserver and etcd (\`--unsafe-no-fsync\`), dockerd, the provider, the floor and the benchmark share the
  CPUs. The processes table shows what each used; on a busy machine (see the load average) every time moves.
  Compare the floor and the provider of the same run, not runs of different machines.
- The stack is shared: \`apiserver_request_total\` counts every client; the provider identity's counts do not.
  Stack processes' CPU includes whatever else used them during the phase. Re-applying the DockerCluster CRD
  (as some tests do) resets every watch on it: the provider re-lists (LIST + WATCH in the identity's counts)
  and may log a 429 while the API server rebuilds its cache.
- The API server counts a WATCH in \`apiserver_request_total\` when it ends, and API Priority and Fairness when
  it starts; the provider's watches are opened before the phases and stay open.
- The provider runs from TypeScript through tsx, as asked; the built \`dist/\` starts faster and uses less
  memory. Startup includes bundling the workflow code.
- The floor is the minimum, not a rival implementation: the provider also reads before each write, adds a
  finalizer, writes \`spec.controlPlaneEndpoint\`, records Events, and records every step in a durable workflow
  history. The ratio is the price of all of that together.
- The stack's Temporal dev server runs SQLite with a write-ahead log (\`journal_mode=wal\`,
  \`synchronous=normal\`) and eager activity dispatch on, as \`scripts/stack.sh\` and docker-compose.yml
  start it.
- With small N on a 2-CPU machine, concurrency is bounded by the CPUs more than by the provider; the worker's
  default slots (workflow tasks and activities) only matter at larger N.`;

export function renderDocument(result: BenchResult): string {
  return [
    '# Performance: the provider against the floor',
    `Measured by \`npm run bench\` (\`bench/provider-vs-floor.ts\`) on ${result.machine.date.slice(0, 10)}. ` +
      'Re-run it to replace this file; every run also writes timestamped JSON and Markdown to `bench-results/`.',
    '## Machine',
    renderMachine(result),
    '## Results',
    renderTables(result),
    legend,
    caveats,
  ].join('\n\n');
}
