// The load balancer's name and HAProxy config, without Docker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { containerName, haproxyConfig } from '../../src/activities/load-balancer.js';
import type { Backend, IpFamily } from '../../src/activities/types.js';
import { backendAddressOf } from '../../src/activities/views.js';
import type { Machine } from '../../src/api/capi.js';
import type { DockerClusterRef } from '../../src/api/refs.js';

const dockerNameRule = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function ref(namespace: string, name: string, uid = randomUUID()): DockerClusterRef {
  return { namespace, name, uid };
}

/** A DNS-1123 subdomain of the given length, such as Kubernetes allows for object names (up to 253). */
function longName(length: number, letter: string): string {
  return Array.from({ length }, (_, i) => (i % 10 === 9 ? '.' : letter))
    .join('')
    .replace(/\.$/, letter);
}

describe('containerName', () => {
  it('stays within 63 characters and Docker name rules for the longest namespace and name', () => {
    const name = longName(253, 'n');
    const namespace = 'm'.repeat(63);
    assert.equal(name.length, 253);
    const result = containerName(ref(namespace, name));
    assert.ok(result.length <= 63, `${result} has ${result.length} characters`);
    assert.match(result, dockerNameRule);
  });

  it('leaves no dangling dot or dash wherever the cut falls', () => {
    for (let length = 36; length <= 52; length++) {
      const name = `${'a'.repeat(length)}.b-c.d-e.f-g.h-i.j-k.l`;
      const result = containerName(ref('ns', name));
      assert.ok(result.length <= 63, `${result} has ${result.length} characters`);
      assert.match(result, dockerNameRule);
      assert.doesNotMatch(result, /[-.]-[0-9a-f]{8}-lb$/, `${result} has a dangling separator`);
    }
  });

  it('is readable for short names', () => {
    const result = containerName(ref('default', 'my-cluster'));
    assert.match(result, /^default-my-cluster-[0-9a-f]{8}-lb$/);
  });

  it('differs for the same name in two namespaces', () => {
    assert.notEqual(containerName(ref('team-a', 'prod')), containerName(ref('team-b', 'prod')));
  });

  it('differs for two long namespaces that share their first 63 characters', () => {
    const name = longName(253, 'x');
    const prefix = 'p'.repeat(62);
    assert.notEqual(containerName(ref(`${prefix}a`, name)), containerName(ref(`${prefix}b`, name)));
  });

  it('differs for a re-created object (same namespace and name, another uid)', () => {
    assert.notEqual(containerName(ref('default', 'my-cluster')), containerName(ref('default', 'my-cluster')));
  });

  it('is stable for the same ref', () => {
    const same = ref('default', 'my-cluster');
    assert.equal(containerName(same), containerName({ ...same }));
  });
});

describe('haproxyConfig', () => {
  const ipv4 = haproxyConfig({ port: 6443, ipFamily: 'IPv4', backends: [] });

  it('binds the control plane on the endpoint port for IPv4', () => {
    assert.match(ipv4, /^\s*bind \*:6443$/m);
    assert.doesNotMatch(ipv4, /v4v6/);
  });

  it('has a stats frontend on 8404', () => {
    assert.match(ipv4, /^frontend stats\n(?: {2}.*\n)*? {2}bind \*:8404$/m);
    assert.match(ipv4, /^\s*stats uri \/stats$/m);
  });

  it('sends the control plane to backend kube-apiservers, health-checked on /healthz', () => {
    assert.match(ipv4, /^\s*default_backend kube-apiservers$/m);
    assert.match(ipv4, /^backend kube-apiservers\n(?: {2}.*\n)*? {2}option httpchk GET \/healthz$/m);
  });

  it('uses another endpoint port when asked', () => {
    const config = haproxyConfig({ port: 7443, ipFamily: 'IPv4', backends: [] });
    assert.match(config, /^\s*bind \*:7443$/m);
    assert.doesNotMatch(config, /:6443/);
  });

  it('binds both address families for a dual-stack Cluster too', () => {
    assert.match(
      haproxyConfig({ port: 6443, ipFamily: 'DualStack', backends: [] }),
      /^\s*bind :::6443 v4v6$/m,
    );
  });

  it('binds both address families for IPv6', () => {
    const config = haproxyConfig({ port: 6443, ipFamily: 'IPv6', backends: [] });
    assert.match(config, /^\s*bind :::6443 v4v6$/m);
    assert.doesNotMatch(config, /bind \*:6443/);
  });

  for (const port of [0, 65536, 1.5, Number.NaN, -1]) {
    it(`throws RangeError for port ${port}`, () => {
      assert.throws(() => haproxyConfig({ port, ipFamily: 'IPv4', backends: [] }), RangeError);
      assert.throws(() => haproxyConfig({ port, ipFamily: 'IPv6', backends: [] }), RangeError);
    });
  }

  it('accepts the edge ports 1 and 65535', () => {
    assert.match(haproxyConfig({ port: 1, ipFamily: 'IPv4', backends: [] }), /bind \*:1$/m);
    assert.match(haproxyConfig({ port: 65535, ipFamily: 'IPv4', backends: [] }), /bind \*:65535$/m);
  });
});

describe('haproxyConfig backends', () => {
  const withBackends = (backends: Backend[], ipFamily: IpFamily = 'IPv4') =>
    haproxyConfig({ port: 6443, ipFamily, backends });
  const servers = (config: string) => config.split('\n').filter((line) => line.trim().startsWith('server '));

  it('has one health-checked TLS server per Machine on the API server port, in name order', () => {
    const config = withBackends([
      { name: 'cp-b', address: '172.18.0.8', draining: false },
      { name: 'cp-a', address: '172.18.0.7', draining: false },
    ]);
    assert.deepEqual(servers(config), [
      '  server cp-a 172.18.0.7:6443 weight 1 check check-ssl verify none',
      '  server cp-b 172.18.0.8:6443 weight 1 check check-ssl verify none',
    ]);
  });

  it('gives a Machine that is being deleted weight 0: no new connections', () => {
    const [line] = servers(withBackends([{ name: 'cp-a', address: '172.18.0.7', draining: true }]));
    assert.match(line ?? '', /weight 0 /);
  });

  it('brackets IPv6 addresses', () => {
    const [line] = servers(withBackends([{ name: 'cp-a', address: 'fd00::7', draining: false }], 'IPv6'));
    assert.match(line ?? '', / \[fd00::7\]:6443 /);
  });

  for (const backend of [
    { name: 'cp-a', address: '172.18.0.7\n  server evil 1.2.3.4', draining: false },
    { name: 'cp-a', address: 'example.com', draining: false },
    { name: 'cp a', address: '172.18.0.7', draining: false },
    { name: 'CP-A', address: '172.18.0.7', draining: false },
  ]) {
    it(`refuses a backend that is not a Machine name and an IP address: ${JSON.stringify(backend)}`, () => {
      assert.throws(() => withBackends([backend]), RangeError);
    });
  }
});

describe('backendAddressOf', () => {
  const machine = (addresses: { type: string; address: string }[]): Machine => ({
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Machine',
    metadata: { name: 'cp-a' },
    status: { addresses },
  });

  it("prefers the internal address of the Cluster's family", () => {
    const addresses = [
      { type: 'Hostname', address: 'cp-a' },
      { type: 'ExternalIP', address: '203.0.113.5' },
      { type: 'InternalIP', address: 'fd00::7' },
      { type: 'InternalIP', address: '172.18.0.7' },
    ];
    assert.equal(backendAddressOf(machine(addresses), 'IPv4'), '172.18.0.7');
    assert.equal(backendAddressOf(machine(addresses), 'IPv6'), 'fd00::7');
    assert.equal(
      backendAddressOf(machine([{ type: 'ExternalIP', address: '203.0.113.5' }]), 'IPv4'),
      '203.0.113.5',
    );
  });

  it('has none while the Machine reports no address', () => {
    assert.equal(backendAddressOf(machine([]), 'IPv4'), undefined);
    assert.equal(backendAddressOf(machine([{ type: 'Hostname', address: 'cp-a' }]), 'IPv4'), undefined);
  });
});
