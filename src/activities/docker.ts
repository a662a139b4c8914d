// Docker activities: each does one thing to the load-balancer container, finds it by our ownership label
// (or by the id createLoadBalancer returned), and is safe to run again after a crash at any line.

import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { Semaphore } from 'async-mutex';
import type Docker from 'dockerode';
import { readContainerFiles, writeContainerFiles } from './container-files.js';
import { renderHAProxyTemplate, TemplateError } from './haproxy-template.js';
import {
  candidateConfigFile,
  configDigest,
  configDirectory,
  configFile,
  containerLabels,
  containerName,
  haproxyConfig,
  kindClusterLabel,
  kindRoleLabel,
  loadBalancerRole,
  loadedConfigFile,
  ownerFilter,
  ownerNameLabel,
  ownerNamespaceLabel,
  ownerUidLabel,
  statsPort,
} from './load-balancer.js';
import type {
  CreatedLoadBalancer,
  HAProxyTemplate,
  IpFamily,
  LoadBalancerAddress,
  LoadBalancerConfig,
  LoadBalancerOwner,
  LoadBalancerSpec,
} from './types.js';

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

interface DockerError {
  statusCode?: number;
  json?: { message?: string };
  message: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as DockerError).statusCode;
}

function messageOf(error: unknown): string {
  return (error as DockerError).json?.message ?? (error as DockerError).message;
}

/** How long HAProxy may take to load a config after SIGHUP, and how often that is checked. */
const reloadTimeoutMs = 5_000;
const reloadPollMs = 100;

/** More starts than a worker runs at once (Temporal's default is 100 activities): they never wait on each other. */
const startShares = 1_000;

/** On the networks the provider created, so it only ever removes a duplicate of its own. */
const managedNetworkLabel = 'infrastructure.cluster.x-k8s.io/capd-temporal-network';

export function createDockerActivities(docker: Docker, settings: DockerSettings) {
  /** The network check under way in this worker, which callers arriving meanwhile share. */
  let networkCheck: Promise<void> | undefined;
  /**
   * Load balancers start side by side, but never while one is being replaced: from removing the old container
   * to starting the new one, its endpoint address is free, and Docker gives a starting container the lowest
   * free address. A readers-writer lock: a start holds one share, a replacement holds them all.
   */
  const starts = new Semaphore(startShares);
  const startingAlongside = <T>(work: () => Promise<T>) => starts.runExclusive(work, 1);
  const replacingAlone = <T>(work: () => Promise<T>) => starts.runExclusive(work, startShares);

  function addressOn(info: Docker.ContainerInfo | Docker.ContainerInspectInfo, family: IpFamily = 'IPv4') {
    const network = info.NetworkSettings.Networks[settings.network];
    return (family === 'IPv6' ? network?.GlobalIPv6Address : network?.IPAddress) || undefined;
  }

  /**
   * The DockerCluster's load balancer: the container carrying its uid, or else one with its namespace, name
   * and cluster labels that holds its endpoint address (the DockerCluster came back under another uid, as
   * `clusterctl move` brings it). A container that serves another endpoint is never taken.
   */
  async function findOwned(owner: LoadBalancerOwner): Promise<Docker.ContainerInfo | undefined> {
    const [byUid] = await docker.listContainers({
      all: true,
      filters: { label: [ownerFilter(owner.dockerCluster)] },
    });
    if (byUid || !owner.address || !owner.clusterName) return byUid;
    const { namespace, name } = owner.dockerCluster;
    const labels = [
      `${ownerNamespaceLabel}=${namespace}`,
      `${ownerNameLabel}=${name}`,
      `${kindClusterLabel}=${owner.clusterName}`,
      `${kindRoleLabel}=${loadBalancerRole}`,
    ];
    const candidates = await docker.listContainers({ all: true, filters: { label: labels } });
    return candidates.find((candidate) => addressOn(candidate) === owner.address);
  }

  /** An IPv6 or dual-stack Cluster's load balancer needs IPv6 on the network; without it, waiting cannot help. */
  async function requireIPv6(spec: LoadBalancerSpec): Promise<void> {
    const network = await docker.getNetwork(settings.network).inspect();
    if (network.EnableIPv6) return;
    throw ApplicationFailure.nonRetryable(
      `Cluster ${spec.clusterName} is ${spec.ipFamily === 'IPv6' ? 'IPv6' : 'dual-stack'} (its pod and service CIDRs), ` +
        `but the Docker network ${settings.network} has no IPv6: set the provider's CAPDT_NETWORK_SUBNET_V6 ` +
        `(e.g. fd00:ca9d::/64) and remove the network while it is unused, or create it with --ipv6`,
      'NetworkWithoutIPv6',
    );
  }

  /** The container holding an address on the provider's network, if any. */
  async function holderOf(address: string): Promise<string | undefined> {
    const network = await docker.getNetwork(settings.network).inspect();
    const held = Object.values(
      (network.Containers ?? {}) as Record<
        string,
        { Name: string; IPv4Address?: string; IPv6Address?: string }
      >,
    ).find(
      (endpoint) =>
        endpoint.IPv4Address?.split('/')[0] === address || endpoint.IPv6Address?.split('/')[0] === address,
    );
    return held?.Name;
  }

  function addressTaken(spec: LoadBalancerSpec, holder: string): ApplicationFailure {
    return ApplicationFailure.nonRetryable(
      `the load balancer of DockerCluster ${spec.dockerCluster.namespace}/${spec.dockerCluster.name} cannot be ` +
        `re-created on its endpoint address ${spec.address}: container ${holder} holds it on network ` +
        `${settings.network}; the endpoint is not moved: stop or disconnect ${holder}`,
      'AddressInUse',
    );
  }

  function addressOutsideNetwork(spec: LoadBalancerSpec, error: unknown): ApplicationFailure {
    return ApplicationFailure.nonRetryable(
      `the load balancer cannot be re-created on its endpoint address ${spec.address}: ${messageOf(error)}; ` +
        `the Docker network ${settings.network} needs a configured subnet that contains it`,
      'InvalidNetwork',
    );
  }

  /**
   * Why a load balancer no longer serves its DockerCluster as specified (another image, or not on the recorded
   * address and host port, as after an engine restart), or undefined when it does.
   */
  function mismatch(details: Docker.ContainerInspectInfo, spec: LoadBalancerSpec): string | undefined {
    const image = spec.image ?? settings.defaultImage;
    if (details.Config.Image !== image) return `its image is ${details.Config.Image}, not ${image}`;
    const address = addressOn(details, spec.ipFamily);
    if (spec.address && address !== spec.address) {
      return `it is on ${address ?? 'no address'}, not on the endpoint address ${spec.address}`;
    }
    const published = details.NetworkSettings.Ports?.[`${spec.port}/tcp`]?.[0]?.HostPort;
    if (spec.hostPort && published !== spec.hostPort) {
      return `it publishes port ${spec.port} on host port ${published ?? 'none'}, not ${spec.hostPort}`;
    }
    return undefined;
  }

  async function remove(id: string): Promise<void> {
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async function ensureImage(image: string): Promise<void> {
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

  async function create(spec: LoadBalancerSpec, image: string): Promise<string> {
    const name = containerName(spec.dockerCluster);
    const publish = (hostPort = '') => [{ HostIp: settings.hostIp, HostPort: hostPort }];
    const ipamConfig = spec.address && {
      IPAMConfig: spec.ipFamily === 'IPv6' ? { IPv6Address: spec.address } : { IPv4Address: spec.address },
    };
    try {
      const container = await docker.createContainer({
        name,
        Hostname: name,
        Image: image,
        Labels: containerLabels(spec.dockerCluster, spec.clusterName),
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
      if (spec.address && /subnet/.test(messageOf(error))) throw addressOutsideNetwork(spec, error);
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
   * Writes the config and reads it back. It counts as loaded only for a container that loads it when it
   * starts; otherwise whatever was recorded as loaded is cleared with the same write, until HAProxy takes it.
   */
  async function writeConfig(container: Docker.Container, wanted: string, loaded: boolean): Promise<void> {
    await writeContainerFiles(container, configDirectory, {
      [configFile]: wanted,
      [loadedConfigFile]: loaded ? configDigest(wanted) : '',
    });
    if ((await readContainerFiles(container, configDirectory))[configFile] !== wanted) {
      throw ApplicationFailure.retryable(
        `the HAProxy config read back from ${container.id} differs from what was written`,
      );
    }
  }

  /** The config a running load balancer should serve: the provider's, or the DockerCluster's template's. */
  async function configFor(input: CreatedLoadBalancer & LoadBalancerConfig & { template?: HAProxyTemplate }) {
    if (!input.template) return haproxyConfig(input);
    try {
      return await renderHAProxyTemplate(input.template.text, input);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      throw ApplicationFailure.nonRetryable(
        `the HAProxy template in ConfigMap ${input.dockerCluster.namespace}/${input.template.configMap} (key value) ` +
          `does not render: ${error.message}; the load balancer keeps serving its current config until the template is fixed`,
        'TemplateInvalid',
      );
    }
  }

  /**
   * Has HAProxy itself check a config (`haproxy -c`, in the container, on a copy beside the live one) before it
   * replaces the live one: a config HAProxy refuses is never written where a restart would load it.
   */
  async function checkConfig(
    container: Docker.Container,
    name: string,
    config: string,
    source: { what: string; fix: string },
  ) {
    await writeContainerFiles(container, configDirectory, { [candidateConfigFile]: config });
    const exec = await container.exec({
      Cmd: ['haproxy', '-c', '-f', `${configDirectory}/${candidateConfigFile}`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      const collect = new PassThrough().on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      exec.start({}, (error, stream) => {
        if (error || !stream) return reject(error ?? new Error('docker exec gave no output stream'));
        docker.modem.demuxStream(stream, collect, collect);
        stream.on('end', () => resolve(text)).on('error', reject);
      });
    });
    const { ExitCode } = await exec.inspect();
    if (ExitCode === 0) return;
    const alerts = output.match(/\[ALERT\].*$/gm)?.slice(0, 3) ?? [
      output.trim().split('\n').slice(-3).join(' '),
    ];
    throw ApplicationFailure.nonRetryable(
      `HAProxy in load balancer ${name} refuses ${source.what}: ${alerts.join(' ')}. ` +
        `It keeps serving its current config: ${source.fix}`,
      'ConfigRejected',
    );
  }

  async function processesOf(container: Docker.Container): Promise<string[]> {
    const listing: { Processes: string[][] } = await container.top({ ps_args: '-o pid' });
    return listing.Processes.map(([pid]) => pid as string);
  }

  /**
   * Sends SIGHUP and waits for HAProxy to load the config. In master-worker mode (`haproxy -W`, as the
   * default image runs it) a reload that succeeds leaves a new worker process running; one that fails leaves
   * only the old ones, and the master logs why.
   */
  async function reload(container: Docker.Container, name: string): Promise<void> {
    const before = new Set(await processesOf(container));
    await container.kill({ signal: 'SIGHUP' });
    for (let waited = 0; waited < reloadTimeoutMs; waited += reloadPollMs) {
      await sleep(reloadPollMs);
      const started = (await processesOf(container)).filter((pid) => !before.has(pid));
      if (started.length === 0) continue;
      // Still there a moment later: not a worker that failed to load the config and exited.
      await sleep(reloadPollMs);
      const running = new Set(await processesOf(container));
      if (started.some((pid) => running.has(pid))) return;
    }
    const logs = String(await container.logs({ stdout: true, stderr: true, tail: 50 }));
    const alerts = logs.match(/\[ALERT\].*$/gm)?.slice(-3) ?? [];
    throw ApplicationFailure.nonRetryable(
      `HAProxy in load balancer ${name} did not load its new config within ${reloadTimeoutMs / 1000} s of SIGHUP` +
        (alerts.length > 0 ? ` (${alerts.join(' ')})` : '') +
        '; the previous config still serves. It is reloaded again on the next try; the image must run HAProxy ' +
        'in master-worker mode (-W), as the default image does',
      'ReloadFailed',
    );
  }

  /** Networks named exactly like ours (Docker's name filter also matches substrings), oldest first. */
  async function networksNamed(name: string): Promise<Docker.NetworkInspectInfo[]> {
    const found = await docker.listNetworks({ filters: { name: [name] } });
    return found
      .filter((network) => network.Name === name)
      .sort((a, b) => a.Created.localeCompare(b.Created));
  }

  async function ensureOneNetwork(): Promise<void> {
    const [kept, ...duplicates] = await networksNamed(settings.network);
    // Duplicates from a race of several workers: the extra ones we created, while unused, are removed.
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
        // A configured subnet lets a re-created load balancer ask for its old address back.
        IPAM: {
          Driver: 'default',
          Config: [
            { Subnet: settings.subnet },
            ...(settings.subnetV6 ? [{ Subnet: settings.subnetV6 }] : []),
          ],
        },
        ...(settings.subnetV6 && { EnableIPv6: true }),
      });
    } catch (error) {
      if (statusOf(error) === 409) return;
      // Another worker may have created it meanwhile, taking the subnet: then it is there to use.
      if ((await networksNamed(settings.network)).length > 0) return;
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

  /** Starts a load balancer; its address taken meanwhile is reported with the container that holds it. */
  async function start(container: Docker.Container, spec: LoadBalancerSpec): Promise<void> {
    try {
      await container.start();
    } catch (error) {
      if (statusOf(error) === 304) return;
      if (!spec.address) throw error;
      if (/subnet/.test(messageOf(error))) throw addressOutsideNetwork(spec, error);
      const holder = /address already in use/i.test(messageOf(error)) && (await holderOf(spec.address));
      if (holder) throw addressTaken(spec, holder);
      throw error;
    }
  }

  /** Creates a load balancer with the provider's config in place and starts it; a failed start leaves none. */
  async function createStarted(spec: LoadBalancerSpec, image: string): Promise<string> {
    const holder = spec.address && (await holderOf(spec.address));
    if (holder) throw addressTaken(spec, holder);
    const containerId = await create(spec, image);
    const container = docker.getContainer(containerId);
    const config = haproxyConfig(spec);
    try {
      // A new container holds the image's initial config: ours is written without reading first (archive
      // reads are costly when many containers start at once). HAProxy loads it when it starts.
      await writeContainerFiles(container, configDirectory, {
        [configFile]: config,
        [loadedConfigFile]: configDigest(config),
      });
      await start(container, spec);
    } catch (error) {
      // Nothing half-made stays behind: the next attempt creates it afresh.
      await remove(containerId);
      throw error;
    }
    return containerId;
  }

  /** The container createLoadBalancer returned, inspected; gone since then is retryable (it is re-created). */
  async function inspectCreated(lb: CreatedLoadBalancer): Promise<Docker.ContainerInspectInfo> {
    try {
      return await docker.getContainer(lb.containerId).inspect();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      throw ApplicationFailure.retryable(
        `the load balancer of DockerCluster ${lb.dockerCluster.namespace}/${lb.dockerCluster.name} does not exist (yet)`,
        'LoadBalancerMissing',
      );
    }
  }

  return {
    /** Creates the provider's Docker network unless it exists. */
    async ensureNetwork(): Promise<void> {
      // One check (and creation) at a time in this worker: Docker's duplicate check is racy, and two
      // networks with one name make every container that names it fail. Many DockerClusters created at once
      // share one check instead of queueing one each.
      networkCheck ??= ensureOneNetwork().finally(() => {
        networkCheck = undefined;
      });
      await networkCheck;
    },

    /**
     * Creates the load-balancer container unless it exists, and makes sure it runs and serves the endpoint.
     * A container that is not running gets its HAProxy config before it starts, so HAProxy never needs a
     * signal it could miss while starting up. One that no longer serves as specified (a new image, or back on
     * another address or host port, as after an engine restart) is replaced by a new one on the recorded
     * address and host port: `replaced` says why.
     */
    async createLoadBalancer(
      spec: LoadBalancerSpec,
    ): Promise<{ containerId: string; created: boolean; replaced?: string }> {
      const owned = await findOwned(spec);
      let replaced: string | undefined;
      if (owned) {
        const container = docker.getContainer(owned.Id);
        if (owned.State !== 'running') {
          await writeConfig(container, haproxyConfig(spec), true);
          await startingAlongside(() => start(container, spec));
        }
        replaced = mismatch(await container.inspect(), spec);
        if (!replaced) return { containerId: owned.Id, created: false };
      }

      if (spec.ipFamily !== 'IPv4') await requireIPv6(spec);
      const image = spec.image ?? settings.defaultImage;
      // Checked before the old one is removed: an image that cannot be had leaves the load balancer as it is.
      await ensureImage(image);
      const containerId = owned
        ? await replacingAlone(async () => {
            await remove(owned.Id);
            return await createStarted(spec, image);
          })
        : await startingAlongside(() => createStarted(spec, image));
      return { containerId, created: true, ...(replaced && { replaced }) };
    },

    /**
     * Makes the running HAProxy serve the config it should: writes the config when the file differs (and reads
     * it back), and reloads HAProxy unless it has loaded exactly this config already. The config counts as
     * loaded only once HAProxy has taken it, so a reload that was lost (a crash between write and signal) or
     * refused is a state the next pass sees, and tries again.
     */
    async configureLoadBalancer(
      input: CreatedLoadBalancer & LoadBalancerConfig & { template?: HAProxyTemplate },
    ): Promise<{ reloaded: boolean }> {
      const details = await inspectCreated(input);
      const container = docker.getContainer(details.Id);
      const name = details.Name.replace(/^\//, '');
      const wanted = await configFor(input);
      const files = await readContainerFiles(container, configDirectory);
      if (files[configFile] === wanted && files[loadedConfigFile] === configDigest(wanted)) {
        return { reloaded: false };
      }
      if (files[configFile] !== wanted) {
        const source = input.template
          ? {
              what: `the config rendered from ConfigMap ${input.dockerCluster.namespace}/${input.template.configMap}`,
              fix: 'fix the template (key value)',
            }
          : { what: "the provider's config", fix: 'report this as a bug of capd-temporal' };
        await checkConfig(container, name, wanted, source);
        await writeConfig(container, wanted, false);
      }
      await reload(container, name);
      await writeContainerFiles(container, configDirectory, { [loadedConfigFile]: configDigest(wanted) });
      return { reloaded: true };
    },

    /** The load balancer's address on the provider's network. */
    async getLoadBalancerAddress(
      input: CreatedLoadBalancer & { ipFamily: IpFamily; port: number },
    ): Promise<LoadBalancerAddress> {
      const details = await inspectCreated(input);
      if (!details.State.Running) {
        // Waiting cannot help: the next reconcile starts it again (createLoadBalancer).
        throw ApplicationFailure.nonRetryable(
          `the load balancer ${details.Name.replace(/^\//, '')} is not running (${details.State.Status}); it is started on the next reconcile`,
          'LoadBalancerNotRunning',
        );
      }
      const ip = addressOn(details, input.ipFamily);
      if (!ip) {
        throw ApplicationFailure.retryable(
          `the load balancer ${details.Name} has no ${input.ipFamily} address on network ${settings.network} yet`,
          'NoAddress',
        );
      }
      const hostPort = details.NetworkSettings.Ports?.[`${input.port}/tcp`]?.[0]?.HostPort;
      return { containerId: details.Id, ip, ...(hostPort && { hostPort }) };
    },

    /** Force-removes the load balancer with its volumes; a container that is already gone is success. */
    async deleteLoadBalancer(owner: LoadBalancerOwner): Promise<{ removed: boolean }> {
      const owned = await findOwned(owner);
      if (!owned) return { removed: false };
      await remove(owned.Id);
      return { removed: true };
    },
  };
}

export type DockerActivities = ReturnType<typeof createDockerActivities>;
