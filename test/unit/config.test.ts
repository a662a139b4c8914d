// The provider's configuration from the environment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

function configError(setting: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, new RegExp(`\\b${setting}\\b`));
    return true;
  };
}

describe('loadConfig', () => {
  it('has defaults for an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.CAPDT_NETWORK, 'kind');
    assert.equal(config.CAPDT_HOST_IP, '127.0.0.1');
    assert.equal(config.CAPDT_LB_IMAGE, 'kindest/haproxy:v20230606-42a2262b');
    assert.equal(config.CAPDT_RESYNC_SECONDS, 3600);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ CAPDT_NETWORK: '', CAPDT_HOST_IP: '', CAPDT_RESYNC_SECONDS: '' });
    assert.equal(config.CAPDT_NETWORK, 'kind');
    assert.equal(config.CAPDT_HOST_IP, '127.0.0.1');
    assert.equal(config.CAPDT_RESYNC_SECONDS, 3600);
  });

  it('takes valid values from the environment', () => {
    const config = loadConfig({
      CAPDT_NETWORK: 'capdt_test.net-1',
      CAPDT_HOST_IP: '::1',
      CAPDT_RESYNC_SECONDS: '60',
      CAPDT_LB_IMAGE: 'registry.example:5000/haproxy:1.0',
    });
    assert.equal(config.CAPDT_NETWORK, 'capdt_test.net-1');
    assert.equal(config.CAPDT_HOST_IP, '::1');
    assert.equal(config.CAPDT_RESYNC_SECONDS, 60);
    assert.equal(config.CAPDT_LB_IMAGE, 'registry.example:5000/haproxy:1.0');
  });

  it('rejects a host IP that is not an IP address', () => {
    assert.throws(() => loadConfig({ CAPDT_HOST_IP: 'not-an-ip' }), configError('CAPDT_HOST_IP'));
  });

  it('rejects a resync interval of 0 seconds', () => {
    assert.throws(() => loadConfig({ CAPDT_RESYNC_SECONDS: '0' }), configError('CAPDT_RESYNC_SECONDS'));
  });

  it('rejects a resync interval that is not a number', () => {
    assert.throws(() => loadConfig({ CAPDT_RESYNC_SECONDS: 'often' }), configError('CAPDT_RESYNC_SECONDS'));
  });

  it('takes an IPv6 network subnet, and refuses one that is not an IPv6 CIDR', () => {
    assert.equal(loadConfig({}).CAPDT_NETWORK_SUBNET_V6, undefined, 'IPv4 only unless asked');
    assert.equal(
      loadConfig({ CAPDT_NETWORK_SUBNET_V6: 'fd00:ca9d::/64' }).CAPDT_NETWORK_SUBNET_V6,
      'fd00:ca9d::/64',
    );
    for (const value of ['172.30.0.0/16', 'fd00:ca9d::', 'fd00:ca9d::/32', 'fd00:ca9d::/64/1']) {
      assert.throws(
        () => loadConfig({ CAPDT_NETWORK_SUBNET_V6: value }),
        configError('CAPDT_NETWORK_SUBNET_V6'),
      );
    }
  });

  it('rejects a network name Docker would refuse', () => {
    assert.throws(() => loadConfig({ CAPDT_NETWORK: 'bad name!' }), configError('CAPDT_NETWORK'));
  });

  it('names every bad setting at once', () => {
    assert.throws(
      () => loadConfig({ CAPDT_HOST_IP: 'not-an-ip', CAPDT_NETWORK: 'bad name!' }),
      (error) => configError('CAPDT_HOST_IP')(error) && configError('CAPDT_NETWORK')(error),
    );
  });

  it('takes flags, which win over the environment', () => {
    const config = loadConfig({ CAPDT_NETWORK: 'from-env' }, [
      'watcher',
      '--network',
      'from-flag',
      '--resync-seconds',
      '42',
    ]);
    assert.equal(config.CAPDT_NETWORK, 'from-flag');
    assert.equal(config.CAPDT_RESYNC_SECONDS, 42);
  });

  it('rejects an unknown flag, and a bad flag value by its setting name', () => {
    assert.throws(() => loadConfig({}, ['--netwrok', 'x']), /invalid arguments: .*netwrok/);
    assert.throws(() => loadConfig({}, ['--host-ip', 'nope']), configError('CAPDT_HOST_IP'));
  });

  it('enables TLS for Temporal only with a complete client certificate pair', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: '/tls/client.pem' }),
      /TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY/,
    );
    const config = loadConfig({ TEMPORAL_TLS_CERT: '/tls/client.pem', TEMPORAL_TLS_KEY: '/tls/client.key' });
    assert.equal(config.TEMPORAL_TLS_KEY, '/tls/client.key');
  });
});
