// Everything about the load-balancer container in one place: its name, labels, ports and HAProxy config.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { dnsSubdomainPattern } from '../api/dockercluster.js';
import type { DockerClusterRef } from '../api/refs.js';
import type { Backend, LoadBalancerConfig } from './types.js';

export const configDirectory = '/usr/local/etc/haproxy';
export const configFile = 'haproxy.cfg';
export const configPath = `${configDirectory}/${configFile}`;
/**
 * Beside the config: the digest of the config HAProxy last loaded, written only once HAProxy has loaded it, so
 * a config that was written but never loaded (a lost or refused reload) is seen on the next pass.
 */
export const loadedConfigFile = 'haproxy.cfg.loaded-sha256';
/** Beside the config: the last config HAProxy was asked to check (`haproxy -c`) before it replaced the live one. */
export const candidateConfigFile = 'haproxy.cfg.candidate';

export function configDigest(config: string): string {
  return createHash('sha256').update(config).digest('hex');
}
export const statsPort = 8404;

/** Upstream CAPD's labels, so tools that know CAPD recognise the container. */
export const kindClusterLabel = 'io.x-k8s.kind.cluster';
export const kindRoleLabel = 'io.x-k8s.kind.role';
export const loadBalancerRole = 'external-load-balancer';
/** Ours: the uid of the DockerCluster that owns the container; no other container is ever touched. */
export const ownerUidLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/uid';
export const ownerNamespaceLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/namespace';
export const ownerNameLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/name';
/**
 * The address the container was created for, which it keeps (Docker is asked for exactly it): the provider gives
 * no other load balancer an address some container is labelled with, started or not.
 */
export const addressLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/address';
/** Present on a container created for its DockerCluster's recorded endpoint address (the same value). */
export const endpointLabel = 'dockercluster.infrastructure.cluster.x-k8s.io/endpoint';
/**
 * Appended to a load balancer's name while it is being replaced: it serves, and keeps its address, until its
 * successor (under the usual name, labelled with the same address) exists.
 */
export const retiredSuffix = '-retired';

/** Docker uses the name as hostname, which may not exceed 63 characters. */
const maxNameLength = 63;

/**
 * `<namespace>-<name>-<uid hash>-lb`: readable, within Docker's name rules (namespaces and names are
 * DNS-1123 already), and unique per DockerCluster even where upstream's `<cluster>-lb` would collide.
 */
export function containerName(ref: DockerClusterRef): string {
  const suffix = `-${createHash('sha256').update(ref.uid).digest('hex').slice(0, 8)}-lb`;
  const readable = `${ref.namespace}-${ref.name}`
    .slice(0, maxNameLength - suffix.length)
    .replace(/[-.]+$/, '');
  return readable + suffix;
}

/** The container's labels; `address` is the one it is created for, and `endpoint` says it is the recorded one. */
export function containerLabels(
  ref: DockerClusterRef,
  clusterName: string,
  address?: { ip: string; endpoint: boolean },
): Record<string, string> {
  return {
    [kindClusterLabel]: clusterName,
    [kindRoleLabel]: loadBalancerRole,
    [ownerUidLabel]: ref.uid,
    [ownerNamespaceLabel]: ref.namespace,
    [ownerNameLabel]: ref.name,
    ...(address && { [addressLabel]: address.ip }),
    ...(address?.endpoint && { [endpointLabel]: address.ip }),
  };
}

export function ownerFilter(ref: DockerClusterRef): string {
  return `${ownerUidLabel}=${ref.uid}`;
}

function validPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`load-balancer port ${port} is not an integer from 1 to 65535`);
  }
  return port;
}

/** The port the API servers of the control-plane Machines listen on (CAPD's machines use the same). */
const apiServerPort = 6443;

/** A Machine name (a DNS subdomain) is a valid HAProxy server name as it is. */
const machineName = new RegExp(dnsSubdomainPattern);

/** A backend whose name and address are checked, so nothing else from an object can reach the config. */
function validBackend(backend: Backend): Backend & { family: 4 | 6 } {
  if (!machineName.test(backend.name) || backend.name.length > 253) {
    throw new RangeError(`backend name ${JSON.stringify(backend.name)} is not a Machine name`);
  }
  const family = isIP(backend.address);
  if (family !== 4 && family !== 6)
    throw new RangeError(`backend address ${JSON.stringify(backend.address)} is not an IP address`);
  return { ...backend, family };
}

function serverLine(backend: Backend): string {
  const { name, address, family, draining } = validBackend(backend);
  const hostPort = family === 6 ? `[${address}]:${apiServerPort}` : `${address}:${apiServerPort}`;
  return `  server ${name} ${hostPort} weight ${draining ? 0 : 1} check check-ssl verify none`;
}

/** The weight upstream CAPD gives a serving control-plane Machine in a custom template's BackendServers. */
const templateServerWeight = 100;

/**
 * What a custom template is rendered with: upstream CAPD's ConfigData, by the same names and with the same
 * values, so that templates written for CAPD work here (IPv6 is true for IPv6 Clusters only, as in CAPD).
 */
export function templateData(input: LoadBalancerConfig) {
  return {
    FrontendControlPlanePort: String(validPort(input.port)),
    BackendControlPlanePort: String(apiServerPort),
    BackendServers: Object.fromEntries(
      input.backends.map((backend) => {
        const { name, address, draining } = validBackend(backend);
        return [name, { Address: address, Weight: draining ? 0 : templateServerWeight }];
      }),
    ),
    IPv6: input.ipFamily === 'IPv6',
  };
}

/**
 * The HAProxy configuration: stats on 8404, the control-plane frontend on the endpoint port, and the
 * `kube-apiservers` backend with one server per control-plane Machine, health-checked on /healthz over TLS.
 * Only validated names, addresses and numbers are interpolated, so nothing else from an object can reach the
 * file.
 */
export function haproxyConfig(input: LoadBalancerConfig): string {
  // IPv6 and dual-stack Clusters listen on both families, so clients of either family reach the endpoint.
  const bind = input.ipFamily === 'IPv4' ? `*:${validPort(input.port)}` : `:::${validPort(input.port)} v4v6`;
  const servers = [...input.backends]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((backend) => `${serverLine(backend)}\n`)
    .join('');
  return `# Written by capd-temporal; replaced whenever the DockerCluster is reconciled.
global
  log stdout format raw local0
  # Bounds the memory HAProxy reserves for connections.
  maxconn 4096

resolvers docker
  nameserver dns 127.0.0.11:53

defaults
  log global
  mode tcp
  option dontlognull
  timeout connect 5s
  timeout client 30m
  timeout server 30m
  default-server init-addr none

frontend stats
  mode http
  bind *:${statsPort}
  stats enable
  stats uri /stats
  stats refresh 10s
  monitor-uri /healthz

frontend control-plane
  bind ${bind}
  default_backend kube-apiservers

backend kube-apiservers
  option httpchk GET /healthz
  http-check expect status 200
${servers}`;
}
