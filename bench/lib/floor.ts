// The floor: the same outcome as a create, done directly and concurrently for N pre-created DockerClusters,
// without watcher, Temporal or retries: create the load-balancer container (same image, name scheme, labels,
// network and ports published on the same host address as the provider's), write its HAProxy config, start
// it, inspect it for its address, and merge-patch status.ready=true through the status subresource.
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { writeContainerFile } from '../../src/activities/container-files.js';
import {
  configPath,
  containerLabels,
  containerName,
  haproxyConfig,
  statsPort,
} from '../../src/activities/load-balancer.js';
import { defaultEndpointPort } from '../../src/api/dockercluster.js';
import { refOf } from '../../src/watcher/changes.js';
import { type Created, patchReady } from './kube.js';

export interface FloorSettings {
  docker: Docker;
  /** The provider's identity: the floor writes status as the provider would. */
  objects: k8s.CustomObjectsApi;
  image: string;
  network: string;
  hostIp: string;
}

export interface FloorObjectTimes {
  name: string;
  /** Milliseconds from the floor's start to: container created, config written, started, inspected, status patched. */
  createdMs: number;
  configuredMs: number;
  startedMs: number;
  inspectedMs: number;
  patchedMs: number;
}

/** Does one object's work; times are relative to t0 (Date.now() of the floor's start). */
export async function floorOne(
  settings: FloorSettings,
  object: Created,
  t0: number,
): Promise<FloorObjectTimes> {
  const { docker, network, hostIp } = settings;
  const ref = refOf(object.object);
  const name = containerName(ref);
  const publish = { HostIp: hostIp, HostPort: '' };
  const container = await docker.createContainer({
    name,
    Hostname: name,
    Image: settings.image,
    Labels: containerLabels(ref, object.name),
    ExposedPorts: { [`${defaultEndpointPort}/tcp`]: {}, [`${statsPort}/tcp`]: {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: { [`${defaultEndpointPort}/tcp`]: [publish], [`${statsPort}/tcp`]: [publish] },
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  const createdMs = Date.now() - t0;
  await writeContainerFile(
    container,
    configPath,
    haproxyConfig({ port: defaultEndpointPort, ipFamily: 'IPv4' }),
  );
  const configuredMs = Date.now() - t0;
  await container.start();
  const startedMs = Date.now() - t0;
  const details = await container.inspect();
  if (!details.NetworkSettings.Networks[network]?.IPAddress) {
    throw new Error(`floor container ${name} has no address on ${network}`);
  }
  const inspectedMs = Date.now() - t0;
  await patchReady(settings.objects, ref.namespace, ref.name);
  return { name: object.name, createdMs, configuredMs, startedMs, inspectedMs, patchedMs: Date.now() - t0 };
}
