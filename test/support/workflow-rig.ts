// The reconcile workflow run by a real worker on the real Temporal of the stack, over stub activities: what
// the workflow test and the recording of replay histories (scripts/record-histories.ts) drive.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { defaultEngine, engineTaskQueue } from '../../src/api/engines.js';
import { workflowsPath } from '../../src/build-outputs.js';
import { metricSinks } from '../../src/observability/metrics.js';
import {
  type ReconcileInput,
  type ReconcileState,
  reconcileWorkflowType,
  stateQuery,
} from '../../src/workflows/definitions.js';
import type { reconcileDockerCluster } from '../../src/workflows/reconcile-docker-cluster.js';
import { eventually, quietTemporalRuntime, stackEnv, uniqueName } from './stack.js';
import { type StubWorld, stubActivities } from './stub-activities.js';

export type Stubs = ReturnType<typeof stubActivities>;
export type ReconcileHandle = WorkflowHandle<typeof reconcileDockerCluster>;

export interface Scenario {
  handle: ReconcileHandle;
  stubs: Stubs;
  world: StubWorld;
  ref: ReconcileInput['dockerCluster'];
  /** Waits until the workflow's state query satisfies the check. */
  until(what: string, check: (state: ReconcileState) => boolean): Promise<ReconcileState>;
}

export interface ScenarioOptions {
  failures?: Parameters<typeof stubActivities>[1];
  input?: Partial<ReconcileInput>;
  /** The engines whose task queues have a worker (default: the default engine). */
  engines?: string[];
}

export class WorkflowRig {
  private constructor(
    readonly bundle: WorkflowBundleWithSourceMap,
    readonly connection: Connection,
    readonly workerConnection: NativeConnection,
    readonly client: Client,
  ) {}

  static async connect(): Promise<WorkflowRig> {
    quietTemporalRuntime();
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    const connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
    const workerConnection = await NativeConnection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
    return new WorkflowRig(bundle, connection, workerConnection, new Client({ connection }));
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.workerConnection.close();
  }

  /**
   * A worker on a task queue of its own, over the given stubs, with a worker on the task queue of each engine,
   * where the workflow sends its Docker calls; runs them all until `body` ends.
   */
  async runWorkers<T>(
    taskQueue: string,
    stubs: Stubs,
    body: () => Promise<T>,
    engines = [defaultEngine],
  ): Promise<T> {
    const worker = await Worker.create({
      connection: this.workerConnection,
      taskQueue,
      workflowBundle: this.bundle,
      activities: stubs.activities,
      sinks: metricSinks,
    });
    const engineWorkers = await Promise.all(
      engines.map((engine) =>
        Worker.create({
          connection: this.workerConnection,
          taskQueue: engineTaskQueue(taskQueue, engine),
          activities: stubs.activities,
        }),
      ),
    );
    return await engineWorkers.reduce(
      (running, engineWorker) => engineWorker.runUntil(running),
      worker.runUntil(body),
    );
  }

  /**
   * Runs a workflow for a new DockerCluster in the given world while body drives it, then terminates it if it
   * still runs. Returns its handle, whose history is then complete.
   */
  async scenario(
    world: Partial<StubWorld>,
    options: ScenarioOptions,
    body: (scenario: Scenario) => Promise<void>,
  ): Promise<ReconcileHandle> {
    const fullWorld: StubWorld = { dockerCluster: null, cluster: null, ip: '172.18.0.2', ...world };
    const stubs = stubActivities(fullWorld, options.failures);
    const taskQueue = uniqueName('workflow-test');
    const ref = { namespace: 'default', name: uniqueName('dc'), uid: randomUUID() };
    return await this.runWorkers(
      taskQueue,
      stubs,
      async () => {
        const handle = await this.client.workflow.start<typeof reconcileDockerCluster>(
          reconcileWorkflowType,
          {
            taskQueue,
            workflowId: uniqueName('reconcile-test'),
            args: [{ dockerCluster: ref, resyncInterval: '1 hour', ...options.input }],
          },
        );
        const until = (what: string, check: (state: ReconcileState) => boolean) =>
          eventually(what, async () => {
            const state = await handle.query(stateQuery);
            return check(state) ? state : undefined;
          });
        try {
          await body({ handle, stubs, world: fullWorld, ref, until });
        } finally {
          await handle.terminate('test finished').catch(() => undefined);
        }
        return handle;
      },
      options.engines,
    );
  }
}
