// What the tests and the benchmark share of the local stack (scripts/stack.sh env): its settings, clients
// configured as the provider's, least-privilege identities, and the objects a CAPI user applies.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { clusterGroup, clusterKind, clusterVersion } from '../src/api/capi.js';
import { apiVersion, type DockerClusterSpec, group, kind } from '../src/api/dockercluster.js';
import { providerClusterRole } from '../src/api/manifests.js';
import type { PolicyRule } from '../src/api/rbac.js';
import { ConnectionReusingKubeConfig } from '../src/clients.js';
import { repoRoot } from './repo-root.js';

export { repoRoot };

export function stackEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run through 'npm test' or 'npm run bench', or eval "$(scripts/stack.sh env)" first`,
    );
  }
  return value;
}

/** A port free on 127.0.0.1 now, for what the caller starts on it right away. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A client configured as the provider's own (connections reused), so tests and benchmarks compare like with like. */
export function kubeConfig(path = stackEnv('KUBECONFIG')): k8s.KubeConfig {
  const config = new ConnectionReusingKubeConfig();
  config.loadFromFile(path);
  return config;
}

/**
 * The path of a kubeconfig for a client-certificate identity signed by the client CA of a management cluster
 * of the stack (the main one unless another's state folder is given).
 */
export function kubeConfigPathFor(
  user: string,
  group?: string,
  stackDir = stackEnv('CAPDT_STACK_DIR'),
): string {
  const args = ['kubeconfig', user, ...(group ? [group] : [])];
  return execFileSync('bash', [`${repoRoot}/scripts/stack.sh`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CAPDT_STACK_DIR: stackDir },
  }).trim();
}

/**
 * Binds a client-certificate user to a ClusterRole with the given rules (the deploy manifests' role by
 * default) and returns the path of that user's kubeconfig.
 */
export async function leastPrivilegeIdentity(
  user: string,
  rules: PolicyRule[] = providerClusterRole().rules,
  stackDir = stackEnv('CAPDT_STACK_DIR'),
) {
  const rbac = kubeConfig(join(stackDir, 'kubeconfig')).makeApiClient(k8s.RbacAuthorizationV1Api);
  const role = { ...providerClusterRole(), metadata: { name: user }, rules };
  await rbac.createClusterRole({ body: role });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  });
  return {
    kubeConfigPath: kubeConfigPathFor(user, undefined, stackDir),
    /** Takes the role away and deletes the user's certificate and kubeconfig from the stack's folder. */
    async remove() {
      await rbac.deleteClusterRoleBinding({ name: user });
      await rbac.deleteClusterRole({ name: user });
      for (const file of [`pki/${user}.crt`, `pki/${user}.key`, `kubeconfig-${user}`]) {
        rmSync(join(stackDir, file), { force: true });
      }
    },
  };
}

/** A CAPI Cluster; by default it names the DockerCluster of the same name as its infrastructure. */
export function clusterManifest(name: string, spec: object = {}) {
  return {
    apiVersion: `${clusterGroup}/${clusterVersion}`,
    kind: clusterKind,
    metadata: { name },
    // Its DockerCluster has the same name.
    spec: { infrastructureRef: { apiGroup: group, kind, name }, ...spec },
  };
}

/** A DockerCluster as a user writes it: CAPI sets its owner reference and cluster-name label once a Cluster names it. */
export function dockerClusterManifest(
  name: string,
  options: { annotations?: Record<string, string>; spec?: DockerClusterSpec } = {},
) {
  return {
    apiVersion,
    kind,
    metadata: { name, annotations: options.annotations ?? {} },
    spec: options.spec ?? {},
  };
}
