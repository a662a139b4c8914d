// The stack's Docker engine runs the local HAProxy image, which serves and reloads like the upstream one.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { readContainerFile, writeContainerFile } from '../support/container-files.js';
import { docker, eventually, stackEnv, uniqueName } from '../support/stack.js';

const configPath = '/usr/local/etc/haproxy/haproxy.cfg';

function statsConfig(uri: string): string {
  return `global\n  maxconn 256\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\nfrontend stats\n  bind *:8404\n  stats enable\n  stats uri ${uri}\n`;
}

async function statusOf(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('Docker engine and the HAProxy image', () => {
  const engine = docker();
  let container: Docker.Container | undefined;

  after(async () => {
    await container?.remove({ force: true, v: true });
  });

  it('starts haproxy, serves its stats page on 127.0.0.1 and reloads a new config on SIGHUP', async () => {
    const image = stackEnv('CAPDT_LB_IMAGE');
    const imageInfo = await engine.getImage(image).inspect();
    assert.deepEqual(imageInfo.Config.Entrypoint, ['haproxy', '-W', '-db', '-f', configPath]);

    container = await engine.createContainer({
      name: uniqueName('smoke-haproxy'),
      Image: image,
      ExposedPorts: { '8404/tcp': {} },
      HostConfig: { PortBindings: { '8404/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await container.start();
    const binding = (await container.inspect()).NetworkSettings.Ports['8404/tcp']?.[0];
    assert.equal(binding?.HostIp, '127.0.0.1');
    const base = `http://127.0.0.1:${binding?.HostPort}`;

    const page = await eventually('the stats page', async () => {
      const response = await fetch(`${base}/stats`);
      return response.ok ? await response.text() : undefined;
    });
    assert.match(page, /Statistics Report for HAProxy/);

    await writeContainerFile(container, configPath, statsConfig('/reloaded'));
    assert.equal(await readContainerFile(container, configPath), statsConfig('/reloaded'));
    await container.kill({ signal: 'SIGHUP' });

    await eventually('the reloaded config to serve /reloaded', async () =>
      (await statusOf(`${base}/reloaded`)) === 200 ? true : undefined,
    );
    assert.notEqual(await statusOf(`${base}/stats`), 200, 'the old stats URI is gone after the reload');
    assert.equal((await container.inspect()).State.Running, true, 'a reload keeps the container running');
  });
});
