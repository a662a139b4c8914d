// The real clients the provider talks to, made from its configuration in one place.
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import Docker from 'dockerode';
import type { Config } from './config.js';

export function kubeConfigFrom(config: Config): k8s.KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  if (config.KUBECONFIG) kubeConfig.loadFromFile(config.KUBECONFIG);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) itself. */
export function dockerFrom(): Docker {
  return new Docker();
}

export async function temporalClientFrom(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

export async function workerConnectionFrom(config: Config): Promise<NativeConnection> {
  return await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}
