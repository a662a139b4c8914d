// How the provider names a DockerCluster and its reconcile workflow, alike in every layer (activities,
// workflows, watcher, CLI).
import type { DockerCluster } from './dockercluster.js';

/** One incarnation of a DockerCluster: a re-created object with the same name has another uid. */
export interface DockerClusterRef {
  namespace: string;
  name: string;
  uid: string;
}

export function refOf(object: DockerCluster): DockerClusterRef {
  return {
    namespace: object.metadata.namespace as string,
    name: object.metadata.name as string,
    uid: object.metadata.uid as string,
  };
}

/** Stable per incarnation of the object, so a re-created DockerCluster gets a workflow of its own. */
export function workflowIdOf(ref: DockerClusterRef): string {
  return `dockercluster/${ref.namespace}/${ref.name}/${ref.uid}`;
}
