// The Docker activities against the stack's real Docker engine and HAProxy image.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import Docker from 'dockerode';
import { writeContainerFiles } from '../../src/activities/container-files.js';
import { create, findOwned, retire } from '../../src/activities/docker/container.js';
import { createDockerActivities } from '../../src/activities/docker.js';
import {
  configDigest,
  configDirectory,
  configFile,
  configPath,
  containerName,
  haproxyConfig,
  kindClusterLabel,
  kindRoleLabel,
  loadedConfigFile,
  ownerFilter,
  ownerUidLabel,
} from '../../src/activities/load-balancer.js';
import type { LoadBalancerSpec } from '../../src/activities/types.js';
import type { DockerClusterRef } from '../../src/api/refs.js';
import { readContainerFile, writeContainerFile } from '../support/container-files.js';
import { capdStyleTemplate } from '../support/haproxy-templates.js';
import {
  eventually,
  freePort,
  removeNetwork,
  repoRoot,
  stackEnv,
  uniqueName,
  uniqueSubnet,
  uniqueSubnetV6,
} from '../support/stack.js';

const engine = new Docker();
const image = stackEnv('CAPDT_LB_IMAGE');
const network = uniqueName('capdt-test');
const settings = { defaultImage: image, network, subnet: uniqueSubnet(), hostIp: '127.0.0.1' };
const activities = createDockerActivities(engine, settings);

/** Every ref and container name a test uses, so that after() removes whatever they left. */
const usedRefs: DockerClusterRef[] = [];
const usedNames = new Set<string>();

function newRef(name = uniqueName('cluster')): DockerClusterRef {
  const ref = { namespace: uniqueName('ns'), name, uid: randomUUID() };
  usedRefs.push(ref);
  usedNames.add(containerName(ref));
  return ref;
}

/** A load balancer of the stack's image for the endpoint port 6443, with no Machines behind it yet. */
function specFor(ref: DockerClusterRef): LoadBalancerSpec {
  return { dockerCluster: ref, clusterName: ref.name, port: 6443, ipFamily: 'IPv4', backends: [] };
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Inspects a container, or returns undefined when the engine has no such container. */
async function inspectOrNothing(nameOrId: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await engine.getContainer(nameOrId).inspect();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

async function ownedContainers(ref: DockerClusterRef): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({ all: true, filters: { label: [ownerFilter(ref)] } });
}

/** Asserts that a promise rejects with an ApplicationFailure of the given type; returns it. */
async function rejectsWithFailure(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  let failure: ApplicationFailure | undefined;
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    assert.equal(error.type, type, error.message);
    failure = error;
    return true;
  });
  assert.ok(failure);
  return failure;
}

/** The host port Docker published a container port on; asserts it is published on 127.0.0.1 only. */
function publishedOnLoopback(details: Docker.ContainerInspectInfo, port: number): string {
  const bindings = details.NetworkSettings.Ports[`${port}/tcp`];
  assert.ok(bindings && bindings.length > 0, `port ${port} is published`);
  for (const binding of bindings) {
    assert.equal(binding.HostIp, '127.0.0.1', `port ${port} is published on 127.0.0.1 only`);
  }
  const hostPort = bindings[0]?.HostPort ?? '';
  assert.match(hostPort, /^[1-9][0-9]*$/);
  return hostPort;
}

after(async () => {
  for (const ref of usedRefs) {
    for (const container of await ownedContainers(ref)) {
      await engine.getContainer(container.Id).remove({ force: true, v: true });
    }
  }
  for (const name of usedNames) {
    if (await inspectOrNothing(name)) await engine.getContainer(name).remove({ force: true, v: true });
  }
  try {
    await removeNetwork(network);
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
});

describe('ensureNetwork', () => {
  it('creates the network, and a second call succeeds without creating another', async () => {
    await assert.rejects(engine.getNetwork(network).inspect(), (error) => statusOf(error) === 404);

    await activities.ensureNetwork();
    const created = await engine.getNetwork(network).inspect();
    assert.equal(created.Name, network);
    assert.equal(created.Driver, 'bridge');

    await activities.ensureNetwork();
    const named = (await engine.listNetworks()).filter((candidate) => candidate.Name === network);
    assert.deepEqual(
      named.map((candidate) => candidate.Id),
      [created.Id],
    );
  });

  it('creates exactly one network when many reconciles ask at once', async () => {
    const racing = uniqueName('capdt-race');
    const racer = createDockerActivities(engine, { ...settings, network: racing, subnet: uniqueSubnet() });
    try {
      await Promise.all(Array.from({ length: 8 }, () => racer.ensureNetwork()));
      const named = (await engine.listNetworks()).filter((candidate) => candidate.Name === racing);
      assert.equal(named.length, 1);
    } finally {
      for (const candidate of (await engine.listNetworks()).filter((c) => c.Name === racing)) {
        await engine.getNetwork(candidate.Id).remove();
      }
    }
  });

  it('removes an unused duplicate of its own network that an earlier race left', async () => {
    const doubled = uniqueName('capdt-dup');
    const racer = createDockerActivities(engine, { ...settings, network: doubled, subnet: uniqueSubnet() });
    try {
      await racer.ensureNetwork();
      const [label] = Object.entries((await engine.getNetwork(doubled).inspect()).Labels ?? {});
      assert.ok(label, 'the provider labels the networks it creates');
      await engine.createNetwork({
        Name: doubled,
        CheckDuplicate: false,
        Labels: Object.fromEntries([label]),
      });
      assert.equal((await engine.listNetworks()).filter((c) => c.Name === doubled).length, 2);
      await racer.ensureNetwork();
      assert.equal((await engine.listNetworks()).filter((c) => c.Name === doubled).length, 1);
    } finally {
      for (const candidate of (await engine.listNetworks()).filter((c) => c.Name === doubled)) {
        await engine.getNetwork(candidate.Id).remove();
      }
    }
  });
});

describe('a load balancer through its life', () => {
  const ref = newRef();
  const spec = specFor(ref);
  let containerId = '';

  it('createLoadBalancer creates one running container, labelled and published on 127.0.0.1', async () => {
    await activities.ensureNetwork();
    const first = await activities.createLoadBalancer(spec);
    assert.equal(first.created, true);
    const second = await activities.createLoadBalancer(spec);
    assert.deepEqual(second, { containerId: first.containerId, created: false });
    containerId = first.containerId;

    assert.deepEqual(
      (await ownedContainers(ref)).map((container) => container.Id),
      [containerId],
    );
    const details = await engine.getContainer(containerId).inspect();
    assert.equal(details.Name, `/${containerName(ref)}`);
    assert.equal(details.Config.Image, image);
    assert.equal(details.State.Running, true);
    assert.equal(details.Config.Labels[kindClusterLabel], ref.name);
    assert.equal(details.Config.Labels[kindRoleLabel], 'external-load-balancer');
    assert.equal(details.Config.Labels[ownerUidLabel], ref.uid);
    assert.ok(details.NetworkSettings.Networks[network], `the container is on network ${network}`);
    publishedOnLoopback(details, 6443);
    publishedOnLoopback(details, 8404);
  });

  it('createLoadBalancer starts the container again when it was stopped', async () => {
    await engine.getContainer(containerId).stop({ t: 1 });
    assert.deepEqual(await activities.createLoadBalancer(spec), { containerId, created: false });
    assert.equal((await engine.getContainer(containerId).inspect()).State.Running, true);
  });

  /** The initial config of the image, which has no monitor URI: /healthz answers 200 only under ours. */
  const imageConfig = () => readFileSync(`${repoRoot}/scripts/haproxy-default.cfg`, 'utf8');

  it('configureLoadBalancer repairs a drifted config with a reload, and leaves a current one alone', async () => {
    const input = { dockerCluster: ref, containerId, port: 6443, ipFamily: 'IPv4' as const, backends: [] };
    const container = engine.getContainer(containerId);
    // createLoadBalancer wrote the config before HAProxy started: nothing to do.
    assert.equal(await readContainerFile(container, configPath), haproxyConfig(input));
    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: false });

    const details = await container.inspect();
    const base = `http://127.0.0.1:${publishedOnLoopback(details, 8404)}`;
    const healthz = async () => (await fetch(`${base}/healthz`)).status;
    // Only the provider's config has a monitor URI; the image's initial config has none.
    await eventually('HAProxy to serve the provider config', async () =>
      (await healthz()) === 200 ? true : undefined,
    );

    // Drift: somebody loads the image's initial config by hand.
    await writeContainerFile(container, configPath, imageConfig());
    await container.kill({ signal: 'SIGHUP' });
    await eventually('the drifted config to be served', async () =>
      (await healthz()) !== 200 ? true : undefined,
    );

    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: true });
    assert.equal(await readContainerFile(container, configPath), haproxyConfig(input));
    await eventually('the reload to serve the provider config again', async () =>
      (await healthz()) === 200 ? true : undefined,
    );
    const page = await (await fetch(`${base}/stats`)).text();
    assert.match(page, /Statistics Report for HAProxy/);
    assert.equal((await container.inspect()).State.Running, true, 'a reload keeps the container running');
  });

  it('configureLoadBalancer reloads a config that was written but never loaded (a crash before the signal)', async () => {
    const input = { dockerCluster: ref, containerId, port: 6443, ipFamily: 'IPv4' as const, backends: [] };
    const container = engine.getContainer(containerId);
    const base = `http://127.0.0.1:${publishedOnLoopback(await container.inspect(), 8404)}`;
    const healthz = async () => (await fetch(`${base}/healthz`)).status;
    // HAProxy runs the image's config, loaded as the provider would have recorded it...
    await writeContainerFiles(container, configDirectory, {
      [configFile]: imageConfig(),
      [loadedConfigFile]: configDigest(imageConfig()),
    });
    await container.kill({ signal: 'SIGHUP' });
    await eventually('the image config to be served', async () =>
      (await healthz()) !== 200 ? true : undefined,
    );
    // ...then the provider's config was written, and the worker died before it sent SIGHUP.
    await writeContainerFile(container, configPath, haproxyConfig(input));

    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: true });
    assert.equal(await healthz(), 200, 'HAProxy serves the config once configureLoadBalancer returns');
    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: false });
  });

  it('configureLoadBalancer fails while HAProxy does not take the reload, and reloads on the next try', async () => {
    const input = { dockerCluster: ref, containerId, port: 6443, ipFamily: 'IPv4' as const, backends: [] };
    const container = engine.getContainer(containerId);
    const master = (await container.inspect()).State.Pid;
    await writeContainerFile(container, configPath, imageConfig());
    // A stopped master process cannot reload: the signal is sent, and no new worker comes.
    process.kill(master, 'SIGSTOP');
    try {
      await assert.rejects(activities.configureLoadBalancer(input), (error) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'ReloadFailed');
        assert.equal(error.nonRetryable, true);
        assert.match(error.message, /did not load its new config within 5 s of SIGHUP/);
        assert.match(error.message, new RegExp(containerName(ref)));
        return true;
      });
    } finally {
      process.kill(master, 'SIGCONT');
    }
    assert.equal(await readContainerFile(container, configPath), haproxyConfig(input));
    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: true });
    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: false });
  });

  it('configureLoadBalancer serves a custom template once HAProxy accepts it, and keeps the last good config when HAProxy refuses one', async () => {
    const input = { dockerCluster: ref, containerId, port: 6443, ipFamily: 'IPv4' as const, backends: [] };
    const container = engine.getContainer(containerId);
    const base = `http://127.0.0.1:${publishedOnLoopback(await container.inspect(), 8404)}`;
    const status = async (path: string) => (await fetch(`${base}${path}`)).status;
    const template = (defaults: string) => ({
      configMap: 'lb-template',
      text: capdStyleTemplate('from-template', defaults),
    });
    const good = template('');
    assert.deepEqual(await activities.configureLoadBalancer({ ...input, template: good }), {
      reloaded: true,
    });
    assert.equal(await status('/from-template'), 200, 'the rendered config is served');
    const served = await readContainerFile(container, configPath);
    assert.match(served, /^ {2}bind \*:6443$/m);

    const refused = await rejectsWithFailure(
      activities.configureLoadBalancer({ ...input, template: template('  no-such-keyword on') }),
      'ConfigRejected',
    );
    assert.equal(refused.nonRetryable, true);
    assert.match(refused.message, /refuses the config rendered from ConfigMap .*\/lb-template/);
    assert.match(refused.message, /no-such-keyword/, "HAProxy's own message");
    assert.equal(await readContainerFile(container, configPath), served, 'the live config is left as it was');
    assert.equal(await status('/from-template'), 200, 'the last good config still serves');

    const unrendered = await rejectsWithFailure(
      activities.configureLoadBalancer({
        ...input,
        template: { configMap: 'lb-template', text: '{{ .Port }}' },
      }),
      'TemplateInvalid',
    );
    assert.match(unrendered.message, /can't evaluate field Port/);
    assert.equal(await readContainerFile(container, configPath), served);

    // Without the template, the provider's own config comes back.
    assert.deepEqual(await activities.configureLoadBalancer(input), { reloaded: true });
    assert.equal(await status('/healthz'), 200);
  });

  it('getLoadBalancerAddress returns the IPv4 address on the provider network', async () => {
    const address = await activities.getLoadBalancerAddress({
      dockerCluster: ref,
      containerId,
      ipFamily: 'IPv4',
      port: 6443,
    });
    const details = await engine.getContainer(containerId).inspect();
    const expected = details.NetworkSettings.Networks[network]?.IPAddress;
    assert.ok(expected, `the container has an address on ${network}`);
    const hostPort = details.NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort;
    assert.deepEqual(address, { containerId, ip: expected, hostPort });
    assert.equal(isIP(address.ip), 4);
  });

  it('inspectLoadBalancer reports the container as it is (running, image, address, host port), stopped too', async () => {
    const input = { dockerCluster: ref, containerId, ipFamily: 'IPv4' as const, port: 6443 };
    const address = await activities.getLoadBalancerAddress(input);
    assert.deepEqual(await activities.inspectLoadBalancer(input), { ...address, running: true, image });
    await engine.getContainer(containerId).stop({ t: 1 });
    assert.equal((await activities.inspectLoadBalancer(input))?.running, false);
    await engine.getContainer(containerId).start();
  });

  it('deleteLoadBalancer removes the container, and a second call is a no-op', async () => {
    assert.deepEqual(await activities.deleteLoadBalancer({ dockerCluster: ref }), { removed: true });
    assert.equal(await inspectOrNothing(containerId), undefined);
    assert.deepEqual(await ownedContainers(ref), []);
    assert.deepEqual(await activities.deleteLoadBalancer({ dockerCluster: ref }), { removed: false });
    assert.equal(
      await activities.inspectLoadBalancer({ dockerCluster: ref, containerId, ipFamily: 'IPv4', port: 6443 }),
      null,
      'inspectLoadBalancer: gone',
    );
  });

  it('configureLoadBalancer and getLoadBalancerAddress fail without retrying once it is gone (the next pass re-creates it)', async () => {
    const configure = await rejectsWithFailure(
      activities.configureLoadBalancer({
        dockerCluster: ref,
        containerId,
        port: 6443,
        ipFamily: 'IPv4',
        backends: [],
      }),
      'LoadBalancerMissing',
    );
    assert.equal(configure.nonRetryable, true);
    const address = await rejectsWithFailure(
      activities.getLoadBalancerAddress({ dockerCluster: ref, containerId, ipFamily: 'IPv4', port: 6443 }),
      'LoadBalancerMissing',
    );
    assert.equal(address.nonRetryable, true);
  });
});

describe('a foreign container with the load balancer name', () => {
  const ref = newRef();
  const name = containerName(ref);
  let foreignId = '';

  async function assertForeignUntouched(): Promise<void> {
    const details = await inspectOrNothing(name);
    assert.ok(details, 'the foreign container still exists');
    assert.equal(details.Id, foreignId);
    assert.equal(details.State.Running, true, 'the foreign container still runs');
    assert.equal(details.Config.Labels[ownerUidLabel], undefined);
  }

  it('makes createLoadBalancer fail with NameConflict and is left alone', async () => {
    await activities.ensureNetwork();
    const foreign = await engine.createContainer({
      name,
      Image: image,
      Labels: { 'example.com/owner': 'somebody-else' },
      HostConfig: { NetworkMode: network },
    });
    foreignId = foreign.id;
    await foreign.start();

    const failure = await rejectsWithFailure(activities.createLoadBalancer(specFor(ref)), 'NameConflict');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, new RegExp(name));
    await assertForeignUntouched();
    assert.deepEqual(await ownedContainers(ref), []);
  });

  it('is left alone by deleteLoadBalancer', async () => {
    assert.deepEqual(await activities.deleteLoadBalancer({ dockerCluster: ref }), { removed: false });
    await assertForeignUntouched();
  });
});

describe('a load-balancer image that does not exist', () => {
  it('fails createLoadBalancer with a non-retryable ImageNotFound and leaves no container', async () => {
    await activities.ensureNetwork();
    const ref = newRef();
    const missing = 'capd-temporal/does-not-exist:never';
    const failure = await rejectsWithFailure(
      activities.createLoadBalancer({ ...specFor(ref), image: missing }),
      'ImageNotFound',
    );
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, new RegExp(missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.deepEqual(await ownedContainers(ref), []);
    assert.equal(await inspectOrNothing(containerName(ref)), undefined);
  });
});

describe('a load balancer holds its endpoint address and host port for good', () => {
  const ref = newRef();
  const base = specFor(ref);
  let pinned: LoadBalancerSpec;

  /** The load balancer's address and published endpoint port, as Docker reports them. */
  async function placeOf(containerId: string) {
    const details = await engine.getContainer(containerId).inspect();
    return {
      ip: details.NetworkSettings.Networks[network]?.IPAddress,
      hostPort: publishedOnLoopback(details, 6443),
    };
  }

  it('is re-created on its address and host port after it was removed by hand', async () => {
    await activities.ensureNetwork();
    const first = await activities.createLoadBalancer(base);
    const place = await placeOf(first.containerId);
    pinned = { ...base, address: place.ip as string, hostPort: place.hostPort };
    await engine.getContainer(first.containerId).remove({ force: true });

    const second = await activities.createLoadBalancer(pinned);
    assert.equal(second.created, true);
    assert.notEqual(second.containerId, first.containerId);
    assert.deepEqual(await placeOf(second.containerId), place);
  });

  it('is replaced when it came back elsewhere (as after an engine restart)', async () => {
    const [current] = await ownedContainers(ref);
    assert.ok(current);
    const place = await placeOf(current.Id);
    // Moved by hand to another address on the same network.
    const moved = engine.getNetwork(network);
    const elsewhere = place.ip?.replace(/\.\d+$/, '.200');
    await moved.disconnect({ Container: current.Id, Force: true });
    await moved.connect({
      Container: current.Id,
      EndpointConfig: { IPAMConfig: { IPv4Address: elsewhere } },
    });
    assert.notEqual((await placeOf(current.Id)).ip, place.ip);

    const replaced = await activities.createLoadBalancer(pinned);
    assert.equal(replaced.created, true);
    assert.deepEqual(await placeOf(replaced.containerId), place);
    assert.equal(await inspectOrNothing(current.Id), undefined, 'the misplaced container is gone');
  });

  it('names the container that took its address, and leaves that container alone', async () => {
    const [current] = await ownedContainers(ref);
    assert.ok(current);
    await engine.getContainer(current.Id).remove({ force: true });
    const squatterName = uniqueName('squatter');
    usedNames.add(squatterName);
    const squatter = await engine.createContainer({
      name: squatterName,
      Image: image,
      HostConfig: { NetworkMode: network },
      NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: pinned.address } } } },
    });
    await squatter.start();

    const failure = await rejectsWithFailure(activities.createLoadBalancer(pinned), 'AddressInUse');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, new RegExp(`${pinned.address?.replaceAll('.', '\\.')}.*${squatterName}`));
    assert.equal((await squatter.inspect()).State.Running, true);

    await squatter.remove({ force: true });
    const back = await activities.createLoadBalancer(pinned);
    assert.deepEqual(await placeOf(back.containerId), { ip: pinned.address, hostPort: pinned.hostPort });
  });

  it('is adopted by the same DockerCluster under a new uid, but only where it holds that endpoint', async () => {
    const [current] = await ownedContainers(ref);
    assert.ok(current);
    const moved = { ...ref, uid: randomUUID() };
    usedRefs.push(moved);
    const otherEndpoint = await rejectsWithFailure(
      activities.createLoadBalancer({
        ...pinned,
        dockerCluster: moved,
        address: '10.255.255.254',
        hostPort: undefined,
      }),
      'InvalidNetwork',
    );
    assert.match(
      otherEndpoint.message,
      /10\.255\.255\.254/,
      'another endpoint is never served by this container',
    );

    const adopted = await activities.createLoadBalancer({ ...pinned, dockerCluster: moved });
    assert.deepEqual(adopted, { containerId: current.Id, created: false });
    const otherCluster = await activities.deleteLoadBalancer({
      dockerCluster: { ...moved, uid: randomUUID() },
      clusterName: 'another-cluster',
      address: pinned.address,
    });
    assert.deepEqual(otherCluster, { removed: false }, 'a different cluster label is not adopted');
    assert.deepEqual(
      await activities.deleteLoadBalancer({
        dockerCluster: moved,
        clusterName: ref.name,
        address: pinned.address,
      }),
      { removed: true },
    );
    assert.equal(await inspectOrNothing(current.Id), undefined);
  });
});

describe('a new load-balancer image rolls the load balancer', () => {
  const ref = newRef();
  const base = specFor(ref);
  const rolledImage = `capd-temporal/haproxy:roll-${uniqueName('test')}`;

  after(async () => {
    await engine
      .getImage(rolledImage)
      .remove()
      .catch(() => undefined);
  });

  it('replaces it by one of the new image on the same address and host port, and says why', async () => {
    await activities.ensureNetwork();
    const first = await activities.createLoadBalancer(base);
    const details = await engine.getContainer(first.containerId).inspect();
    const pinned = {
      ...base,
      address: details.NetworkSettings.Networks[network]?.IPAddress as string,
      hostPort: publishedOnLoopback(details, 6443),
    };
    await engine
      .getImage(image)
      .tag({ repo: 'capd-temporal/haproxy', tag: rolledImage.split(':')[1] as string });

    const missing = await rejectsWithFailure(
      activities.createLoadBalancer({ ...pinned, image: 'capd-temporal/does-not-exist:never' }),
      'ImageNotFound',
    );
    assert.equal(missing.nonRetryable, true);
    assert.equal(
      (await engine.getContainer(first.containerId).inspect()).State.Running,
      true,
      'kept as it was',
    );

    const rolled = await activities.createLoadBalancer({ ...pinned, image: rolledImage });
    assert.equal(rolled.created, true);
    assert.match(
      rolled.replaced ?? '',
      new RegExp(`its image is ${image.replaceAll('.', '\\.')}, not ${rolledImage}`),
    );
    const after = await engine.getContainer(rolled.containerId).inspect();
    assert.equal(after.Config.Image, rolledImage);
    assert.equal(after.NetworkSettings.Networks[network]?.IPAddress, pinned.address);
    assert.equal(publishedOnLoopback(after, 6443), pinned.hostPort);
    assert.equal(await inspectOrNothing(first.containerId), undefined, 'the old one is gone');
    assert.deepEqual(await activities.createLoadBalancer({ ...pinned, image: rolledImage }), {
      containerId: rolled.containerId,
      created: false,
    });
  });
});

describe('a load balancer being re-created on its endpoint address', () => {
  it('keeps the address while other load balancers start meanwhile, which get addresses of their own', async () => {
    await activities.ensureNetwork();
    const ref = newRef();
    const first = await activities.createLoadBalancer(specFor(ref));
    const address = (await engine.getContainer(first.containerId).inspect()).NetworkSettings.Networks[network]
      ?.IPAddress as string;
    // Recorded on another host port than Docker gave it: a replacement, as after an engine restart.
    const hostPort = String(await freePort());
    // Others start throughout the replacement, so that some start while its address is between containers.
    const others = Array.from({ length: 6 }, () => newRef());
    const [replaced, ...created] = await Promise.all([
      activities.createLoadBalancer({ ...specFor(ref), address, hostPort }),
      ...others.map(async (other, index) => {
        await setTimeout(index * 100);
        return await activities.createLoadBalancer(specFor(other));
      }),
    ]);
    assert.ok(replaced?.replaced, 'the load balancer was replaced');
    const after = await engine.getContainer(replaced.containerId).inspect();
    assert.equal(after.NetworkSettings.Networks[network]?.IPAddress, address, 'on its endpoint address');
    assert.equal(publishedOnLoopback(after, 6443), hostPort);
    for (const [index, other] of created.entries()) {
      const details = await engine.getContainer(other.containerId).inspect();
      assert.notEqual(
        details.NetworkSettings.Networks[network]?.IPAddress,
        address,
        `${others[index]?.name} did not take the endpoint address of another DockerCluster`,
      );
    }
  });
});

describe('a replacement interrupted at each of its steps (as by kill -9)', () => {
  const engineOf = { docker: engine, settings };

  /** A load balancer on its recorded endpoint address: a DockerCluster whose endpoint is written. */
  async function pinnedLoadBalancer(): Promise<LoadBalancerSpec & { address: string }> {
    await activities.ensureNetwork();
    const spec = specFor(newRef());
    const { containerId } = await activities.createLoadBalancer(spec);
    const address = (await engine.getContainer(containerId).inspect()).NetworkSettings.Networks[network]
      ?.IPAddress as string;
    return { ...spec, address };
  }

  /** A new load balancer created meanwhile gets an address of its own. */
  async function newcomerAvoids(address: string): Promise<void> {
    const { containerId } = await activities.createLoadBalancer(specFor(newRef()));
    const details = await engine.getContainer(containerId).inspect();
    assert.notEqual(
      details.NetworkSettings.Networks[network]?.IPAddress,
      address,
      'the address stays reserved',
    );
  }

  /** The next attempt finishes the replacement: one container, running, on the endpoint address. */
  async function finished(spec: LoadBalancerSpec & { address: string }): Promise<void> {
    const { containerId } = await activities.createLoadBalancer(spec);
    const details = await engine.getContainer(containerId).inspect();
    assert.equal(details.State.Running, true);
    assert.equal(details.NetworkSettings.Networks[network]?.IPAddress, spec.address);
    assert.deepEqual(
      (await ownedContainers(spec.dockerCluster)).map((container) => container.Id),
      [containerId],
      'the retired container is gone',
    );
  }

  it('after the old container was renamed', async () => {
    const spec = await pinnedLoadBalancer();
    const { current } = await findOwned(engineOf, spec);
    await retire(engineOf, current as Docker.ContainerInfo);
    await newcomerAvoids(spec.address);
    await finished(spec);
  });

  it('after its successor was created, and after the old container was removed', async () => {
    const spec = await pinnedLoadBalancer();
    const { current } = await findOwned(engineOf, spec);
    const retired = await retire(engineOf, current as Docker.ContainerInfo);
    await create(engineOf, spec, image, spec.address);
    await newcomerAvoids(spec.address);
    await engine.getContainer(retired.Id).remove({ force: true });
    await newcomerAvoids(spec.address);
    await finished(spec);
  });

  it('of a load balancer adopted under a new uid (clusterctl move), after its successor was created', async () => {
    const spec = await pinnedLoadBalancer();
    const moved = { ...spec, dockerCluster: { ...spec.dockerCluster, uid: randomUUID() } };
    usedRefs.push(moved.dockerCluster);
    const { current } = await findOwned(engineOf, moved);
    const retired = await retire(engineOf, current as Docker.ContainerInfo);
    await create(engineOf, moved, image, moved.address);
    await finished(moved);
    assert.equal(await inspectOrNothing(retired.Id), undefined, 'the adopted container it replaced is gone');
  });
});

describe("an address that is another DockerCluster's endpoint in the API", () => {
  it('moves a load balancer without an endpoint of its own off it, and chooses no such address', async () => {
    await activities.ensureNetwork();
    const spec = specFor(newRef());
    const first = await activities.createLoadBalancer(spec);
    const taken = (await engine.getContainer(first.containerId).inspect()).NetworkSettings.Networks[network]
      ?.IPAddress as string;

    const moved = await activities.createLoadBalancer({ ...spec, avoid: [taken] });
    assert.match(moved.replaced ?? '', new RegExp(`its address ${taken.replaceAll('.', '\\.')} is another`));
    const details = await engine.getContainer(moved.containerId).inspect();
    assert.notEqual(details.NetworkSettings.Networks[network]?.IPAddress, taken);
    assert.equal(details.State.Running, true);
  });
});

describe('two DockerClusters with one endpoint (left by an earlier version)', () => {
  it('are both told, each naming the other, and neither load balancer is removed', async () => {
    await activities.ensureNetwork();
    const holder = newRef();
    const created = await activities.createLoadBalancer(specFor(holder));
    const address = (await engine.getContainer(created.containerId).inspect()).NetworkSettings.Networks[
      network
    ]?.IPAddress as string;
    const claimant = newRef();

    const taken = await rejectsWithFailure(
      activities.createLoadBalancer({ ...specFor(claimant), address }),
      'AddressInUse',
    );
    assert.match(taken.message, new RegExp(`DockerCluster ${holder.namespace}/${holder.name}`));
    const shared = await rejectsWithFailure(
      activities.createLoadBalancer({ ...specFor(holder), address }),
      'EndpointShared',
    );
    assert.match(shared.message, new RegExp(`DockerCluster ${claimant.namespace}/${claimant.name}`));
    assert.equal((await engine.getContainer(created.containerId).inspect()).State.Running, true);
    assert.equal((await ownedContainers(claimant)).length, 1, "the claimant's container keeps its claim");
  });
});

describe('IPv6 and dual-stack Clusters', () => {
  const ipv6Network = uniqueName('capdt-test-v6');
  const subnetV6 = uniqueSubnetV6();
  const ipv6 = createDockerActivities(engine, {
    ...settings,
    network: ipv6Network,
    subnet: uniqueSubnet(),
    subnetV6,
  });

  after(async () => {
    for (const ref of usedRefs) await ipv6.deleteLoadBalancer({ dockerCluster: ref });
    await removeNetwork(ipv6Network).catch(() => undefined);
  });

  it('an IPv6 Cluster gets an IPv6 endpoint on a network the provider created with its IPv6 subnet', async () => {
    await ipv6.ensureNetwork();
    const network = await engine.getNetwork(ipv6Network).inspect();
    assert.equal(network.EnableIPv6, true);
    assert.ok(network.IPAM?.Config?.some((config) => config.Subnet === subnetV6));

    const ref = newRef();
    const spec: LoadBalancerSpec = { ...specFor(ref), ipFamily: 'IPv6' };
    const { containerId } = await ipv6.createLoadBalancer(spec);
    const address = await ipv6.getLoadBalancerAddress({
      dockerCluster: ref,
      containerId,
      ipFamily: 'IPv6',
      port: 6443,
    });
    assert.equal(isIP(address.ip), 6);
    assert.ok(address.ip.startsWith(`${subnetV6.split('::')[0]}:`), `${address.ip} is in ${subnetV6}`);
    const config = await readContainerFile(engine.getContainer(containerId), configPath);
    assert.match(config, /bind :::6443 v4v6/);
    assert.equal(
      (await engine.getContainer(containerId).inspect()).State.Running,
      true,
      'HAProxy runs with it',
    );
  });

  it('an IPv6 or dual-stack Cluster on a network without IPv6 is told so, and nothing is created', async () => {
    await activities.ensureNetwork();
    for (const ipFamily of ['IPv6', 'DualStack'] as const) {
      const ref = newRef();
      const failure = await rejectsWithFailure(
        activities.createLoadBalancer({ ...specFor(ref), ipFamily }),
        'NetworkWithoutIPv6',
      );
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, new RegExp(`network ${network} has no IPv6`));
      assert.match(failure.message, /CAPDT_NETWORK_SUBNET_V6/);
      assert.deepEqual(await ownedContainers(ref), []);
    }
  });
});
