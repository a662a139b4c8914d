// The real clients the provider talks to, made from its configuration in one place.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { Config } from './config.js';

/** Request option of a JSON merge patch (RFC 7386), the only patch the provider and its tests send. */
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/**
 * client-node 1.x gives every API request a new agent, so each one pays a TCP and TLS handshake (about
 * 5 ms here, and CPU on both ends). This KubeConfig keeps one kept-alive agent per server, user and client
 * certificate, so API clients made from it reuse their connections. Headers and tokens are still set per
 * request by the base class; proxy agents are left as they are.
 */
export class ConnectionReusingKubeConfig extends k8s.KubeConfig {
  readonly #agents = new Map<string, https.Agent>();

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (!(fresh instanceof https.Agent) || fresh.constructor !== https.Agent) return;
    const key = JSON.stringify([
      this.getCurrentCluster()?.server,
      this.getCurrentUser()?.name,
      String(fresh.options.cert ?? ''),
    ]);
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = new https.Agent({ ...fresh.options, keepAlive: true });
      this.#agents.set(key, agent);
    }
    context.setAgent(agent);
  }
}

/** Whether the Kubernetes API answered with one of these HTTP status codes. */
export function isApiError(error: unknown, ...codes: number[]): boolean {
  return error instanceof k8s.ApiException && codes.includes(error.code);
}

export function kubeConfigFrom(config: Config): k8s.KubeConfig {
  const kubeConfig = new ConnectionReusingKubeConfig();
  if (config.KUBECONFIG) kubeConfig.loadFromFile(config.KUBECONFIG);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** TLS (and mTLS with a client certificate) for Temporal when any TLS setting is given. */
export function temporalTls(config: Config): TLSConfig | undefined {
  const {
    TEMPORAL_TLS_CA: ca,
    TEMPORAL_TLS_CERT: cert,
    TEMPORAL_TLS_KEY: key,
    TEMPORAL_TLS_SERVER_NAME: name,
  } = config;
  if (!ca && !cert && !name) return undefined;
  return {
    ...(name && { serverNameOverride: name }),
    ...(ca && { serverRootCACertificate: readFileSync(ca) }),
    ...(cert && key && { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } }),
  };
}

/** Where and how to reach Temporal, for the client and the worker alike. */
export function temporalConnectionOptions(config: Config) {
  const tls = temporalTls(config);
  return { address: config.TEMPORAL_ADDRESS, ...(tls && { tls }) };
}

export async function temporalClientFrom(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
