// What the tests need from the local stack (scripts/stack.sh env), read once and checked.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import Docker from 'dockerode';
import { kubeConfig, kubeConfigPathFor, repoRoot } from '../../scripts/local-stack.js';

export { freePort, kubeConfig, kubeConfigPathFor, repoRoot, stackEnv } from '../../scripts/local-stack.js';

export function kubeConfigFor(user: string, group?: string): k8s.KubeConfig {
  return kubeConfig(kubeConfigPathFor(user, group));
}

export function docker(): Docker {
  return new Docker();
}

/** A DNS-1123 name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A /24 for a test's own Docker network, from a range Docker does not hand out by itself. */
export function uniqueSubnet(): string {
  const [a = 0, b = 0] = randomBytes(2);
  return `10.${(a % 254) + 1}.${b}.0/24`;
}

/** scripts/stack.sh with these arguments; what it printed. */
export function stack(...args: string[]): string {
  return execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, ...args], { encoding: 'utf8' });
}

/** The second engine's socket as `stack.sh env` exports it: only while it is up. */
export function engine2Socket(): string | undefined {
  return /^export CAPDT_DOCKER_HOST_2=unix:\/\/(.+)$/m.exec(stack('env'))?.[1];
}

/** A /24 for a test's network on the second engine, among the addresses it owns (scripts/stack/docker.sh). */
export function uniqueEngine2Subnet(): string {
  return `10.255.${((randomBytes(1)[0] ?? 0) % 127) + 1}.0/24`;
}

/**
 * A unique unique-local IPv6 /64, so that networks of parallel tests never overlap; written as Docker writes
 * it back (groups of 0x1000 and up: no leading zeros to drop).
 */
export function uniqueSubnetV6(): string {
  const group = () => (0x1000 + (randomBytes(2).readUInt16BE() % 0xf000)).toString(16);
  return `fd00:${group()}:${group()}::/64`;
}

export async function createNamespace(config: k8s.KubeConfig, name = uniqueName('test')): Promise<string> {
  await config.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Workers in tests log errors only; a test's own assertions say what went wrong. */
let runtimeInstalled = false;
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

/**
 * Removes every Docker network of this exact name (duplicates included), with the containers still attached
 * to it (a test's network is its own, so are they), so that tests leak no address pool.
 */
export async function removeNetwork(name: string, engine = docker()): Promise<void> {
  for (const network of (await engine.listNetworks({ filters: { name: [name] } })).filter(
    (n) => n.Name === name,
  )) {
    const attached = await engine.listContainers({ all: true, filters: { network: [network.Id] } });
    for (const container of attached) {
      await engine
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
    await engine
      .getNetwork(network.Id)
      .remove()
      .catch(() => undefined);
  }
}

/**
 * `docker rm -f`, as a user runs it again when the engine answers that it could not remove the container's files
 * yet (it does now and then while the container is being stopped); a container already gone is removed.
 */
export async function removeByHand(container: Docker.Container): Promise<void> {
  await eventually('the container removed by hand', async () => {
    try {
      await container.remove({ force: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    return true;
  });
}
