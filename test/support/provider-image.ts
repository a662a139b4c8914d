// The provider's image, built and run as the "Container image and Compose" section of docs/OPERATING.md says,
// and what its tests share: a kubeconfig that works inside a container, and a DockerCluster driven to ready and
// deleted while the provider runs in containers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestObjects } from './objects.js';
import { repoRoot } from './stack.js';

const execFileAsync = promisify(execFile);

/** Runs a command in the repository; its stdout, trimmed. Output is kept for the error of a failure. */
export async function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** The local Node base (no image registry is reachable here): `bash scripts/stack.sh node-image`. */
export function localNodeImage(): Promise<string> {
  return run('bash', ['scripts/stack.sh', 'node-image']);
}

/** The local Go image for the renderer's stage: `bash scripts/stack.sh go-image`. */
export function localGoImage(): Promise<string> {
  return run('bash', ['scripts/stack.sh', 'go-image']);
}

/** The group of the Docker socket, which the image's non-root user needs. */
export function dockerGid(): string {
  return String(statSync('/var/run/docker.sock').gid);
}

/** `kubectl config view --raw --flatten --minify`: the current context, its certificates embedded. */
export async function writeEmbeddedKubeconfig(path: string): Promise<string> {
  writeFileSync(path, `${await run('kubectl', ['config', 'view', '--raw', '--flatten', '--minify'])}\n`, {
    mode: 0o644,
  });
  return path;
}

/**
 * What a user sees of a provider running in containers: a Cluster and its DockerCluster become ready,
 * `capd-temporal status` inside the provider's container shows it Ready at its endpoint, and once deleted the
 * DockerCluster is gone with its load balancer.
 */
export async function assertReconciledInContainers(
  objects: TestObjects,
  name: string,
  container: string,
): Promise<void> {
  await objects.createPair(name);
  const ready = await objects.untilReady(name, 180_000);
  const endpoint = `${ready.spec?.controlPlaneEndpoint?.host}:${ready.spec?.controlPlaneEndpoint?.port}`;
  const ref = `${objects.namespace}/${name}`;
  const status = await run('docker', ['exec', container, 'capd-temporal', 'status', ref]);
  const cells = (status.split('\n')[1] ?? '').split(/\s{2,}/);
  assert.deepEqual(cells.slice(0, 5), [ref, name, 'true', endpoint, 'Ready'], status);

  await objects.delete(name);
  await objects.untilGone(name, 60_000);
  assert.deepEqual(await objects.containersOf(ready.metadata?.uid ?? ''), [], 'the load balancer is removed');
}

/** The JSON log lines of a container at warning level or above. */
export async function warningsIn(container: string): Promise<string[]> {
  const { stdout, stderr } = await execFileAsync('docker', ['logs', container], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return `${stdout}\n${stderr}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
}
