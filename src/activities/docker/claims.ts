// Who holds or claims an address on the provider's network, in words a user can act on: the container holding
// it and the DockerCluster it serves, and two DockerClusters that claim one endpoint.
import { ApplicationFailure } from '@temporalio/activity';
import { endpointLabel, ownerNameLabel, ownerNamespaceLabel, ownerUidLabel } from '../load-balancer.js';
import type { LoadBalancerSpec } from '../types.js';
import { type Engine, nameOf } from './engine.js';

/** A container named in a message, with the DockerCluster it serves when it is a load balancer of ours. */
export async function describeContainer(engine: Engine, name: string): Promise<string> {
  const labels = await engine.docker
    .getContainer(name)
    .inspect()
    .then((details) => details.Config.Labels ?? {})
    .catch(() => ({}) as Record<string, string>);
  const namespace = labels[ownerNamespaceLabel];
  const owner = labels[ownerNameLabel];
  return namespace && owner
    ? `container ${name} (the load balancer of DockerCluster ${namespace}/${owner})`
    : `container ${name}`;
}

/**
 * Fails when another DockerCluster's load balancer was made for the same endpoint address: two Clusters with
 * one endpoint (left by an earlier version, or a load balancer removed by hand at the worst moment). Both are
 * told, each naming the other; nothing is removed.
 */
export async function requireEndpointUnshared(
  engine: Engine,
  spec: LoadBalancerSpec,
  ownId: string,
): Promise<void> {
  if (!spec.address) return;
  const claims = await engine.docker.listContainers({
    all: true,
    filters: { label: [`${endpointLabel}=${spec.address}`] },
  });
  const other = claims.find(
    (claim) => claim.Id !== ownId && claim.Labels[ownerUidLabel] !== spec.dockerCluster.uid,
  );
  if (!other) return;
  throw ApplicationFailure.nonRetryable(
    `the endpoint address ${spec.address} of DockerCluster ${spec.dockerCluster.namespace}/${spec.dockerCluster.name} ` +
      `is also the endpoint of ${await describeContainer(engine, nameOf(other))}: two Clusters must not share ` +
      'an endpoint; delete one of them',
    'EndpointShared',
  );
}
