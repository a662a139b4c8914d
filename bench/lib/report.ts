// A run's results as Markdown: the tables (printed and written to --out) and docs/PERFORMANCE.md around them.
import type { runDrift, runFloor, runIdle, runRound } from './phases.js';
import type { runScale } from './scale.js';
import { type Latency, percentile } from './stats.js';

export interface BenchResult {
  machine: Record<string, string>;
  sizes: {
    n: number;
    floor: Awaited<ReturnType<typeof runFloor>>;
    provider: Awaited<ReturnType<typeof runRound>>;
    ratio: { allReady: number; p50: number };
  }[];
  idle?: Awaited<ReturnType<typeof runIdle>>;
  drift?: Awaited<ReturnType<typeof runDrift>>;
  scale?: Awaited<ReturnType<typeof runScale>>;
  /** Each process of the provider: from its start until /readyz answers 200. */
  startupMs?: Record<string, number>;
  errors: string[];
}

/** The scale run beside the last round of 50 (per object: CPU ms, and the process's peak RSS). */
function scaleSections(scale: NonNullable<BenchResult['scale']>, sizes: Size[]): string[] {
  const fifty = sizes.findLast((size) => size.n === 50)?.provider;
  const rows = [
    ...(fifty ? [{ n: 50, how: 'at once', cpuMs: fifty.cpuMs, peakRssMiB: fifty.peakRssMiB }] : []),
    { n: scale.total, how: `waves of ${scale.wave}`, cpuMs: scale.cpuMs, peakRssMiB: scale.peakRssMiB },
  ];
  const createAndDelete = (row: (typeof rows)[number], side: 'provider' | 'temporal') =>
    round1(row.cpuMs.create[side] + row.cpuMs.delete[side]);
  const perHour = scale.idlePerDockerClusterHour;
  return [
    `### Scale: ${scale.total} DockerClusters created in waves of ${scale.wave} (all ready after ${round1(scale.allReadyMs / 1000)} s), ${scale.idleSeconds} s idle at the default resync, deleted in waves`,
    table(rows, [
      ['N', (row) => row.n],
      ['created', (row) => row.how],
      ['create: provider', (row) => row.cpuMs.create.provider],
      ['create: Temporal server', (row) => row.cpuMs.create.temporal],
      ['delete: provider', (row) => row.cpuMs.delete.provider],
      ['delete: Temporal server', (row) => row.cpuMs.delete.temporal],
      [
        'create + delete: provider (Temporal)',
        (row) => `${createAndDelete(row, 'provider')} (${createAndDelete(row, 'temporal')})`,
      ],
      ['peak RSS (MiB)', (row) => row.peakRssMiB],
    ]),
    `Idle at the default resync, per DockerCluster-hour (everything the provider process and Temporal's server did over the ${scale.idleSeconds} s, their own idling included, shared out over ${scale.total}):`,
    table(
      [perHour],
      [
        ['provider CPU ms', (hour) => hour.providerCpuMs],
        ['Temporal server CPU ms', (hour) => hour.temporalCpuMs],
        ['history events', (hour) => hour.events],
        ['API requests', (hour) => hour.requests],
        ['API writes', (hour) => hour.writes],
        ['Docker calls', (hour) => hour.dockerCalls],
      ],
    ),
  ];
}

/** A Markdown table with one row per item and one column per [header, cell] pair. */
function table<T>(items: T[], columns: [string, (item: T) => string | number][]): string {
  const rows = [columns.map(([header]) => header), columns.map(() => '---')];
  for (const item of items) rows.push(columns.map(([, cell]) => String(cell(item))));
  return rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
}
type Size = BenchResult['sizes'][number];
const latencyColumns = <T>(what: string, all: string, pick: (item: T) => Latency) =>
  Object.entries({ p50: 'p50', p95: 'p95', max: 'max', all }).map(
    ([key, header]): [string, (item: T) => number] => [
      `${what} ${header}`.trim(),
      (item) => Math.round(pick(item)[key as keyof Latency]),
    ],
  );
const times = (value: number, digits = 1) => `${value.toFixed(digits)}×`;
const round1 = (value: number) => Math.round(value * 10) / 10;
const spread = (values: number[]) =>
  `${times(percentile(values, 50), 2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;

export function renderTables({ sizes, idle, drift, scale, startupMs, errors }: BenchResult): string {
  const rounds = new Map<number, Size[]>();
  for (const size of sizes) rounds.set(size.n, [...(rounds.get(size.n) ?? []), size]);
  const sections = [
    '### Create: time until ready (ms)',
    table<Size>(sizes, [
      ['N', (s) => s.n],
      ...latencyColumns<Size>('floor', 'all done', (s) => s.floor.create),
      ...latencyColumns<Size>('provider', 'all ready', (s) => s.provider.create),
      ['ratio all ready', (s) => times(s.ratio.allReady)],
      ['ratio p50', (s) => times(s.ratio.p50)],
      ['before that, CAPI: create → owner reference (p50)', (s) => s.provider.capiOwnerMs],
    ]),
    '#### Ratio per N over its rounds: median (lowest–highest)',
    table(
      [...rounds],
      [
        ['N', ([n]) => n],
        ['rounds', ([, of]) => of.length],
        ['ratio all ready', ([, of]) => spread(of.map((s) => s.ratio.allReady))],
        ['ratio p50', ([, of]) => spread(of.map((s) => s.ratio.p50))],
      ],
    ),
    '### Delete (provider): delete request → DockerCluster gone and load balancer destroyed (ms)',
    table<Size>(sizes, [
      ['N', (s) => s.n],
      ...latencyColumns<Size>('', 'all gone', (s) => s.provider.delete),
    ]),
    '### Cost per create (provider; floor for comparison)',
    table<Size>(sizes, [
      ['N', (s) => s.n],
      ['history events to Ready', (s) => s.provider.eventsToReady],
      ['history events until quiet', (s) => s.provider.eventsUntilQuiet],
      ['activities to Ready', (s) => s.provider.activitiesToReady],
      ['activities until quiet', (s) => s.provider.activitiesUntilQuiet],
      ['reconcile passes', (s) => s.provider.reconciles],
      ['API requests (writes)', (s) => `${s.provider.requests} (${s.provider.writes})`],
      ['floor API requests (writes)', (s) => `${s.floor.requests} (${s.floor.writes})`],
      ['Docker calls', (s) => s.provider.dockerCalls],
      [
        'container events provider / floor',
        (s) => `${s.provider.containerEvents} / ${s.floor.containerEvents}`,
      ],
    ]),
    '### CPU per object (ms) and memory of the provider',
    table<Size>(sizes, [
      ['N', (s) => s.n],
      ['create: provider', (s) => s.provider.cpuMs.create.provider],
      ['create: Temporal server', (s) => s.provider.cpuMs.create.temporal],
      ['delete: provider', (s) => s.provider.cpuMs.delete.provider],
      ['delete: Temporal server', (s) => s.provider.cpuMs.delete.temporal],
      [
        'create + delete: provider (Temporal)',
        (s) =>
          `${round1(s.provider.cpuMs.create.provider + s.provider.cpuMs.delete.provider)} (${round1(s.provider.cpuMs.create.temporal + s.provider.cpuMs.delete.temporal)})`,
      ],
      ['peak RSS so far (MiB)', (s) => s.provider.peakRssMiB],
    ]),
  ];
  if (startupMs) {
    sections.push(
      '### Start-up: process start → /readyz 200 (ms)',
      table(Object.entries(startupMs), [
        ['process', ([component]) => component],
        ['ms', ([, ms]) => ms],
      ]),
    );
  }
  if (idle) {
    const rows = [
      { what: 'per resync', ...idle.perResync },
      ...idle.perHour.map((hour) => ({ what: `per hour, resync every ${hour.resyncSeconds} s`, ...hour })),
    ];
    sections.push(
      `### Idle: ${idle.count} ready, unchanged DockerClusters (${idle.windowSeconds} s, resync every ${idle.resyncSeconds} s: ${idle.resyncs} resyncs), per DockerCluster`,
      table<Record<string, string | number>>(rows, [
        ['', (row) => row.what as string],
        ...Object.entries({
          providerCpuMs: 'provider CPU ms',
          temporalCpuMs: 'Temporal server CPU ms',
          events: 'history events',
          activities: 'activities',
          requests: 'API requests',
          writes: 'API writes',
          dockerCalls: 'Docker calls',
          containerEvents: 'container events',
        }).map(([key, header]): [string, (row: Record<string, string | number>) => string | number] => [
          header,
          (row) => row[key] as number,
        ]),
      ]),
    );
  }
  if (drift) {
    sections.push(
      `### Drift: a load balancer removed by hand (docker rm -f), ${drift.removals} times: until one runs again (ms)`,
      table(
        [drift],
        [
          ['p50', (d) => d.p50],
          ['p95', (d) => d.p95],
          ['max', (d) => d.max],
        ],
      ),
    );
  }
  if (scale) sections.push(...scaleSections(scale, sizes));
  if (errors.length > 0) sections.push('### Failed', errors.map((error) => `- ${error}`).join('\n'));
  return sections.join('\n\n');
}

const legend = `## What the numbers mean

All times are wall-clock milliseconds on one machine; the N objects of a round are always handled at once. Each
size is a round of its own and may repeat (\`--sizes 1,1,1,…\`), each with its own floor, since single creates vary
by tens of milliseconds from one to the next.

- **floor**: the least work a create needs, done by the benchmark itself for N DockerClusters created beforehand
  (not timed): \`docker create\` of the load balancer (the provider's image, name, labels, network and ports
  published on 127.0.0.1), its HAProxy config written into it, \`start\`, \`inspect\` (its address), and one status
  patch marking it ready, as the provider's least-privilege identity. No watcher, Temporal, CAPI, retries, reads,
  finalizer, endpoint or Events. Per object: from the common start until the benchmark's
  informer sees it ready; *all done*: until the last one.
- **provider**: the real provider, worker and watcher in one process of the build (\`node dist/main.js all\`, the
  documented default), leader election off, as a least-privilege identity bound to the ClusterRole of
  \`config/rbac/role.yaml\`; one process for the whole run, warmed up by creating and deleting a few DockerClusters one by one first. A round
  applies N CAPI Clusters and their DockerClusters at once; CAPI's controllers set each DockerCluster's owner
  reference, which the provider waits for (its time is shown apart). Per object: from CAPI's owner reference
  until the informer sees \`status.ready\`; *all ready*: from the first owner reference until the last one is seen
  ready. **ratio** = provider / floor.
- **delete**: the N DockerClusters deleted at once; per object from its delete request returning until it is gone
  (its finalizer removed) and its load balancer destroyed (Docker event), whichever is later.
- **history events / activities to Ready**: the workflow's history up to its first status write (the one that marks it ready); activities count
  local activities too (one marker each). **until quiet**: once no workflow of the round has had a pending task or
  a new event for 2 s (the watcher's echoes of the provider's own writes and of CAPI's fall in between).
  **reconcile passes**: reads of the DockerCluster that start a pass.
- **API requests**: the provider identity's, counted by the kube-apiserver itself: API Priority and Fairness
  counters (\`apiserver_flowcontrol_dispatched_requests_total\`) of two FlowSchemas that match only that user, one
  its writes (create, update, patch, delete), one the rest, from \`/metrics\` before and after. Until quiet, per
  create; the floor's are its status patches. **Docker calls**: the provider processes' requests to the Docker
  engine, counted by a proxy of the benchmark on their \`DOCKER_HOST\` that hands each one on to the engine's
  socket (an event stream, open for the whole run, is one).
- **idle**: 20 ready DockerClusters left unchanged for \`--idle-seconds\` while their workflows resync on their timers
  (a second provider process, with \`CAPDT_RESYNC_SECONDS\` = \`--idle-resync-seconds\`). Per resync, and per idle
  DockerCluster per hour at that interval and at the provider's default. Each resync is one observation, not a
  pass, while nothing changed. Its CPU is what the processes used beyond their own idling: the same window
  measured first with no DockerCluster at all is subtracted.
- **drift**: one ready DockerCluster of the first provider (resync at its default, one hour), its load balancer
  removed with \`docker rm -f\` again and again, each time once its workflow is quiet: from the removal until a
  load balancer of it runs again, which the worker's Docker event stream triggers.
- **scale**: a third provider process (\`--scale\` DockerClusters, default 500; \`--scale 0\` skips it) at the
  default resync: created in waves of \`--scale-wave\` (each wave applied at once, the next once it is ready), left
  alone for \`--scale-idle-seconds\`, then deleted in waves. CPU per object over all the creates (until quiet) and
  all the deletes; peak RSS of that process; the idle window's CPU, history events and API requests of the
  process and of Temporal's server, per DockerCluster-hour. Beside it, the round of 50 at once.
- **CPU**: user + system time from \`/proc/<pid>/stat\` of the provider's process and of the Temporal dev
  server, over the phase (create: from the first create until the round is quiet; delete: until every workflow
  completed; idle: the window), per object or per resync. Temporal's figure includes whatever else it served
  meanwhile (the other provider, idle). **peak RSS**: the process's high-water mark (\`VmHWM\`) since it
  started.
- **start-up**: from spawning \`node dist/main.js all\` (the workflow bundle prebuilt by \`npm run build\`) until
  its \`/readyz\` answers 200 (its workers poll, its watcher has listed and watches).

## Caveats

- A development stack on the same machine as everything else (\`temporal server start-dev\` on SQLite,
  kube-apiserver and etcd, CAPI's controllers, dockerd): the provider, the floor and the benchmark share the
  CPUs, and on a busy machine (see the load average) every time moves. Compare the floor and the provider of the
  same round, not runs of different machines.
- The floor is the minimum, not a rival implementation: the provider also waits for CAPI's owner reference, reads
  before each write, adds a finalizer, writes \`spec.controlPlaneEndpoint\`, records Events and every step in a
  durable workflow history. The ratio is the price of all of that together.`;

export function renderDocument(result: BenchResult): string {
  return [
    '# Performance: the provider against the floor',
    `Measured by \`npm run bench\` (\`bench/provider-vs-floor.ts\`) on ${result.machine.date?.slice(0, 10)}. A full run (the default sizes and idle length) rewrites this file; every run writes timestamped JSON and Markdown to \`--out\` (\`bench-results/\`).`,
    '## Machine',
    table(Object.entries(result.machine), [
      ['', ([key]) => key],
      ['value', ([, value]) => value],
    ]),
    '## Results',
    renderTables(result),
    legend,
  ].join('\n\n');
}
