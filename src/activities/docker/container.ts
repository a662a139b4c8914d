// The load-balancer container's life: found by its owner, created on the address it keeps, started, retired
// while its successor is made, removed. Every step is safe to repeat after a crash at any line.
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import {
  addressLabel,
  containerLabels,
  containerName,
  endpointLabel,
  kindClusterLabel,
  kindRoleLabel,
  loadBalancerRole,
  ownerFilter,
  ownerNameLabel,
  ownerNamespaceLabel,
  ownerUidLabel,
  retiredSuffix,
  statsPort,
} from '../load-balancer.js';
import type { CreatedLoadBalancer, LoadBalancerOwner, LoadBalancerSpec } from '../types.js';
import { describeContainer } from './claims.js';
import { addressOn, type Engine, messageOf, nameOf, statusOf } from './engine.js';
import { holderOf } from './network.js';

/** A DockerCluster's containers: the one that serves, and those of a replacement that was under way. */
interface OwnedContainers {
  current?: Docker.ContainerInfo;
  retired: Docker.ContainerInfo[];
}

/**
 * The DockerCluster's containers: those carrying its uid, and, while none of them runs, those with its namespace,
 * name and cluster labels that hold (or were made for) its endpoint address: the DockerCluster came back under
 * another uid, as `clusterctl move` brings it, and that container (or one a replacement retired) still serves
 * it. A container that serves another endpoint is never taken.
 */
export async function findOwned(engine: Engine, owner: LoadBalancerOwner): Promise<OwnedContainers> {
  const { docker } = engine;
  const found = await docker.listContainers({
    all: true,
    filters: { label: [ownerFilter(owner.dockerCluster)] },
  });
  if (owner.address && owner.clusterName && !found.some((container) => container.State === 'running')) {
    const { namespace, name } = owner.dockerCluster;
    const labels = [
      `${ownerNamespaceLabel}=${namespace}`,
      `${ownerNameLabel}=${name}`,
      `${kindClusterLabel}=${owner.clusterName}`,
      `${kindRoleLabel}=${loadBalancerRole}`,
    ];
    const candidates = await docker.listContainers({ all: true, filters: { label: labels } });
    found.push(
      ...candidates.filter(
        (candidate) =>
          !found.some((container) => container.Id === candidate.Id) &&
          (addressOn(engine, candidate) === owner.address ||
            candidate.Labels[endpointLabel] === owner.address),
      ),
    );
  }
  return {
    current: found.find((container) => !nameOf(container).endsWith(retiredSuffix)),
    retired: found.filter((container) => nameOf(container).endsWith(retiredSuffix)),
  };
}

export async function remove(engine: Engine, id: string): Promise<void> {
  try {
    await engine.docker.getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/**
 * Renames a load balancer that is to be replaced. It keeps serving, and keeps its address, until its successor
 * exists under the usual name with the same address label; only then is it removed.
 */
export async function retire(engine: Engine, container: Docker.ContainerInfo): Promise<Docker.ContainerInfo> {
  const name = `${nameOf(container)}${retiredSuffix}`;
  await engine.docker.getContainer(container.Id).rename({ name });
  return { ...container, Names: [`/${name}`] };
}

export async function ensureImage(engine: Engine, image: string): Promise<void> {
  const { docker } = engine;
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    const progress = await docker.pull(image);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(progress, (error) => (error ? reject(error) : resolve())),
    );
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      `load-balancer image ${image} is not on the Docker engine and cannot be pulled (${messageOf(error)}); ` +
        'set spec.loadbalancerImage, or the provider default, to an image the engine has or can pull',
      'ImageNotFound',
    );
  }
}

function addressOutsideNetwork(engine: Engine, spec: LoadBalancerSpec, error: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `the load balancer cannot be re-created on its endpoint address ${spec.address}: ${messageOf(error)}; ` +
      `the Docker network ${engine.settings.network} needs a configured subnet that contains it`,
    'InvalidNetwork',
  );
}

/** Docker's refusal of an address another container holds, or ours that names the holder. */
export function isAddressInUse(error: unknown): boolean {
  if (error instanceof ApplicationFailure) return error.type === 'AddressInUse';
  return /address already in use/i.test(messageOf(error));
}

/**
 * Creates the load-balancer container on `address` (Docker is asked for exactly it, and its label reserves it
 * from now on), or where Docker puts it when the network has no configured subnet to choose from.
 */
export async function create(
  engine: Engine,
  spec: LoadBalancerSpec,
  image: string,
  address: string | undefined,
): Promise<string> {
  const { docker, settings } = engine;
  const name = containerName(spec.dockerCluster);
  const publish = (hostPort = '') => [{ HostIp: settings.hostIp, HostPort: hostPort }];
  const ipamConfig = address && {
    IPAMConfig: spec.ipFamily === 'IPv6' ? { IPv6Address: address } : { IPv4Address: address },
  };
  try {
    const container = await docker.createContainer({
      name,
      Hostname: name,
      Image: image,
      Labels: containerLabels(
        spec.dockerCluster,
        spec.clusterName,
        address ? { ip: address, endpoint: address === spec.address } : undefined,
      ),
      ExposedPorts: { [`${spec.port}/tcp`]: {}, [`${statsPort}/tcp`]: {} },
      HostConfig: {
        NetworkMode: settings.network,
        PortBindings: { [`${spec.port}/tcp`]: publish(spec.hostPort), [`${statsPort}/tcp`]: publish() },
        RestartPolicy: { Name: 'unless-stopped' },
      },
      ...(ipamConfig && { NetworkingConfig: { EndpointsConfig: { [settings.network]: ipamConfig } } }),
    });
    return container.id;
  } catch (error) {
    if (spec.address && /subnet/.test(messageOf(error))) throw addressOutsideNetwork(engine, spec, error);
    // A network whose subnet Docker chose takes no address from us: Docker places the container itself.
    if (address && /user configured subnets/.test(messageOf(error))) {
      return await create(engine, spec, image, undefined);
    }
    if (statusOf(error) !== 409) throw error;
    // The name is taken: ours from an attempt that crashed after creating it, or somebody else's.
    const existing = await docker.getContainer(name).inspect();
    if (existing.Config.Labels?.[ownerUidLabel] === spec.dockerCluster.uid) {
      return existing.Id;
    }
    throw ApplicationFailure.nonRetryable(
      `a container named ${name} exists and does not belong to DockerCluster ${spec.dockerCluster.namespace}/${spec.dockerCluster.name}; ` +
        'it is left alone: remove or rename it',
      'NameConflict',
    );
  }
}

/**
 * Starts a load balancer. On its recorded endpoint address, an address taken meanwhile is reported with the
 * container (and DockerCluster) that holds it; the endpoint is never moved.
 */
export async function start(engine: Engine, id: string, spec: LoadBalancerSpec): Promise<void> {
  try {
    await engine.docker.getContainer(id).start();
  } catch (error) {
    if (statusOf(error) === 304) return;
    if (!spec.address) throw error;
    if (/subnet/.test(messageOf(error))) throw addressOutsideNetwork(engine, spec, error);
    const holder = isAddressInUse(error) && (await holderOf(engine, spec.address));
    if (!holder) throw error;
    throw ApplicationFailure.nonRetryable(
      `the load balancer of DockerCluster ${spec.dockerCluster.namespace}/${spec.dockerCluster.name} cannot be ` +
        `re-created on its endpoint address ${spec.address}: ${await describeContainer(engine, holder)} holds it ` +
        `on network ${engine.settings.network}; the endpoint is not moved: stop or disconnect ${holder}`,
      'AddressInUse',
    );
  }
}

/**
 * Why a load balancer no longer serves its DockerCluster as specified (another image, or not on the recorded
 * address and host port, as after an engine restart), or undefined when it does. A container that is not
 * running is judged by what it was created with: what it gets when it starts.
 */
export function mismatch(
  engine: Engine,
  details: Docker.ContainerInspectInfo,
  spec: LoadBalancerSpec,
): string | undefined {
  const image = spec.image ?? engine.settings.defaultImage;
  if (details.Config.Image !== image) return `its image is ${details.Config.Image}, not ${image}`;
  const running = details.State.Running;
  const address = running ? addressOn(engine, details, spec.ipFamily) : details.Config.Labels?.[addressLabel];
  if (spec.address && address !== spec.address) {
    return `it is on ${address ?? 'no address'}, not on the endpoint address ${spec.address}`;
  }
  if (!spec.address && address && spec.avoid?.includes(address)) {
    return `its address ${address} is another DockerCluster's endpoint`;
  }
  const port = `${spec.port}/tcp`;
  const published = running
    ? details.NetworkSettings.Ports?.[port]?.[0]?.HostPort
    : details.HostConfig.PortBindings?.[port]?.[0]?.HostPort;
  if (spec.hostPort && published !== spec.hostPort) {
    return `it publishes port ${spec.port} on host port ${published || 'none'}, not ${spec.hostPort}`;
  }
  return undefined;
}

/**
 * The container createLoadBalancer returned, inspected. Gone since then, it is not retried: the same call cannot
 * find it again, and the next pass (which its destroy event starts at once) re-creates it.
 */
export async function inspectCreated(
  engine: Engine,
  lb: CreatedLoadBalancer,
): Promise<Docker.ContainerInspectInfo> {
  try {
    return await engine.docker.getContainer(lb.containerId).inspect();
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    throw ApplicationFailure.nonRetryable(
      `the load balancer of DockerCluster ${lb.dockerCluster.namespace}/${lb.dockerCluster.name} was removed; it is re-created on the next reconcile`,
      'LoadBalancerMissing',
    );
  }
}
