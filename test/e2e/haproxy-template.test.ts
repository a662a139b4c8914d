// A custom HAProxy config template, as a CAPI user gives one: a ConfigMap named by the DockerCluster's
// spec.loadBalancer.customHAProxyConfigTemplateRef, rendered with upstream CAPD's variables, checked by the real
// HAProxy before it is loaded, and rendered again when the ConfigMap is edited. CAPI's controllers run as
// everywhere else; every call from the host goes to the load balancer's ports published on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { configPath } from '../../src/activities/load-balancer.js';
import { conditionTypes } from '../../src/api/dockercluster.js';
import { readContainerFile } from '../support/container-files.js';
import { capdStyleTemplate } from '../support/haproxy-templates.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { record, seconds } from '../support/reliability.js';
import { docker, eventually, kubeConfig, uniqueName } from '../support/stack.js';

describe('a custom HAProxy template from a ConfigMap', () => {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  let objects: TestObjects;
  let provider: RunningProvider;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace });
  });

  after(async () => {
    await provider.stop();
    await objects.removeContainers();
  });

  async function setTemplate(name: string, text: string, create = false): Promise<void> {
    const body = { metadata: { name }, data: { value: text } };
    if (create) await core.createNamespacedConfigMap({ namespace: objects.namespace, body });
    else await core.replaceNamespacedConfigMap({ namespace: objects.namespace, name, body });
  }

  function untilLoadBalancer(name: string, status: string, message: RegExp) {
    return eventually(`LoadBalancerAvailable ${status} matching ${message}`, async () => {
      const conditions = (await objects.read(name))?.status?.conditions ?? [];
      const found = conditions.find((c) => c.type === conditionTypes.loadBalancerAvailable);
      return found?.status === status && message.test(found.message) ? found : undefined;
    });
  }

  it('is waited for, served once HAProxy accepts it, kept when an edit is refused, and rendered again on edits', async () => {
    const name = uniqueName('templated');
    const configMap = `${name}-haproxy`;
    await objects.createPair(name, {
      spec: { loadBalancer: { customHAProxyConfigTemplateRef: { name: configMap } } },
    });
    const missing = await untilLoadBalancer(name, 'False', /does not exist/);
    assert.match(missing.message, new RegExp(`ConfigMap ${objects.namespace}/${configMap}`));

    const createdAt = Date.now();
    await setTemplate(configMap, capdStyleTemplate('v1'), true);
    const ready = await objects.untilReady(name);
    const readyAfter = seconds(createdAt);
    const [info] = await objects.containersOf(ready.metadata.uid as string);
    assert.ok(info);
    const container = docker().getContainer(info.Id);
    const statsPort = (await container.inspect()).NetworkSettings.Ports['8404/tcp']?.[0]?.HostPort;
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${statsPort}${path}`)).status;
    assert.equal(await status('/v1'), 200, 'HAProxy serves the rendered template');
    const served = await readContainerFile(container, configPath);
    assert.match(served, /^ {2}bind \*:6443$/m, "rendered with the DockerCluster's endpoint port");

    const refusedAt = Date.now();
    await setTemplate(configMap, capdStyleTemplate('v2', '  no-such-keyword on'));
    const refused = await untilLoadBalancer(name, 'False', /refuses the config rendered from ConfigMap/);
    const refusedAfter = seconds(refusedAt);
    assert.match(refused.message, /no-such-keyword/, "HAProxy's own message");
    assert.equal(await status('/v1'), 200, 'the last good config still serves');
    assert.equal(await readContainerFile(container, configPath), served);

    const fixedAt = Date.now();
    await setTemplate(configMap, capdStyleTemplate('v3'));
    await eventually('the edited template served', async () =>
      (await status('/v3')) === 200 ? true : undefined,
    );
    const servedAfter = seconds(fixedAt);
    await untilLoadBalancer(name, 'True', /serves/);

    await objects.deleteCluster(name);
    await objects.untilClusterGone(name);
    record({
      group: 'Load balancer backends',
      scenario: 'a custom HAProxy template from a ConfigMap',
      action:
        'a DockerCluster naming a ConfigMap that does not exist yet; the ConfigMap created; edited to a config HAProxy refuses; edited again to a good one',
      result:
        'LoadBalancerAvailable False naming the missing ConfigMap; Ready once created, the rendered config served; the refused edit reported with HAProxy’s message while the last good config kept serving; the next edit served',
      measured: `ConfigMap created → Ready ${readyAfter}; refused edit → condition ${refusedAfter}; good edit → served ${servedAfter}`,
    });
  });
});
