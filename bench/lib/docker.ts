// The benchmark's Docker side: the floor's work for one DockerCluster, and the container events of a namespace.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { writeContainerFiles } from '../../src/activities/container-files.js';
import {
  configDirectory,
  configFile,
  containerLabels,
  containerName,
  haproxyConfig,
  ownerNamespaceLabel,
  ownerUidLabel,
  statsPort,
} from '../../src/activities/load-balancer.js';
import { defaultEndpointPort, dockerClusterResource } from '../../src/api/dockercluster.js';
import type { DockerClusterRef } from '../../src/api/refs.js';
import { mergePatch } from '../../src/clients.js';

export interface FloorSettings {
  docker: Docker;
  /** As the provider's identity: the floor writes what the provider would, under the same role. */
  objects: k8s.CustomObjectsApi;
  image: string;
  network: string;
  hostIp: string;
}

/**
 * The least a create needs, done directly: the load balancer as the provider makes it (image, name, labels,
 * network, ports published on the host address), its HAProxy config written before start, its address read,
 * and the DockerCluster marked ready with one status patch.
 */
export async function floorCreate(settings: FloorSettings, ref: DockerClusterRef): Promise<void> {
  const { docker, network, hostIp } = settings;
  const name = containerName(ref);
  const publish = [{ HostIp: hostIp, HostPort: '' }];
  const container = await docker.createContainer({
    name,
    Hostname: name,
    Image: settings.image,
    Labels: containerLabels(ref, ref.name),
    ExposedPorts: { [`${defaultEndpointPort}/tcp`]: {}, [`${statsPort}/tcp`]: {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: { [`${defaultEndpointPort}/tcp`]: publish, [`${statsPort}/tcp`]: publish },
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  await writeContainerFiles(container, configDirectory, {
    [configFile]: haproxyConfig({ port: defaultEndpointPort, ipFamily: 'IPv4', backends: [] }),
  });
  await container.start();
  if (!(await container.inspect()).NetworkSettings.Networks[network]?.IPAddress) {
    throw new Error(`floor container ${name} has no address on ${network}`);
  }
  await settings.objects.patchNamespacedCustomObjectStatus(
    {
      ...dockerClusterResource,
      namespace: ref.namespace,
      name: ref.name,
      body: { status: { ready: true, initialization: { provisioned: true } } },
    },
    mergePatch,
  );
}

/** Container events of one namespace's load balancers, from now until stop(): action, owner uid and time. */
export async function containerEvents(docker: Docker, namespace: string) {
  const events: { action: string; uid: string | undefined; at: number }[] = [];
  const stream = (await docker.getEvents({
    filters: { type: ['container'], label: [`${ownerNamespaceLabel}=${namespace}`] },
  })) as unknown as Readable;
  createInterface({ input: stream }).on('line', (line) => {
    const event = JSON.parse(line) as { Action: string; Actor: { Attributes: Record<string, string> } };
    events.push({ action: event.Action, uid: event.Actor.Attributes[ownerUidLabel], at: Date.now() });
  });
  stream.on('error', () => undefined);
  return { events, stop: () => stream.destroy() };
}

/** Removes the load balancers of a namespace, whatever state a phase left them in. */
export async function removeContainersOf(docker: Docker, namespace: string): Promise<void> {
  const label = `${ownerNamespaceLabel}=${namespace}`;
  for (const info of await docker.listContainers({ all: true, filters: { label: [label] } })) {
    await docker.getContainer(info.Id).remove({ force: true, v: true });
  }
}
