// What every part of the Docker side shares: the engine client, the provider's settings, and reading errors.
import type Docker from 'dockerode';
import type { IpFamily } from '../types.js';

export interface DockerSettings {
  /** The image used when a DockerCluster sets no spec.loadbalancerImage. */
  defaultImage: string;
  /** The Docker network the load balancers join; created when missing. */
  network: string;
  /** The IPv4 subnet the network is created with, so that a load balancer can be re-created on its address. */
  subnet: string;
  /** The IPv6 subnet the network is also created with, for IPv6 and dual-stack Clusters. */
  subnetV6?: string;
  /** The host address the load balancers' ports are published on. */
  hostIp: string;
}

/** The engine the activities drive, and how the provider uses it. */
export interface Engine {
  docker: Docker;
  settings: DockerSettings;
}

interface DockerError {
  statusCode?: number;
  json?: { message?: string };
  message: string;
}

export function statusOf(error: unknown): number | undefined {
  return (error as DockerError).statusCode;
}

export function messageOf(error: unknown): string {
  return (error as DockerError).json?.message ?? (error as DockerError).message;
}

/** A container's address of one family on the provider's network, as Docker reports it. */
export function addressOn(
  engine: Engine,
  info: Docker.ContainerInfo | Docker.ContainerInspectInfo,
  family: IpFamily = 'IPv4',
): string | undefined {
  const network = info.NetworkSettings.Networks[engine.settings.network];
  return (family === 'IPv6' ? network?.GlobalIPv6Address : network?.IPAddress) || undefined;
}

/** A listed container's name, without Docker's leading slash. */
export function nameOf(container: Docker.ContainerInfo): string {
  return container.Names[0]?.replace(/^\//, '') ?? container.Id;
}
