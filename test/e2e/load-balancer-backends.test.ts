// The load balancer fronts real API servers: two kube-apiserver processes (the stack's own binary, in
// containers on the provider's network, sharing one etcd) are the control-plane Machines of a Cluster. The
// test plays the infrastructure provider of those Machines (it writes their addresses, as CAPD's machine
// controller would); CAPI's own controllers run as everywhere else. Every call from the host goes to the
// load balancer's ports published on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { writeContainerFiles } from '../../src/activities/container-files.js';
import { clusterNameLabel, controlPlaneLabel, machineResource } from '../../src/api/capi.js';
import { mergePatch } from '../../src/clients.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { record, seconds } from '../support/reliability.js';
import { docker, eventually, kubeConfig, repoRoot, uniqueName } from '../support/stack.js';
import { installTestKind, testMachine } from '../support/test-kinds.js';

/** Keeps a deleted Machine in its deletion, so that the drained state can be seen. */
const holdFinalizer = 'test.capd-temporal.io/hold';

interface Server {
  name: string;
  status: string;
  weight: string;
}

/** GET https://127.0.0.1:<port>/healthz through the load balancer; the API servers' certificates are self-signed. */
function healthz(port: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(
      { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 5_000 },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', reject);
    call.end();
  });
}

describe('the load balancer in front of real API servers, one per control-plane Machine', () => {
  const engine = docker();
  const api = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  const containers: Docker.Container[] = [];
  let objects: TestObjects;
  let provider: RunningProvider;

  before(async () => {
    installTestKind(testMachine);
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace, ipv6: true });
  });

  after(async () => {
    await Promise.all(
      containers.map((container) => container.remove({ force: true }).catch(() => undefined)),
    );
    await provider.stop();
  });

  /** A container of the control-plane image on the provider's network, started with the given files in /tmp. */
  async function run(name: string, command: string[], files: Record<string, string> = {}) {
    const image = execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, 'control-plane-image'], {
      encoding: 'utf8',
    }).trim();
    const container = await engine.createContainer({
      name,
      Image: image,
      Cmd: command,
      HostConfig: { NetworkMode: provider.network },
    });
    containers.push(container);
    if (Object.keys(files).length > 0) await writeContainerFiles(container, '/tmp', files);
    await container.start();
    return container;
  }

  async function startApiServers(prefix: string) {
    const etcd = await run(`${prefix}-etcd`, [
      'etcd',
      '--data-dir=/tmp/etcd',
      '--listen-client-urls=http://0.0.0.0:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
      '--unsafe-no-fsync',
    ]);
    // By address: the image has no name resolution of its own (the binaries are all it holds).
    const etcdUrl = `http://${await addressOf(etcd)}:2379`;
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const apiServer = (name: string) =>
      run(
        name,
        [
          'kube-apiserver',
          `--etcd-servers=${etcdUrl}`,
          '--secure-port=6443',
          '--cert-dir=/tmp/certs',
          // RBAC's bootstrap policy lets anonymous callers, as HAProxy's checks are, read /healthz.
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--service-account-issuer=https://kubernetes.default.svc',
          '--service-account-key-file=/tmp/sa.pub',
          '--service-account-signing-key-file=/tmp/sa.key',
        ],
        { 'sa.pub': publicKey, 'sa.key': privateKey },
      );
    return await Promise.all([apiServer(`${prefix}-cp-a`), apiServer(`${prefix}-cp-b`)]);
  }

  async function addressOf(container: Docker.Container): Promise<string> {
    const details = await container.inspect();
    return details.NetworkSettings.Networks[provider.network]?.IPAddress as string;
  }

  /** A control-plane Machine of the Cluster at the address its infrastructure reports. */
  async function createMachine(cluster: string, name: string, address: string): Promise<void> {
    const { namespace } = objects;
    await api.createNamespacedCustomObject({
      ...machineResource,
      namespace,
      body: {
        apiVersion: `${machineResource.group}/${machineResource.version}`,
        kind: 'Machine',
        metadata: {
          name,
          labels: { [clusterNameLabel]: cluster, [controlPlaneLabel]: '' },
          finalizers: [holdFinalizer],
        },
        spec: {
          clusterName: cluster,
          bootstrap: { dataSecretName: `${name}-bootstrap` },
          // No TestMachine is ever created: CAPI finds none, and a deleted Machine goes without waiting for one.
          infrastructureRef: { apiGroup: testMachine.group, kind: testMachine.kind, name },
        },
      },
    });
    await api.patchNamespacedCustomObjectStatus(
      {
        ...machineResource,
        namespace,
        name,
        body: { status: { addresses: [{ type: 'InternalIP', address }] } },
      },
      mergePatch,
    );
  }

  /** Takes the test's finalizer off a Machine (CAPI's own stays). */
  async function releaseMachine(name: string): Promise<void> {
    const target = { ...machineResource, namespace: objects.namespace, name };
    const machine = (await api.getNamespacedCustomObject(target)) as k8s.KubernetesObject;
    const finalizers = machine.metadata?.finalizers?.filter((finalizer) => finalizer !== holdFinalizer);
    await api.patchNamespacedCustomObject(
      {
        ...target,
        body: { metadata: { finalizers, resourceVersion: machine.metadata?.resourceVersion } },
      },
      mergePatch,
    );
  }

  it('serves through both API servers, keeps serving with one stopped, drains then removes a deleted Machine', async () => {
    const name = uniqueName('fronted');
    await objects.createPair(name);
    const ready = await objects.untilReady(name);
    const [container] = await objects.containersOf(ready.metadata.uid as string);
    assert.ok(container);
    const published = (await engine.getContainer(container.Id).inspect()).NetworkSettings.Ports;
    const endpointPort = published['6443/tcp']?.[0]?.HostPort as string;
    const statsPort = published['8404/tcp']?.[0]?.HostPort as string;
    const servers = async (): Promise<Map<string, Server>> => {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
      const rows = csv.split('\n').map((line) => line.split(','));
      const header = rows[0]?.map((title) => title.replace(/^# /, '')) ?? [];
      const column = (row: string[], title: string) => row[header.indexOf(title)] ?? '';
      return new Map(
        rows
          .filter((row) => column(row, 'pxname') === 'kube-apiservers' && column(row, 'svname') !== 'BACKEND')
          .map((row) => {
            const server = {
              name: column(row, 'svname'),
              status: column(row, 'status'),
              weight: column(row, 'weight'),
            };
            return [server.name, server];
          }),
      );
    };
    const until = (what: string, check: (current: Map<string, Server>) => boolean, timeoutMs = 60_000) =>
      eventually(what, async () => (check(await servers()) ? true : undefined), timeoutMs);
    assert.equal((await servers()).size, 0, 'no Machines, no servers');

    const [first, second] = await startApiServers(name);
    assert.ok(first && second);
    const machines = [`${name}-cp-a`, `${name}-cp-b`];
    const machinesAt = Date.now();
    await createMachine(name, machines[0] as string, await addressOf(first));
    await createMachine(name, machines[1] as string, await addressOf(second));
    await until('both Machines in the config', (current) =>
      machines.every((machine) => current.has(machine)),
    );
    const listedAfter = seconds(machinesAt);
    await until(
      'both API servers UP',
      (current) => machines.every((machine) => current.get(machine)?.status === 'UP'),
      120_000,
    );
    const upAfter = seconds(machinesAt);
    assert.deepEqual(await healthz(endpointPort), { status: 200, body: 'ok' });

    await first.stop({ t: 1 });
    await until(
      'the stopped API server DOWN',
      (current) => current.get(machines[0] as string)?.status === 'DOWN',
    );
    for (let call = 0; call < 5; call += 1) {
      assert.deepEqual(await healthz(endpointPort), { status: 200, body: 'ok' }, 'served by the other one');
    }

    await first.start();
    await until(
      'the restarted API server UP again',
      (current) => current.get(machines[0] as string)?.status === 'UP',
      120_000,
    );
    const deletedAt = Date.now();
    await api.deleteNamespacedCustomObject({
      ...machineResource,
      namespace: objects.namespace,
      name: machines[1] as string,
    });
    await until(
      'the deleted Machine drained',
      (current) => current.get(machines[1] as string)?.weight === '0',
    );
    const drainedAfter = seconds(deletedAt);
    assert.deepEqual(await healthz(endpointPort), { status: 200, body: 'ok' });
    const releasedAt = Date.now();
    await releaseMachine(machines[1] as string);
    await until('the deleted Machine removed', (current) => !current.has(machines[1] as string));
    const removedAfter = seconds(releasedAt);
    assert.deepEqual([...(await servers()).keys()], [machines[0]]);
    assert.deepEqual(await healthz(endpointPort), { status: 200, body: 'ok' });

    await releaseMachine(machines[0] as string);
    await objects.deleteCluster(name);
    await objects.untilClusterGone(name);
    record({
      group: 'Load balancer backends',
      scenario: 'two real API servers behind the load balancer',
      action:
        'two kube-apiserver containers as control-plane Machines; one stopped and started; the other Machine deleted (held by a finalizer), then released',
      result:
        'both servers in the config and UP, /healthz 200 through the endpoint; the stopped one DOWN and calls still 200; the deleted Machine drained (weight 0), then removed',
      measured: `Machines created → in config ${listedAfter}, both UP ${upAfter}; Machine deleted → drained ${drainedAfter}; released → removed ${removedAfter}`,
    });
  });

  it("IPv6 and dual-stack Clusters: the endpoint follows the Cluster's family, on a network with IPv6", async () => {
    const network = (pods: string[]) => ({ clusterNetwork: { pods: { cidrBlocks: pods } } });
    const readyAfter: string[] = [];
    for (const [family, pods, endpointFamily] of [
      ['IPv6', ['fd00:100::/48'], 6],
      ['dual-stack', ['192.168.0.0/16', 'fd00:100::/48'], 4],
    ] as const) {
      const name = uniqueName(family === 'IPv6' ? 'ipv6' : 'dual');
      const appliedAt = Date.now();
      await objects.createCluster(name, network([...pods]));
      await objects.createDockerCluster(name);
      const ready = await objects.untilReady(name);
      readyAfter.push(`${family} ${seconds(appliedAt)}`);
      const host = ready.spec?.controlPlaneEndpoint?.host ?? '';
      assert.equal(isIP(host), endpointFamily, `${family}: endpoint ${host}`);
      const cluster = await eventually(`CAPI to copy the ${family} endpoint`, async () => {
        const current = await objects.readCluster(name);
        return current?.spec?.controlPlaneEndpoint?.host ? current : undefined;
      });
      assert.equal(cluster.spec?.controlPlaneEndpoint?.host, host);
      await objects.deleteCluster(name);
      await objects.untilClusterGone(name);
    }
    record({
      group: 'Load balancer backends',
      scenario: 'IPv6 and dual-stack Clusters',
      action:
        'a Cluster with IPv6 pod CIDRs and one with IPv4 and IPv6, on a provider whose network has an IPv6 subnet',
      result:
        'both Ready: the IPv6 Cluster on an IPv6 endpoint, the dual-stack one on IPv4 (HAProxy listening on both); CAPI copied each endpoint',
      measured: `apply → Ready: ${readyAfter.join(', ')}`,
    });
  });
});
