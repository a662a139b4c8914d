// The provider's image, built (docker build) and run (docker run) exactly as docs/OPERATING.md says: the whole
// provider (`all`) from the image, on the host's network, with the Docker socket and an embedded kubeconfig
// mounted, reconcile a DockerCluster of the real management cluster to ready; the CLI in the image shows it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestObjects } from '../support/objects.js';
import {
  assertReconciledInContainers,
  dockerGid,
  localGoImage,
  localNodeImage,
  run,
  warningsIn,
  writeEmbeddedKubeconfig,
} from '../support/provider-image.js';
import { removeNetwork, stackEnv, uniqueName, uniqueSubnet } from '../support/stack.js';

const image = 'capd-temporal:dev';

describe('the container image', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'capdt-image-'));
  const prefix = uniqueName('capdt-image');
  const network = prefix;
  const container = prefix;
  let objects: TestObjects;

  before(async () => {
    objects = await TestObjects.inFreshNamespace();
  });

  after(async () => {
    await run('docker', ['rm', '--force', container]).catch(() => undefined);
    await objects?.removeContainers();
    await removeNetwork(network);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('builds with docker build on the Node base named by NODE_IMAGE and the Go image named by GO_IMAGE', async () => {
    const bases = [`NODE_IMAGE=${await localNodeImage()}`, `GO_IMAGE=${await localGoImage()}`];
    await run('docker', ['build', ...bases.flatMap((arg) => ['--build-arg', arg]), '-t', image, '.']);
    const user = await run('docker', ['image', 'inspect', image, '--format', '{{.Config.User}}']);
    assert.equal(user, 'node');
    // Custom HAProxy templates render inside the image, as the non-root user.
    const request = JSON.stringify({
      template: 'bind *:{{ .FrontendControlPlanePort }}',
      data: { FrontendControlPlanePort: '6443' },
    });
    const rendered = await run('docker', [
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      image,
      '-c',
      `echo '${request}' | dist/haproxy-template`,
    ]);
    assert.equal(rendered, 'bind *:6443');
  });

  it('runs the provider, which reconciles a DockerCluster to ready', async () => {
    const kubeconfig = await writeEmbeddedKubeconfig(join(scratch, 'kubeconfig'));
    // docs/OPERATING.md's command lines; the settings that keep this test to its own namespace, task queue and
    // Docker network are passed the way TEMPORAL_ADDRESS is: from the environment, by name.
    const settings = {
      TEMPORAL_ADDRESS: stackEnv('TEMPORAL_ADDRESS'),
      CAPDT_TASK_QUEUE: prefix,
      CAPDT_WATCH_NAMESPACE: objects.namespace,
      CAPDT_LB_IMAGE: stackEnv('CAPDT_LB_IMAGE'),
      CAPDT_NETWORK: network,
      CAPDT_NETWORK_SUBNET: uniqueSubnet(),
      CAPDT_HTTP_PORT: '0',
    };
    const env = { ...process.env, ...settings };
    const passed = Object.keys(settings).flatMap((name) => ['-e', name]);
    const kubeconfigMount = ['-v', `${kubeconfig}:/kube/config:ro`, '-e', 'KUBECONFIG=/kube/config'];
    const socket = ['-v', '/var/run/docker.sock:/var/run/docker.sock', '--group-add', dockerGid()];
    await run(
      'docker',
      [
        'run',
        '-d',
        '--name',
        container,
        '--network',
        'host',
        ...socket,
        ...kubeconfigMount,
        ...passed,
        image,
        'all',
      ],
      env,
    );

    await assertReconciledInContainers(objects, uniqueName('image'), container);
    assert.deepEqual(await warningsIn(container), [], `${container} logs no warning`);
  });
});
