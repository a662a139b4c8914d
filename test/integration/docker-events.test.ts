// The Docker event stream of the real engine: which changes to a load balancer ask its workflow for a pass.
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

/** A running container with a load balancer's labels, on the test's network. */
async function runContainer(ref: DockerClusterRef) {
  const container = await engine.createContainer({
    name: uniqueName('events'),
    Image: stackEnv('CAPDT_LB_IMAGE'),
    Labels: containerLabels(ref, ref.name),
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
});
