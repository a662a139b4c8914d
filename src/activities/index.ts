// All activities, built from their clients in one place (the worker wires real ones; tests may pass others).
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { createDockerActivities, type DockerSettings } from './docker.js';
import { createKubernetesActivities, type ManagedScope } from './kubernetes.js';
import { createObservationActivities } from './observation.js';

interface ActivityDependencies {
  kubeConfig: k8s.KubeConfig;
  managedScope?: ManagedScope;
  docker: Docker;
  dockerSettings: DockerSettings;
}

export function createActivities(deps: ActivityDependencies) {
  const kubernetes = createKubernetesActivities(deps.kubeConfig, deps.managedScope);
  const docker = createDockerActivities(deps.docker, deps.dockerSettings);
  return { ...kubernetes, ...docker, ...createObservationActivities({ ...kubernetes, ...docker }) };
}

export type Activities = ReturnType<typeof createActivities>;
