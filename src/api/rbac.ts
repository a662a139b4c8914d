// The Kubernetes permissions the provider's code uses; config/rbac/role.yaml is generated from this list.
import { clusterGroup, clusterPlural } from './capi.js';
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
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];
