// The Kubernetes permissions the provider's code uses; config/rbac/role.yaml is generated from this list.
import { clusterGroup, clusterPlural, machinePlural } from './capi.js';
import { group, plural, templatePlural } from './dockercluster.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export const providerRules: PolicyRule[] = [
  { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: [group], resources: [`${plural}/status`], verbs: ['patch'] },
  { apiGroups: [clusterGroup], resources: [clusterPlural], verbs: ['get', 'list', 'watch'] },
  // The control-plane Machines behind each load balancer.
  { apiGroups: [clusterGroup], resources: [machinePlural], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  // Custom HAProxy config templates (spec.loadBalancer.customHAProxyConfigTemplateRef), re-rendered on edits.
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
  // Leader election among watchers; each worker's Lease, which tells which Docker engines have a worker.
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
  },
];

/**
 * What CAPI's core controllers need on our objects, by aggregation: DockerClusters (set owner references, read
 * readiness; the topology controller creates, patches and deletes them) and DockerClusterTemplates (the
 * topology controller reads them, the ClusterClass controller patches its owner reference onto them).
 */
export const capiCoreRules: PolicyRule[] = [
  {
    apiGroups: [group],
    resources: [plural],
    verbs: ['get', 'list', 'watch', 'patch', 'update', 'create', 'delete'],
  },
  { apiGroups: [group], resources: [templatePlural], verbs: ['get', 'list', 'watch', 'patch'] },
];
