// The stack's second Docker engine (scripts/stack.sh engine2) runs the HAProxy image on its own: its containers
// serve on 127.0.0.1 and the first engine does not see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import Docker from 'dockerode';
import { docker, engine2Socket, eventually, stack, stackEnv, uniqueName } from '../support/stack.js';

describe('the second Docker engine', () => {
  // Left as found: stopped again when this test started it.
  const startedHere = engine2Socket() === undefined;
  let engine2: Docker;
  let container: Docker.Container | undefined;

  before(() => {
    if (startedHere) stack('engine2', 'up');
    const socketPath = engine2Socket();
    assert.ok(socketPath, "'stack.sh env' exports CAPDT_DOCKER_HOST_2 once the second engine is up");
    engine2 = new Docker({ socketPath });
  });

  after(async () => {
    await container?.remove({ force: true, v: true });
    if (startedHere) stack('engine2', 'down');
  });

  /**
   * One try of the scenario. A freshly started engine has, once in a few runs here, left a request unanswered
   * (neither a reply nor an error): a try that does not finish in time is given up and made again.
   */
  async function serveOnce(name: string): Promise<void> {
    container = await engine2.createContainer({
      name,
      Image: stackEnv('CAPDT_LB_IMAGE'),
      ExposedPorts: { '8404/tcp': {} },
      HostConfig: { PortBindings: { '8404/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await container.start();
    const binding = (await container.inspect()).NetworkSettings.Ports['8404/tcp']?.[0];
    assert.equal(binding?.HostIp, '127.0.0.1');

    const page = await eventually('the stats page of the container on the second engine', async () => {
      const response = await fetch(`http://127.0.0.1:${binding?.HostPort}/stats`);
      return response.ok ? await response.text() : undefined;
    });
    assert.match(page, /Statistics Report for HAProxy/);

    const byName = { all: true, filters: { name: [name] } };
    assert.equal((await engine2.listContainers(byName)).length, 1);
    assert.deepEqual(await docker().listContainers(byName), [], 'the first engine has no such container');
  }

  it('serves the HAProxy image on 127.0.0.1 from a container that the first engine does not see', async () => {
    for (let attempt = 1; ; attempt += 1) {
      const name = uniqueName('engine2-haproxy');
      const giveUp = new AbortController();
      const unanswered = setTimeout(20_000, 'unanswered' as const, { signal: giveUp.signal });
      const outcome = await Promise.race([serveOnce(name).then(() => 'served' as const), unanswered]);
      giveUp.abort();
      if (outcome === 'served' || attempt === 3) {
        assert.equal(outcome, 'served', 'the second engine answered within 20 s');
        return;
      }
      await container?.remove({ force: true, v: true }).catch(() => undefined);
    }
  });
});
