// docker-compose.yml is valid for a real Compose (installed by scripts/install-compose.sh), and that Compose
// does reject an invalid file, so a pass means something.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../support/stack.js';

interface Normalised {
  services: Record<
    string,
    { build?: unknown; image?: string; environment?: Record<string, string>; group_add?: unknown[] }
  >;
}

/** The group of the Docker socket, as a user of the compose file would set it. */
function dockerGid(): string {
  try {
    return String(statSync('/var/run/docker.sock').gid);
  } catch {
    return '0';
  }
}

describe('docker-compose.yml with a real Compose', () => {
  let compose: string[];
  let scratch: string;
  const env = {
    ...process.env,
    DOCKER_GID: dockerGid(),
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
    compose = execFileSync('bash', [join(repoRoot, 'scripts/install-compose.sh')], { encoding: 'utf8' })
      .trim()
      .split(' ');
    scratch = mkdtempSync(join(tmpdir(), 'capdt-compose-'));
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('validates and normalises to the services temporal, worker and watcher', () => {
    const result = config(join(repoRoot, 'docker-compose.yml'));
    assert.equal(result.status, 0, `${compose.join(' ')} config failed:\n${result.stderr}`);
    const normalised = parse(result.stdout) as Normalised;
    assert.deepEqual(Object.keys(normalised.services).sort(), ['temporal', 'watcher', 'worker']);
    const { worker, watcher } = normalised.services;
    assert.ok(worker && watcher);
    assert.deepEqual(watcher.build, worker.build);
    assert.equal(watcher.image, worker.image);
    assert.equal(worker.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(worker.environment?.KUBECONFIG, '/kube/config');
    assert.deepEqual(worker.group_add?.map(String), [env.DOCKER_GID]);
    assert.match(result.stdout, /kubeconfig-for-compose:\/kube\/config:ro/);
  });

  it('takes settings from the environment', () => {
    const result = config(join(repoRoot, 'docker-compose.yml'), {
      ...env,
      CAPDT_NETWORK: 'capdt-compose',
      LOG_LEVEL: 'debug',
    });
    assert.equal(result.status, 0, result.stderr);
    const { worker } = (parse(result.stdout) as Normalised).services;
    assert.equal(worker?.environment?.CAPDT_NETWORK, 'capdt-compose');
    assert.equal(worker?.environment?.LOG_LEVEL, 'debug');
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
      'an unknown option': original.replace(/^ {2}watcher:\n/m, '  watcher:\n    no_such_option: true\n'),
      'an invalid depends_on condition': original.replaceAll('service_healthy', 'service_wellness'),
      'a port that is not a port': original.replace('"127.0.0.1:7233:7233"', '"127.0.0.1:7233:seventy"'),
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
