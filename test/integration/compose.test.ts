// docker-compose.yml with a real Compose (installed by scripts/install-compose.sh): the file is valid (and that
// Compose does reject an invalid one, so a pass means something), and `up -d --build` as docs/OPERATING.md
// gives it brings up Temporal and the provider (worker and watcher in one process), which reconciles a
// DockerCluster to ready; `down` removes it all.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { TestObjects } from '../support/objects.js';
import * as providerImage from '../support/provider-image.js';
import {
  eventually,
  freePort,
  removeNetwork,
  repoRoot,
  stackEnv,
  uniqueName,
  uniqueSubnet,
} from '../support/stack.js';

interface Normalised {
  services: Record<
    string,
    { build?: unknown; image?: string; environment?: Record<string, string>; group_add?: unknown[] }
  >;
}

/** "docker compose" or "docker-compose", whichever works (installed when none does). */
function composeCommand(): string[] {
  return execFileSync('bash', [join(repoRoot, 'scripts/install-compose.sh')], { encoding: 'utf8' })
    .trim()
    .split(' ');
}

describe('docker-compose.yml with a real Compose', () => {
  let compose: string[];
  let scratch: string;
  const env = {
    ...process.env,
    DOCKER_GID: providerImage.dockerGid(),
    KUBECONFIG: join(repoRoot, 'kubeconfig-for-compose'),
  };

  const config = (file: string, environment: NodeJS.ProcessEnv = env) => {
    const [command = '', ...args] = compose;
    return spawnSync(command, [...args, '-f', file, 'config'], {
      cwd: repoRoot,
      env: environment,
      encoding: 'utf8',
      timeout: 120_000,
    });
  };

  before(() => {
    compose = composeCommand();
    scratch = mkdtempSync(join(tmpdir(), 'capdt-compose-'));
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('validates and normalises to the services temporal and provider', () => {
    const result = config(join(repoRoot, 'docker-compose.yml'));
    assert.equal(result.status, 0, `${compose.join(' ')} config failed:\n${result.stderr}`);
    const normalised = parse(result.stdout) as Normalised;
    assert.deepEqual(Object.keys(normalised.services).sort(), ['provider', 'temporal']);
    const { provider } = normalised.services;
    assert.ok(provider);
    assert.equal(provider.environment?.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(provider.environment?.KUBECONFIG, '/kube/config');
    assert.deepEqual(provider.group_add?.map(String), [env.DOCKER_GID]);
    assert.match(result.stdout, /kubeconfig-for-compose:\/kube\/config:ro/);
  });

  it('takes settings from the environment', () => {
    const result = config(join(repoRoot, 'docker-compose.yml'), {
      ...env,
      CAPDT_NETWORK: 'capdt-compose',
      LOG_LEVEL: 'debug',
    });
    assert.equal(result.status, 0, result.stderr);
    const { provider } = (parse(result.stdout) as Normalised).services;
    assert.equal(provider?.environment?.CAPDT_NETWORK, 'capdt-compose');
    assert.equal(provider?.environment?.LOG_LEVEL, 'debug');
  });

  it('refuses to run without DOCKER_GID, naming it', () => {
    const { DOCKER_GID: _unset, ...withoutGid } = env;
    const result = config(join(repoRoot, 'docker-compose.yml'), withoutGid);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /DOCKER_GID/);
  });

  it('rejects broken copies of the file', () => {
    const original = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
    // The unchanged file from the same place passes, so the failures below are the breakage's.
    copyFileSync(join(repoRoot, 'docker-compose.yml'), join(scratch, 'docker-compose.yml'));
    assert.equal(config(join(scratch, 'docker-compose.yml')).status, 0);

    const broken: Record<string, string> = {
      'an unknown option': original.replace(/^ {2}provider:\n/m, '  provider:\n    no_such_option: true\n'),
      'an invalid depends_on condition': original.replaceAll('service_healthy', 'service_wellness'),
      'a port that is not a port': original.replace(':7233" # gRPC frontend', ':seventy" # gRPC frontend'),
    };
    for (const [what, text] of Object.entries(broken)) {
      assert.notEqual(text, original, `the breakage '${what}' changes the file`);
      const file = join(scratch, `broken-${what.replaceAll(' ', '-')}.yml`);
      writeFileSync(file, text);
      const result = config(file);
      assert.notEqual(result.status, 0, `a file with ${what} passed:\n${result.stdout}`);
      assert.ok(result.stderr.trim() !== '', `a file with ${what} fails with a message`);
    }
  });
});

describe('docker compose up', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'capdt-compose-up-'));
  const project = uniqueName('capdt-compose');
  let compose: string[];
  let objects: TestObjects;
  let env: NodeJS.ProcessEnv;
  const composeRun = (...args: string[]) => {
    const [command = '', ...rest] = compose;
    return providerImage.run(command, [...rest, '-p', project, ...args], env);
  };

  before(async () => {
    compose = composeCommand();
    objects = await TestObjects.inFreshNamespace();
    // docs/OPERATING.md's environment: NODE_IMAGE, GO_IMAGE and TEMPORAL_IMAGE are the local images (no image
    // registry is reachable here), and the settings that keep this test to its own namespace, ports and Docker
    // network.
    env = {
      ...process.env,
      NODE_IMAGE: await providerImage.localNodeImage(),
      GO_IMAGE: await providerImage.localGoImage(),
      TEMPORAL_IMAGE: await providerImage.run('bash', ['scripts/stack.sh', 'temporal-image']),
      DOCKER_GID: providerImage.dockerGid(),
      KUBECONFIG: await providerImage.writeEmbeddedKubeconfig(join(scratch, 'kubeconfig')),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      CAPDT_WATCH_NAMESPACE: objects.namespace,
      CAPDT_TASK_QUEUE: project,
      CAPDT_LB_IMAGE: stackEnv('CAPDT_LB_IMAGE'),
      CAPDT_NETWORK: project,
      CAPDT_NETWORK_SUBNET: uniqueSubnet(),
    };
  });

  after(async () => {
    await composeRun('down', '--volumes', '--remove-orphans').catch(() => undefined);
    await objects?.removeContainers();
    await removeNetwork(project);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('brings up Temporal and the provider, which reconciles a DockerCluster to ready', async (t) => {
    const started = Date.now();
    await composeRun('up', '-d', '--build');
    const provider = await composeRun('ps', '-q', 'provider');
    assert.ok(provider, 'the provider runs');
    await providerImage.assertReconciledInContainers(objects, uniqueName('compose'), provider);
    t.diagnostic(
      `compose: up and a DockerCluster ready and deleted in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    assert.deepEqual(await providerImage.warningsIn(provider), [], `${provider} logs no warning`);
  });

  it('down removes the containers, the network and the Temporal volume', async () => {
    await composeRun('down', '--volumes', '--remove-orphans');
    assert.equal(
      await providerImage.run('docker', [
        'ps',
        '-aq',
        '--filter',
        `label=com.docker.compose.project=${project}`,
      ]),
      '',
    );
    assert.equal(
      await providerImage.run('docker', [
        'volume',
        'ls',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
      ]),
      '',
    );
    await eventually('the compose network to be gone', async () =>
      (await providerImage.run('docker', [
        'network',
        'ls',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
      ])) === ''
        ? true
        : undefined,
    );
  });
});
