// Custom search attributes, so the Temporal UI can filter reconciles by object; the stack registers the
// same names from search-attributes.json.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import names from './search-attributes.json' with { type: 'json' };

function keyword(name: keyof typeof names) {
  return defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);
}

export const dockerClusterNamespaceKey = keyword('DockerClusterNamespace');
export const dockerClusterNameKey = keyword('DockerClusterName');
export const ownerClusterNameKey = keyword('OwnerClusterName');
