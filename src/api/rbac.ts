// The Kubernetes permissions the provider's code uses; config/rbac/role.yaml is generated from this list.
import { clusterGroup, clusterPlural, machinePlural } from './capi.js';
import { group, plural } from './dockercluster.js';

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
  // Leader election among watchers.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/** What CAPI's core controllers need on our objects (set owner references, read readiness), by aggregation. */
export const capiCoreRules: PolicyRule[] = [
  {
    apiGroups: [group],
    resources: [plural],
    verbs: ['get', 'list', 'watch', 'patch', 'update', 'create', 'delete'],
  },
];
