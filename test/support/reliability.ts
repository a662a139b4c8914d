// The reliability suite's invariants and its record of what each scenario measured.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before } from 'node:test';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type Docker from 'dockerode';
import { type ReliabilityRecord, recordsPath } from '../../scripts/reliability-report.js';
import { kindClusterLabel, kindRoleLabel, loadBalancerRole } from '../../src/activities/load-balancer.js';
import type { DockerCluster } from '../../src/api/dockercluster.js';
import { defaultEngine, engineLabel } from '../../src/api/engines.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { localActivityOf } from '../../src/observability/history.js';
import { TestObjects } from './objects.js';
import { ProviderProcesses } from './provider-processes.js';
import { docker, eventually, stackEnv } from './stack.js';

/** A fresh namespace, the provider as worker and watcher processes with these settings, and a Ready pair `name`. */
export async function providerWithReadyPair(
  name: string,
  env: Record<string, string>,
): Promise<{ objects: TestObjects; provider: ProviderProcesses }> {
  const objects = await TestObjects.inFreshNamespace();
  const provider = new ProviderProcesses({ namespace: objects.namespace, env });
  await provider.start();
  await objects.createPair(name);
  await converged(`${name} ready`, objects, provider.client, provider.network, { live: [name] });
  return { objects, provider };
}

/**
 * The faults suites' set-up, made inside a describe: a fresh namespace, the provider as worker and watcher
 * processes with this resync, and a foreign container that every scenario must leave untouched.
 */
export class FaultRig {
  objects!: TestObjects;
  provider!: ProviderProcesses;
  foreign!: Awaited<ReturnType<typeof foreignContainer>>;

  constructor(resyncSeconds: number) {
    before(async () => {
      this.objects = await TestObjects.inFreshNamespace();
      this.provider = new ProviderProcesses({
        namespace: this.objects.namespace,
        env: { CAPDT_RESYNC_SECONDS: String(resyncSeconds) },
      });
      await this.provider.start();
      this.foreign = await foreignContainer(`${this.objects.namespace}-foreign-lb`);
    });
    after(async () => {
      await this.foreign.check();
      await this.foreign.remove();
      await this.provider.stop();
      await this.objects.removeContainers();
    });
  }

  /**
   * Makes `change` under a worker that SIGKILLs itself at `crashAt`, waits for that crash, then starts a normal
   * worker. Returns when the restart began.
   */
  async crashWorkerDuring(crashAt: string, change: () => Promise<unknown>): Promise<number> {
    await this.provider.worker?.kill('SIGTERM');
    const worker = await this.provider.startWorker(crashAt);
    await change();
    const { signal } = await worker.exited;
    assert.equal(signal, 'SIGKILL', `the worker crashed at ${crashAt}`);
    const restarted = Date.now();
    await this.provider.startWorker();
    return restarted;
  }

  /** Waits until the invariants hold; when they do not, prints the processes' last log lines. */
  async check(what: string, expected: Parameters<typeof converged>[4], timeoutMs?: number): Promise<void> {
    try {
      await converged(what, this.objects, this.provider.client, this.provider.network, expected, timeoutMs);
    } catch (error) {
      const { worker, watcher } = this.provider;
      console.log(`# worker log:\n${worker?.tail()}\n# watcher log:\n${watcher?.tail()}`);
      throw error;
    }
  }
}

/** Appends one scenario's outcome to the records docs/RELIABILITY.md is made from. */
export function record(entry: ReliabilityRecord): void {
  mkdirSync(dirname(recordsPath), { recursive: true });
  appendFileSync(recordsPath, `${JSON.stringify(entry)}\n`);
  console.log(`# ${entry.group} / ${entry.scenario}: ${entry.result}; ${entry.measured}`);
}

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/**
 * A container that looks like a load balancer (the CAPD labels, a similar name) but has no ownership label:
 * the provider must never touch it.
 */
export async function foreignContainer(
  name: string,
): Promise<{ check(): Promise<void>; remove(): Promise<void> }> {
  const engine = docker();
  const container = await engine.createContainer({
    name,
    Image: stackEnv('CAPDT_LB_IMAGE'),
    Labels: { [kindClusterLabel]: name, [kindRoleLabel]: loadBalancerRole },
  });
  await container.start();
  const id = container.id;
  return {
    async check() {
      const details = await engine.getContainer(id).inspect();
      assert.equal(details.State.Running, true, `the foreign container ${name} still runs, untouched`);
    },
    async remove() {
      await engine.getContainer(id).remove({ force: true, v: true });
    },
  };
}

/**
 * Waits until every invariant holds: live ones provisioned for their latest spec with one container each,
 * deleted ones gone.
 */
export async function converged(
  what: string,
  objects: TestObjects,
  client: Client,
  network: string,
  expected: {
    live?: string[];
    deleted?: DockerCluster[];
    /** A fleet's engines by name (default: the stack's engine as the default engine). */
    engines?: Record<string, Docker>;
  },
  timeoutMs = 90_000,
): Promise<void> {
  const engines = expected.engines ?? { [defaultEngine]: docker() };
  await eventually(
    what,
    async () => {
      for (const name of expected.live ?? []) {
        const object = await objects.read(name);
        assert.ok(object, `${name} exists`);
        assert.equal(object.status?.ready, true, `${name} is ready`);
        // Ready for its latest spec (an image roll, say), not still for the one before.
        assert.equal(
          object.status?.observedGeneration,
          object.metadata.generation,
          `${name} has reconciled generation ${object.metadata.generation}`,
        );
        const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
        assert.equal(
          ready?.status,
          'True',
          `${name} has Ready=True, not: ${ready?.message ?? 'no Ready condition'}`,
        );
        const placement = object.metadata.labels?.[engineLabel] ?? defaultEngine;
        const engine = engines[placement];
        assert.ok(engine, `${name} is placed on one of the engines, not on ${placement}`);
        for (const [other, otherEngine] of Object.entries(engines)) {
          const containers = await objects.containersOf(object.metadata.uid as string, otherEngine);
          const count = other === placement ? 1 : 0;
          assert.equal(containers.length, count, `${name} has ${count} load balancer(s) on engine ${other}`);
        }
        const [container] = await objects.containersOf(object.metadata.uid as string, engine);
        const details = await engine.getContainer(container?.Id as string).inspect();
        assert.equal(details.State.Running, true, `the load balancer of ${name} runs`);
        const ip = details.NetworkSettings.Networks[network]?.IPAddress;
        assert.deepEqual(
          object.spec?.controlPlaneEndpoint,
          { host: ip, port: 6443 },
          `${name}'s endpoint is its IP`,
        );
      }
      for (const gone of expected.deleted ?? []) {
        const name = gone.metadata.name as string;
        const current = await objects.read(name);
        assert.ok(
          !current || current.metadata.uid !== gone.metadata.uid,
          `${name} (uid ${gone.metadata.uid}) is gone`,
        );
        for (const engine of Object.values(engines)) {
          assert.deepEqual(
            await objects.containersOf(gone.metadata.uid as string, engine),
            [],
            `no container of deleted ${name}`,
          );
        }
        const description = await client.workflow.getHandle(workflowIdOf(refOf(gone))).describe();
        assert.equal(description.status.name, 'COMPLETED', `the workflow of deleted ${name} completed`);
      }
      return true;
    },
    timeoutMs,
  );
}

/** Activity and local activity attempts beyond the first, over the DockerCluster's workflow history (its current run). */
export async function activityRetries(
  client: Client,
  object: DockerCluster,
  activityType?: string,
): Promise<number> {
  const { EventType } = proto.temporal.api.enums.v1;
  const events = await currentRun(client, object);
  const types = new Map<string, string>();
  let retries = 0;
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      types.set(String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    }
    const local = localActivityOf(event);
    if (local && (!activityType || local.activityType === activityType)) retries += local.attempt - 1;
    const started = event.activityTaskStartedEventAttributes;
    if (event.eventType !== EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED || !started) continue;
    if (activityType && types.get(String(started.scheduledEventId)) !== activityType) continue;
    retries += Math.max(0, (started.attempt ?? 1) - 1);
  }
  return retries;
}

/** How many times an activity or local activity was called (each reconcile calls it anew) in the current run. */
export async function activityCalls(
  client: Client,
  object: DockerCluster,
  activityType: string,
): Promise<number> {
  const { EventType } = proto.temporal.api.enums.v1;
  return (await currentRun(client, object)).filter(
    (event) =>
      (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        event.activityTaskScheduledEventAttributes?.activityType?.name === activityType) ||
      localActivityOf(event)?.activityType === activityType,
  ).length;
}

async function currentRun(client: Client, object: DockerCluster) {
  return (await client.workflow.getHandle(workflowIdOf(refOf(object))).fetchHistory()).events ?? [];
}

/** The endpoints of these DockerClusters; fails when two of them share one. */
export async function uniqueEndpoints(objects: TestObjects, names: string[]): Promise<Map<string, string>> {
  const endpoints = new Map<string, string>();
  const holders = new Map<string, string>();
  for (const name of names) {
    const host = (await objects.read(name))?.spec?.controlPlaneEndpoint?.host;
    assert.ok(host, `${name} has an endpoint`);
    assert.equal(holders.get(host), undefined, `${name} and ${holders.get(host)} share the endpoint ${host}`);
    holders.set(host, name);
    endpoints.set(name, host);
  }
  return endpoints;
}

/**
 * At once: `deleted` Clusters deleted, `rolled` DockerClusters rolled to `image`, `added` pairs created, while
 * `meanwhile` runs (workers killed). Returns the deleted DockerClusters as they were.
 */
export async function churn(
  objects: TestObjects,
  plan: { deleted: string[]; rolled: string[]; added: string[]; image: string },
  meanwhile: () => Promise<void>,
): Promise<DockerCluster[]> {
  const deletedObjects = (await Promise.all(
    plan.deleted.map((name) => objects.read(name)),
  )) as DockerCluster[];
  await Promise.all([
    ...plan.deleted.map((name) => objects.deleteCluster(name)),
    ...plan.rolled.map((name) => objects.patch(name, { spec: { loadbalancerImage: plan.image } })),
    ...plan.added.map((name) => objects.createPair(name)),
    meanwhile(),
  ]);
  return deletedObjects;
}
