// The real provider (worker + watcher) run inside a test process, the way src/main.ts runs it, limited to
// one namespace, task queue and Docker network so tests do not see each other's objects.
import type * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { leastPrivilegeIdentity } from '../../scripts/local-stack.js';
import type { PolicyRule } from '../../src/api/rbac.js';
import { kubeConfigFrom } from '../../src/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import { logger } from '../../src/logger.js';
import { startConfiguredWatcher, type Watcher } from '../../src/watcher/watcher.js';
import { runWorkers } from '../../src/worker.js';
import { TestObjects } from './objects.js';
import {
  quietTemporalRuntime,
  removeNetwork,
  stackEnv,
  uniqueName,
  uniqueSubnet,
  uniqueSubnetV6,
} from './stack.js';

/** Tests bind other roles to a user the way the provider's is bound. */
export { leastPrivilegeIdentity };

export interface RunningProvider {
  config: Config;
  /** The identity the provider runs as. */
  kubeConfig: k8s.KubeConfig;
  client: Client;
  network: string;
  subnet: string;
  stop(): Promise<void>;
}

export async function startProvider(options: {
  namespace: string;
  user?: string;
  rules?: PolicyRule[];
  /** The state folder of the management cluster to run against (the stack's main one by default). */
  stackDir?: string;
  /** The Docker network of another running provider, to share; that provider removes it. */
  sharedNetwork?: { name: string; subnet: string };
  /** Creates the network with an IPv6 subnet too, for IPv6 and dual-stack Clusters. */
  ipv6?: boolean;
}): Promise<RunningProvider> {
  quietTemporalRuntime();
  logger.level = 'warn';
  const identity = await leastPrivilegeIdentity(
    options.user ?? uniqueName('capdt-provider'),
    options.rules,
    options.stackDir,
  );
  const network = options.sharedNetwork ?? { name: uniqueName('capdt-test'), subnet: uniqueSubnet() };
  const config = loadConfig({
    ...process.env,
    CAPDT_TASK_QUEUE: uniqueName('provider'),
    CAPDT_NETWORK: network.name,
    CAPDT_NETWORK_SUBNET: network.subnet,
    ...(options.ipv6 && { CAPDT_NETWORK_SUBNET_V6: uniqueSubnetV6() }),
    CAPDT_WATCH_NAMESPACE: options.namespace,
    KUBECONFIG: identity.kubeConfigPath,
    LOG_LEVEL: 'warn',
  });
  const workers = await runWorkers(config, logger);
  const connection = await Connection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
  const client = new Client({ connection });
  const providerKubeConfig = kubeConfigFrom(config);
  const watcher: Watcher = startConfiguredWatcher(config, { kubeConfig: providerKubeConfig, client, logger });
  await watcher.started;

  return {
    config,
    kubeConfig: providerKubeConfig,
    client,
    network: network.name,
    subnet: network.subnet,
    async stop() {
      await watcher.stop();
      await workers.stop();
      await connection.close();
      await identity.remove();
      if (options.sharedNetwork) return;
      await new TestObjects(options.namespace).removeContainers();
      await removeNetwork(network.name);
    },
  };
}
