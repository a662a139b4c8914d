// The provider's Docker network: created once with its subnets split between Docker and the provider, and the
// addresses on it: who holds one, and which one a new load balancer gets.
import { isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { addressLabel } from '../load-balancer.js';
import type { LoadBalancerSpec } from '../types.js';
import { canonicalAddress, firstFreeAddress, splitSubnet } from './addresses.js';
import { type Engine, messageOf, statusOf } from './engine.js';

/** On the networks the provider created, so it only ever removes a duplicate of its own. */
const managedNetworkLabel = 'infrastructure.cluster.x-k8s.io/capd-temporal-network';

interface NetworkEndpoint {
  Name: string;
  IPv4Address?: string;
  IPv6Address?: string;
}

/** Networks named exactly like ours (Docker's name filter also matches substrings), oldest first. */
async function networksNamed(engine: Engine, name: string): Promise<Docker.NetworkInspectInfo[]> {
  const found = await engine.docker.listNetworks({ filters: { name: [name] } });
  return found.filter((network) => network.Name === name).sort((a, b) => a.Created.localeCompare(b.Created));
}

/** Creates the network unless it exists; removes unused duplicates of our own that a race of workers left. */
export async function ensureOneNetwork(engine: Engine): Promise<void> {
  const { docker, settings } = engine;
  const [kept, ...duplicates] = await networksNamed(engine, settings.network);
  for (const duplicate of duplicates) {
    if (
      duplicate.Labels?.[managedNetworkLabel] !== 'true' ||
      Object.keys(duplicate.Containers ?? {}).length > 0
    )
      continue;
    await docker
      .getNetwork(duplicate.Id)
      .remove()
      .catch(() => undefined);
  }
  if (kept) return;
  try {
    await docker.createNetwork({
      Name: settings.network,
      CheckDuplicate: true,
      Driver: 'bridge',
      Labels: { [managedNetworkLabel]: 'true' },
      // Configured subnets let the provider ask for exact addresses; Docker's own picks stay in their upper halves.
      IPAM: {
        Driver: 'default',
        Config: [
          splitSubnet(settings.subnet),
          ...(settings.subnetV6 ? [splitSubnet(settings.subnetV6)] : []),
        ],
      },
      ...(settings.subnetV6 && { EnableIPv6: true }),
    });
  } catch (error) {
    if (statusOf(error) === 409) return;
    // Another worker may have created it meanwhile, taking the subnet: then it is there to use.
    if ((await networksNamed(engine, settings.network)).length > 0) return;
    if (statusOf(error) === 400 || statusOf(error) === 403) {
      throw ApplicationFailure.nonRetryable(
        `Docker network ${settings.network} (subnet ${settings.subnet}) cannot be created: ${messageOf(error)}; ` +
          "set the provider's network to a valid name and its subnet to a free range",
        'InvalidNetwork',
      );
    }
    throw error;
  }
}

/** An IPv6 or dual-stack Cluster's load balancer needs IPv6 on the network; without it, waiting cannot help. */
export async function requireIPv6(engine: Engine, spec: LoadBalancerSpec): Promise<void> {
  const network = await engine.docker.getNetwork(engine.settings.network).inspect();
  if (network.EnableIPv6) return;
  throw ApplicationFailure.nonRetryable(
    `Cluster ${spec.clusterName} is ${spec.ipFamily === 'IPv6' ? 'IPv6' : 'dual-stack'} (its pod and service CIDRs), ` +
      `but the Docker network ${engine.settings.network} has no IPv6: set the provider's CAPDT_NETWORK_SUBNET_V6 ` +
      `(e.g. fd00:ca9d::/64) and remove the network while it is unused, or create it with --ipv6`,
    'NetworkWithoutIPv6',
  );
}

function endpointsOf(network: Docker.NetworkInspectInfo): NetworkEndpoint[] {
  return Object.values((network.Containers ?? {}) as Record<string, NetworkEndpoint>);
}

function addressesOf(endpoint: NetworkEndpoint): string[] {
  return [endpoint.IPv4Address, endpoint.IPv6Address]
    .filter((cidr): cidr is string => Boolean(cidr))
    .map((cidr) => canonicalAddress(cidr.split('/')[0] as string));
}

/** The name of the container holding an address on the provider's network, if any. */
export async function holderOf(engine: Engine, address: string): Promise<string | undefined> {
  const network = await engine.docker.getNetwork(engine.settings.network).inspect();
  const wanted = canonicalAddress(address);
  return endpointsOf(network).find((endpoint) => addressesOf(endpoint).includes(wanted))?.Name;
}

/**
 * The address a new load balancer asks Docker for: the lowest one of the provider's part of the subnet that no
 * container holds and no load balancer has reserved (its address label: a container created and not yet
 * started, or a replacement's new container while the old one is being removed). Held addresses are read
 * first, reservations second: an address that moves from an old container to its replacement is seen in one of
 * them. Addresses to avoid (other DockerClusters' endpoints, from the API) are passed in. Undefined on a network
 * without a configured subnet of that family: Docker then picks.
 */
export async function chooseAddress(
  engine: Engine,
  family: 'IPv4' | 'IPv6',
  avoid: string[] = [],
): Promise<string | undefined> {
  const { docker, settings } = engine;
  const network = await docker.getNetwork(settings.network).inspect();
  const held = endpointsOf(network).flatMap(addressesOf);
  const labelled = await docker.listContainers({ all: true, filters: { label: [addressLabel] } });
  const reserved = new Set([
    ...held,
    ...avoid.map(canonicalAddress),
    ...labelled
      .map((container) => container.Labels[addressLabel] ?? '')
      .filter((address) => isIP(address) !== 0)
      .map(canonicalAddress),
  ]);
  const subnets = (network.IPAM?.Config ?? []).filter(
    (config) => config.Subnet && config.Subnet.includes(':') === (family === 'IPv6'),
  );
  if (subnets.length === 0) return undefined;
  for (const subnet of subnets) {
    const free = firstFreeAddress(subnet, reserved);
    if (free) return free;
  }
  throw ApplicationFailure.nonRetryable(
    `no ${family} address is left for a load balancer on Docker network ${settings.network} ` +
      `(${subnets.map((subnet) => subnet.Subnet).join(', ')}, less Docker's own range): ` +
      'delete unused DockerClusters, or give the provider a network with a larger subnet',
    'NoFreeAddress',
  );
}
