// Custom HAProxy templates, rendered by the Go renderer (dist/haproxy-template, built by `npm test`) with the
// variables upstream CAPD gives its templates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHAProxyTemplate, TemplateError } from '../../src/activities/haproxy-template.js';
import type { LoadBalancerConfig } from '../../src/activities/types.js';
import { capdStyleTemplate } from '../support/haproxy-templates.js';

const twoMachines: LoadBalancerConfig = {
  port: 7443,
  ipFamily: 'IPv4',
  backends: [
    { name: 'cp-b', address: '172.18.0.8', draining: true },
    { name: 'cp-a', address: '172.18.0.7', draining: false },
  ],
};

describe('renderHAProxyTemplate', () => {
  it("renders a template written for CAPD with CAPD's variables: servers by name, weight 100, 0 while deleting", async () => {
    const config = await renderHAProxyTemplate(capdStyleTemplate('v1'), twoMachines);
    // Go's trim markers as CAPD's templates use them leave the indent of a false `if` behind.
    assert.match(config, /^ {2}bind \*:7443\n {2}\n {2}default_backend kube-apiservers$/m);
    assert.deepEqual(
      config.split('\n').filter((line) => line.startsWith('  server ')),
      [
        '  server cp-a 172.18.0.7:6443 check check-ssl verify none weight 100 resolve-prefer ipv4',
        '  server cp-b 172.18.0.8:6443 check check-ssl verify none weight 0 resolve-prefer ipv4',
      ],
    );
  });

  it('gives an IPv6 Cluster IPv6 true and bracketed backend addresses; a dual-stack one IPv6 false, as CAPD does', async () => {
    const config = await renderHAProxyTemplate(capdStyleTemplate('v1'), {
      port: 6443,
      ipFamily: 'IPv6',
      backends: [{ name: 'cp-a', address: 'fd00:ca9d::7', draining: false }],
    });
    assert.match(config, /^ {2}bind :::6443;$/m);
    assert.match(
      config,
      /server cp-a \[fd00:ca9d::7\]:6443 check check-ssl verify none weight 100 resolve-prefer ipv6/,
    );
    const dualStack = await renderHAProxyTemplate(capdStyleTemplate('v1'), {
      ...twoMachines,
      ipFamily: 'DualStack',
    });
    assert.doesNotMatch(dualStack, /bind :::/);
    assert.match(dualStack, /resolve-prefer ipv4/);
  });

  it("reports a template that does not parse, or names what CAPD does not offer, with Go's message", async () => {
    await assert.rejects(
      renderHAProxyTemplate('global\n{{ if .IPv6 }}\n  daemon\n', twoMachines),
      (error) => error instanceof TemplateError && /haproxy\.cfg:\d+: unexpected EOF/.test(error.message),
    );
    await assert.rejects(
      renderHAProxyTemplate('bind *:{{ .FrontendPort }}', twoMachines),
      (error) => error instanceof TemplateError && /can't evaluate field FrontendPort/.test(error.message),
    );
  });

  it('lets no Machine name that is not one reach the template', async () => {
    await assert.rejects(
      renderHAProxyTemplate(capdStyleTemplate('v1'), {
        ...twoMachines,
        backends: [{ name: 'cp-a check\n  server evil', address: '172.18.0.7', draining: false }],
      }),
      RangeError,
    );
  });
});
