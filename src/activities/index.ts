// All activities, built from their clients in one place (the worker wires real ones; tests may pass others).
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import type { Fleet } from '../api/engines.js';
import { createDockerActivities, type DockerSettings } from './docker.js';
import type { ManagedScope } from './dockercluster-store.js';
import { createEngineActivities } from './engines.js';
import { createKubernetesActivities } from './kubernetes.js';
import { createObservationActivities } from './observation.js';

interface ActivityDependencies {
  kubeConfig: k8s.KubeConfig;
  managedScope?: ManagedScope;
  fleet: Fleet;
  /** The Docker engine beside this worker, and its name. */
  docker: Docker;
  engine: string;
  dockerSettings: DockerSettings;
}

export function createActivities(deps: ActivityDependencies) {
  const kubernetes = createKubernetesActivities(deps.kubeConfig, deps.managedScope);
  const docker = createDockerActivities(deps.docker, deps.dockerSettings);
  return {
    ...kubernetes,
    ...createEngineActivities(deps.kubeConfig, deps.managedScope ?? {}, deps.fleet),
    ...docker,
    ...createObservationActivities({ ...kubernetes, ...docker }, deps.engine),
  };
}

export type Activities = ReturnType<typeof createActivities>;
