// The Docker event stream of the real engine: which changes to a load balancer ask its workflow for a pass.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { containerLabels } from '../../src/activities/load-balancer.js';
import type { DockerClusterRef } from '../../src/api/refs.js';
import { logger } from '../../src/logger.js';
import { followDockerEvents } from '../../src/watcher/docker-events.js';
import { docker, eventually, removeNetwork, stackEnv, uniqueName, uniqueSubnet } from '../support/stack.js';

const engine = docker();
const network = uniqueName('capdt-events');
const asked: DockerClusterRef[] = [];
let follower: ReturnType<typeof followDockerEvents>;

/** A running container with a load balancer's labels (and one without), on the test's network. */
async function runContainer(ref?: DockerClusterRef) {
  const container = await engine.createContainer({
    name: uniqueName('events'),
    Image: stackEnv('CAPDT_LB_IMAGE'),
    Labels: ref ? containerLabels(ref, ref.name) : {},
    HostConfig: { NetworkMode: network },
  });
  await container.start();
  return container;
}

function newRef(): DockerClusterRef {
  return { namespace: uniqueName('ns'), name: uniqueName('dc'), uid: randomUUID() };
}

async function untilAskedFor(ref: DockerClusterRef, since: number): Promise<number> {
  await eventually(`a pass asked for ${ref.name}`, async () =>
    asked.slice(since).some((each) => each.uid === ref.uid) ? true : undefined,
  );
  return asked.length;
}

describe('followDockerEvents', () => {
  before(async () => {
    await engine.createNetwork({ Name: network, IPAM: { Config: [{ Subnet: uniqueSubnet() }] } });
    follower = followDockerEvents({ docker: engine, network, logger, changed: (ref) => asked.push(ref) });
    // The stream is open once an event of ours arrives.
    const probe = newRef();
    const container = await runContainer(probe);
    await container.remove({ force: true });
    await untilAskedFor(probe, 0);
  });

  after(async () => {
    follower.stop();
    await removeNetwork(network);
  });

  it('asks for a pass when a load balancer is stopped, killed or removed', async () => {
    const ref = newRef();
    const container = await runContainer(ref);
    let seen = asked.length;
    await container.stop({ t: 0 });
    seen = await untilAskedFor(ref, seen);
    await container.start();
    await container.kill();
    seen = await untilAskedFor(ref, seen);
    await container.remove({ force: true });
    await untilAskedFor(ref, seen);
  });

  it('asks for a pass when a load balancer is disconnected from the network', async () => {
    const ref = newRef();
    const container = await runContainer(ref);
    const seen = asked.length;
    await engine.getNetwork(network).disconnect({ Container: container.id });
    await untilAskedFor(ref, seen);
    await container.remove({ force: true });
  });

  it('asks for nothing for containers that are not load balancers', async () => {
    const seen = asked.length;
    const foreign = await runContainer();
    await foreign.remove({ force: true });
    // Removed after the foreign one: once its pass is asked for, the foreign events have been read.
    const marker = newRef();
    await (await runContainer(marker)).remove({ force: true });
    await untilAskedFor(marker, seen);
    assert.deepEqual(
      asked.slice(seen).filter((ref) => ref.uid !== marker.uid),
      [],
    );
  });
});
