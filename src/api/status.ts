// The status a reconcile pass leaves on a DockerCluster: what the pass found merged into the current status,
// with Ready summarising the other conditions. Pure: the activity that writes it and the tests compute it alike.
import { type Condition, conditionTypes, type DockerClusterStatus } from './dockercluster.js';

/** A condition as a pass sets it; merging stamps its transition time and generation. */
type ConditionUpdate = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * What one reconcile pass found out. The status written at the end of the pass is computed from it; what the
 * pass did not look at is absent and stays as it was.
 */
export interface PassStatus {
  /** The generation the pass reconciled: status.observedGeneration and that of the conditions it sets. */
  generation?: number;
  /** The LoadBalancerAvailable condition. */
  loadBalancer?: Omit<ConditionUpdate, 'type'>;
  /** Why reconciliation is paused; null when it is not. */
  pausedBy?: string | null;
  /** The load balancer serves the endpoint: the infrastructure is provisioned. */
  provisioned?: true;
}

/** Merges condition changes into the current list; lastTransitionTime moves only when the status does. */
export function mergeConditions(
  current: Condition[],
  updates: ConditionUpdate[],
  generation: number,
  now: string,
): Condition[] {
  const merged = [...current];
  for (const update of updates) {
    const index = merged.findIndex((condition) => condition.type === update.type);
    const previous = index >= 0 ? merged[index] : undefined;
    const next: Condition = {
      ...update,
      observedGeneration: generation,
      lastTransitionTime: previous && previous.status === update.status ? previous.lastTransitionTime : now,
    };
    if (index >= 0) merged[index] = next;
    else merged.push(next);
  }
  return merged;
}

/**
 * Ready summarises the other conditions: it is what LoadBalancerAvailable is, and says so when reconciliation
 * is paused (a pause does not make infrastructure that serves unready).
 */
function readySummary(conditions: Condition[]): ConditionUpdate {
  const loadBalancer = conditions.find(
    (condition) => condition.type === conditionTypes.loadBalancerAvailable,
  );
  const paused = conditions.find(
    (condition) => condition.type === conditionTypes.paused && condition.status === 'True',
  );
  const status = loadBalancer?.status ?? 'Unknown';
  const notes = [
    status !== 'True' && (loadBalancer?.message || 'the load balancer has not been reconciled yet'),
    paused && `reconciliation is paused: ${paused.message}`,
  ];
  return {
    type: conditionTypes.ready,
    status,
    reason: status === 'True' ? 'Ready' : (loadBalancer?.reason ?? 'LoadBalancerNotReconciled'),
    message: notes.filter(Boolean).join('; '),
  };
}

/** The status a reconcile pass leaves: what it found merged into the current status, Ready summarised. */
export function statusAfterPass(
  current: DockerClusterStatus,
  pass: PassStatus,
  objectGeneration: number,
  now: string,
): DockerClusterStatus {
  const generation = pass.generation ?? objectGeneration;
  const found: ConditionUpdate[] = [];
  if (pass.loadBalancer) found.push({ type: conditionTypes.loadBalancerAvailable, ...pass.loadBalancer });
  if (pass.pausedBy !== undefined) {
    found.push(
      pass.pausedBy === null
        ? { type: conditionTypes.paused, status: 'False', reason: 'NotPaused', message: '' }
        : { type: conditionTypes.paused, status: 'True', reason: 'Paused', message: pass.pausedBy },
    );
  }
  const conditions = mergeConditions(current.conditions ?? [], found, generation, now);
  const next: DockerClusterStatus = {
    ...current,
    conditions: mergeConditions(conditions, [readySummary(conditions)], generation, now),
  };
  if (pass.generation !== undefined) next.observedGeneration = pass.generation;
  if (pass.provisioned) {
    next.ready = true;
    next.initialization = { provisioned: true };
    // Fields of the v1beta1 contract that this provider never sets; cleared once the infrastructure serves.
    delete next.failureReason;
    delete next.failureMessage;
  }
  return next;
}
