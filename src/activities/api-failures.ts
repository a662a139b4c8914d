// How the Kubernetes activities fail on an API error: whether retrying can help is decided here, once, and
// a failure that retrying cannot fix says what to do.
import type * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { isApiError } from '../clients.js';

/** Turns API errors that retrying cannot fix into non-retryable failures that say what to do. */
export function explain(action: string, error: unknown): never {
  if (isApiError(error, 401, 403)) {
    throw ApplicationFailure.nonRetryable(
      `${action}: permission denied (${(error as k8s.ApiException<unknown>).code}); grant the provider the ClusterRole in config/rbac/role.yaml`,
      'PermissionDenied',
    );
  }
  if (isApiError(error, 422)) {
    throw ApplicationFailure.nonRetryable(
      `${action}: the API server rejected the change: ${apiMessage(error)}`,
      'Invalid',
    );
  }
  if (isApiError(error, 409)) {
    throw ApplicationFailure.retryable(
      `${action}: the object changed meanwhile; will read it again`,
      'Conflict',
    );
  }
  throw error;
}

function apiMessage(error: unknown): string {
  const body = (error as k8s.ApiException<unknown>).body;
  try {
    return (typeof body === 'string' ? JSON.parse(body) : body)?.message ?? String(body);
  } catch {
    return String(body);
  }
}
