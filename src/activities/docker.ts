// Docker activities: the verbs the workflow calls on the load-balancer container. Each finds the container by our
// ownership label (or by the id createLoadBalancer returned) and is safe to run again after a crash at any line;
// the network, the container's life and HAProxy are in ./docker/.
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { requireEndpointUnshared } from './docker/claims.js';
import {
  create,
  ensureImage,
  findOwned,
  inspectCreated,
  isAddressInUse,
  mismatch,
  remove,
  retire,
  start,
} from './docker/container.js';
import { addressOn, type DockerSettings, type Engine, statusOf } from './docker/engine.js';
import {
  type ConfigInput,
  checkConfig,
  configFor,
  configSource,
  configState,
  installConfig,
  recordLoaded,
  reload,
  writeConfig,
} from './docker/haproxy.js';
import { chooseAddress, ensureOneNetwork, requireIPv6 } from './docker/network.js';
import { haproxyConfig } from './load-balancer.js';
import type {
  InspectInput,
  IpFamily,
  LoadBalancerAddress,
  LoadBalancerOwner,
  LoadBalancerSpec,
  LoadBalancerState,
} from './types.js';

export type { DockerSettings };

/** How often a new load balancer may lose the race for an address it chose (to another one starting). */
const addressAttempts = 5;

/** Where a load balancer serves: its address on the provider's network and the host port of the endpoint port. */
function placeOf(engine: Engine, details: Docker.ContainerInspectInfo, ipFamily: IpFamily, port: number) {
  const ip = addressOn(engine, details, ipFamily);
  const hostPort = details.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort;
  return { ...(ip && { ip }), ...(hostPort && { hostPort }) };
}

export function createDockerActivities(docker: Docker, settings: DockerSettings) {
  const engine: Engine = { docker, settings };
  /** The network check under way in this worker, which callers arriving meanwhile share. */
  let networkCheck: Promise<void> | undefined;

  /**
   * Creates a load balancer with the provider's config in place, removes the containers it succeeds, and starts
   * it. Its address is reserved from its creation on (the address label), so the predecessors' address is never
   * free for another load balancer to take. A container whose endpoint address another container holds stays:
   * it keeps the address reserved until it can start. Any other failed start leaves none; one that lost the
   * address it chose to another load balancer starting at the same moment is tried again on another address.
   */
  async function createStarted(
    spec: LoadBalancerSpec,
    image: string,
    predecessors: Docker.ContainerInfo[],
  ): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      const family = spec.ipFamily === 'IPv6' ? 'IPv6' : 'IPv4';
      const address = spec.address ?? (await chooseAddress(engine, family, spec.avoid));
      const containerId = await create(engine, spec, image, address);
      await installConfig(docker.getContainer(containerId), haproxyConfig(spec));
      for (const predecessor of predecessors.splice(0)) await remove(engine, predecessor.Id);
      try {
        await start(engine, containerId, spec);
        return containerId;
      } catch (error) {
        const addressInUse = isAddressInUse(error);
        if (spec.address && addressInUse) throw error;
        await remove(engine, containerId);
        if (spec.address || !addressInUse || attempt === addressAttempts) throw error;
      }
    }
  }

  return {
    /** Creates the provider's Docker network unless it exists. */
    async ensureNetwork(): Promise<void> {
      // Many DockerClusters created at once share one check in this worker instead of queueing one each; a race
      // between workers is repaired by ensureOneNetwork itself.
      networkCheck ??= ensureOneNetwork(engine).finally(() => {
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
      const owned = await findOwned(engine, spec);
      const { retired } = owned;
      let { current } = owned;
      let replaced: string | undefined;
      if (current) {
        // What a replacement under way left: the current container carries the same address label.
        for (const old of retired.splice(0)) await remove(engine, old.Id);
        replaced = mismatch(engine, await docker.getContainer(current.Id).inspect(), spec);
        if (!replaced) {
          await requireEndpointUnshared(engine, spec, current.Id);
          if (current.State === 'running') return { containerId: current.Id, created: false };
          await writeConfig(docker.getContainer(current.Id), haproxyConfig(spec), true);
          try {
            await start(engine, current.Id, spec);
            return { containerId: current.Id, created: false };
          } catch (error) {
            // Made by an attempt that died before it started it, on an address another load balancer took since:
            // without an endpoint to keep, it is made again on another one.
            if (spec.address || !isAddressInUse(error)) throw error;
            await remove(engine, current.Id);
            current = undefined;
          }
        }
      }

      if (spec.ipFamily !== 'IPv4') await requireIPv6(engine, spec);
      const image = spec.image ?? settings.defaultImage;
      // Checked before the old one is retired: an image that cannot be had leaves the load balancer as it is.
      await ensureImage(engine, image);
      const predecessors = current ? [...retired, await retire(engine, current)] : retired;
      const containerId = await createStarted(spec, image, predecessors);
      return { containerId, created: true, ...(replaced && { replaced }) };
    },

    /**
     * Makes the running HAProxy serve the config it should: writes the config when the file differs (and reads
     * it back), and reloads HAProxy unless it has loaded exactly this config already. The config counts as
     * loaded only once HAProxy has taken it, so a reload that was lost (a crash between write and signal) or
     * refused is a state the next pass sees, and tries again.
     */
    async configureLoadBalancer(input: ConfigInput): Promise<{ reloaded: boolean }> {
      const details = await inspectCreated(engine, input);
      const container = docker.getContainer(details.Id);
      const name = details.Name.replace(/^\//, '');
      const wanted = await configFor(input);
      const { written, loaded } = await configState(container, wanted);
      if (loaded) return { reloaded: false };
      if (!written) {
        await checkConfig(engine, container, name, wanted, configSource(input));
        await writeConfig(container, wanted, false);
      }
      await reload(container, name);
      await recordLoaded(container, wanted);
      return { reloaded: true };
    },

    /** The load balancer's address on the provider's network. */
    async getLoadBalancerAddress(input: InspectInput): Promise<LoadBalancerAddress> {
      const details = await inspectCreated(engine, input);
      if (!details.State.Running) {
        // Waiting cannot help: the next reconcile starts it again (createLoadBalancer).
        throw ApplicationFailure.nonRetryable(
          `the load balancer ${details.Name.replace(/^\//, '')} is not running (${details.State.Status}); it is started on the next reconcile`,
          'LoadBalancerNotRunning',
        );
      }
      const { ip, hostPort } = placeOf(engine, details, input.ipFamily, input.port);
      if (!ip) {
        throw ApplicationFailure.retryable(
          `the load balancer ${details.Name} has no ${input.ipFamily} address on network ${settings.network} yet`,
          'NoAddress',
        );
      }
      return { containerId: details.Id, ip, ...(hostPort && { hostPort }) };
    },

    /** The container a pass recorded, as it is now; null once it is gone. Reads only. */
    async inspectLoadBalancer(input: InspectInput): Promise<LoadBalancerState | null> {
      let details: Docker.ContainerInspectInfo;
      try {
        details = await docker.getContainer(input.containerId).inspect();
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
      return {
        containerId: details.Id,
        running: details.State.Running,
        image: details.Config.Image,
        ...placeOf(engine, details, input.ipFamily, input.port),
      };
    },

    /** Force-removes the load balancer (and a predecessor a replacement left) with its volumes. */
    async deleteLoadBalancer(owner: LoadBalancerOwner): Promise<{ removed: boolean }> {
      const { current, retired } = await findOwned(engine, owner);
      const owned = current ? [current, ...retired] : retired;
      for (const container of owned) await remove(engine, container.Id);
      return { removed: owned.length > 0 };
    },
  };
}

export type DockerActivities = ReturnType<typeof createDockerActivities>;
