// The load balancer's name and HAProxy config, without Docker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { containerName, haproxyConfig } from '../../src/activities/load-balancer.js';
import type { DockerClusterRef } from '../../src/activities/types.js';

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
  const ipv4 = haproxyConfig({ port: 6443, ipFamily: 'IPv4' });

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
    const config = haproxyConfig({ port: 7443, ipFamily: 'IPv4' });
    assert.match(config, /^\s*bind \*:7443$/m);
    assert.doesNotMatch(config, /:6443/);
  });

  it('binds both address families for IPv6', () => {
    const config = haproxyConfig({ port: 6443, ipFamily: 'IPv6' });
    assert.match(config, /^\s*bind :::6443 v4v6$/m);
    assert.doesNotMatch(config, /bind \*:6443/);
  });

  for (const port of [0, 65536, 1.5, Number.NaN, -1]) {
    it(`throws RangeError for port ${port}`, () => {
      assert.throws(() => haproxyConfig({ port, ipFamily: 'IPv4' }), RangeError);
      assert.throws(() => haproxyConfig({ port, ipFamily: 'IPv6' }), RangeError);
    });
  }

  it('accepts the edge ports 1 and 65535', () => {
    assert.match(haproxyConfig({ port: 1, ipFamily: 'IPv4' }), /bind \*:1$/m);
    assert.match(haproxyConfig({ port: 65535, ipFamily: 'IPv4' }), /bind \*:65535$/m);
  });
});
