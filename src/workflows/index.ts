// The worker's workflow bundle entry point.
export { reconcileDockerCluster } from './reconcile-docker-cluster.js';
