// Scaling out as Temporal users do: more than one worker on one Docker engine, workers killed -9 while load
// balancers are created, rolled to another image and deleted at once. No endpoint is ever handed to another
// Cluster: the addresses are reserved in Docker (labels, exact addresses asked for), not in a worker's memory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DockerCluster } from '../../src/api/dockercluster.js';
import { TestObjects } from '../support/objects.js';
import { ProviderProcesses } from '../support/provider-processes.js';
import { churn, converged, record, seconds, uniqueEndpoints } from '../support/reliability.js';
import { docker, stackEnv, uniqueName } from '../support/stack.js';

const group = 'Scaling out';

for (const workerCount of [1, 2]) {
  describe(`${workerCount} worker${workerCount > 1 ? 's' : ''} on one engine, killed -9 during churn`, () => {
    let objects: TestObjects;
    let provider: ProviderProcesses;
    const rolledImage = `capd-temporal/haproxy:roll-${uniqueName('scale')}`;

    before(async () => {
      objects = await TestObjects.inFreshNamespace();
      provider = new ProviderProcesses({ namespace: objects.namespace });
      await provider.start();
      for (let extra = 1; extra < workerCount; extra += 1) await provider.startAnotherWorker();
      const [repo, tag] = rolledImage.split(':') as [string, string];
      await docker().getImage(stackEnv('CAPDT_LB_IMAGE')).tag({ repo, tag });
    });

    after(async () => {
      await provider.stop();
      await objects.removeContainers();
      await docker()
        .getImage(rolledImage)
        .remove()
        .catch(() => undefined);
    });

    /** Waits until every invariant holds; on a timeout, prints what the workers logged last. */
    async function check(what: string, expected: Parameters<typeof converged>[4], timeoutMs?: number) {
      try {
        await converged(what, objects, provider.client, provider.network, expected, timeoutMs);
      } catch (error) {
        for (const worker of [provider.worker, ...provider.moreWorkers])
          console.log(`# worker log:\n${worker?.tail()}`);
        throw error;
      }
    }

    /** Kills each worker in turn with SIGKILL a moment after the churn began, and starts it again. */
    async function killWorkersInTurn(): Promise<void> {
      for (let turn = 0; turn < 2; turn += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const index = turn % workerCount;
        if (index === 0) {
          await provider.worker?.kill('SIGKILL');
          await provider.startWorker();
        } else {
          await provider.moreWorkers.splice(index - 1, 1)[0]?.kill('SIGKILL');
          await provider.startAnotherWorker();
        }
      }
    }

    it('a load balancer removed by hand while its Cluster is paused: a new Cluster does not get its endpoint', {
      skip: workerCount > 1 && 'one worker is enough: the endpoint is reserved in the API',
      timeout: 300_000,
    }, async () => {
      const [missing, newcomer] = [uniqueName('missing'), uniqueName('newcomer')];
      await objects.createPair(missing);
      await check(`${missing} ready`, { live: [missing] });
      const endpoint = (await objects.read(missing))?.spec?.controlPlaneEndpoint?.host;
      await objects.patchCluster(missing, { spec: { paused: true } });
      const uid = (await objects.read(missing))?.metadata.uid as string;
      const [container] = await objects.containersOf(uid);
      await docker()
        .getContainer(container?.Id as string)
        .remove({ force: true });

      const created = Date.now();
      // The lowest free address of the provider's half is the one just freed: the newcomer's first choice.
      await objects.createPair(newcomer);
      await check(`${newcomer} ready`, { live: [newcomer] });
      const readyAfter = seconds(created);
      const newcomerEndpoint = (await objects.read(newcomer))?.spec?.controlPlaneEndpoint?.host;
      assert.notEqual(newcomerEndpoint, endpoint, `${newcomer} did not get the endpoint of ${missing}`);

      await objects.patchCluster(missing, { spec: { paused: false } });
      await check(`${missing} back`, { live: [missing] });
      assert.equal((await objects.read(missing))?.spec?.controlPlaneEndpoint?.host, endpoint);
      record({
        group,
        scenario:
          'A load balancer removed by hand while its Cluster is paused; a new Cluster created meanwhile',
        action: `the newcomer's load balancer takes the freed address first (the lowest free one)`,
        result:
          'its endpoint write is refused (EndpointTaken, naming the paused DockerCluster); it moves to another address and is ready; the paused one, resumed, is back on its endpoint',
        measured: `newcomer ready ${readyAfter} after creation (one failed pass, then the 5 s backoff)`,
      });
    });

    it('creates, image rolls and deletes at once: one container each, no endpoint shared or moved', {
      timeout: 600_000,
    }, async () => {
      const first = Array.from({ length: 10 }, (_, index) => uniqueName(`first-${index}`));
      await Promise.all(first.map((name) => objects.createPair(name)));
      await check('the first 10 ready', { live: first }, 240_000);
      const endpointsBefore = await uniqueEndpoints(objects, first);

      const [deleted, rolled, kept] = [first.slice(0, 3), first.slice(3, 8), first.slice(8)];
      const added = Array.from({ length: 8 }, (_, index) => uniqueName(`added-${index}`));
      const churned = Date.now();
      const deletedObjects = await churn(
        objects,
        { deleted, rolled, added, image: rolledImage },
        killWorkersInTurn,
      );
      const live = [...rolled, ...kept, ...added];
      await check('after the churn', { live, deleted: deletedObjects }, 300_000);
      const convergedAfter = seconds(churned);

      const endpoints = await uniqueEndpoints(objects, live);
      for (const name of [...rolled, ...kept]) {
        assert.equal(endpoints.get(name), endpointsBefore.get(name), `the endpoint of ${name} did not move`);
      }
      for (const name of rolled) {
        const object = (await objects.read(name)) as DockerCluster;
        const [container] = await objects.containersOf(object.metadata.uid as string);
        assert.equal(container?.Image, rolledImage, `${name} runs the rolled image`);
      }
      record({
        group,
        scenario: `${workerCount} worker${workerCount > 1 ? 's' : ''} on one engine, SIGKILLed during creates, rolls and deletes`,
        action: `10 ready; then at once 3 Clusters deleted, 5 rolled to another image, 8 created; ${workerCount > 1 ? 'each worker' : 'the worker'} SIGKILLed in turn, twice, and restarted`,
        result: `${live.length} ready with one container each, ${live.length} distinct endpoints, none moved; 3 gone`,
        measured: `converged ${convergedAfter} after the churn began`,
      });
    });
  });
}
