// `status [<ns>/<name>] [--json]`: DockerClusters with what their reconcile workflows report.
import { clusterKind, clusterNameLabel } from '../api/capi.js';
import type { Condition, DockerCluster } from '../api/dockercluster.js';
import { refOf } from '../api/refs.js';
import type { Ref } from './args.js';
import type { Context } from './context.js';
import { ago, isoSeconds, table } from './format.js';
import { workflowUrl } from './ui.js';
import { inspectWorkflow, type WorkflowView } from './workflow.js';

interface DockerClusterStatus {
  namespace: string;
  name: string;
  uid: string;
  cluster?: string;
  ready: boolean;
  endpoint?: { host: string; port: number };
  conditions: Condition[];
  workflow: WorkflowView & { url?: string };
}

export async function status(context: Context, ref: Ref | undefined, json: boolean): Promise<void> {
  const kubernetes = await context.dockerClusters();
  const objects = ref ? [await kubernetes.get(ref.namespace, ref.name)] : await kubernetes.list();
  if (objects.length === 0) {
    context.print(json ? '[]' : 'No DockerClusters found.');
    return;
  }
  const temporal = await context.temporal();
  const statuses = await Promise.all(
    objects.map(async (object): Promise<DockerClusterStatus> => {
      const workflow = await inspectWorkflow(temporal, refOf(object));
      const url = context.config.TEMPORAL_UI_URL && workflowUrl(context.config, workflow.id);
      return describe(object, { ...workflow, ...(url && { url }) });
    }),
  );
  if (json) context.print(JSON.stringify(ref ? statuses[0] : statuses, null, 2));
  else context.print(statusTable(statuses));
}

function describe(object: DockerCluster, workflow: DockerClusterStatus['workflow']): DockerClusterStatus {
  const { metadata, spec, status } = object;
  const cluster =
    metadata.ownerReferences?.find((owner) => owner.kind === clusterKind)?.name ??
    metadata.labels?.[clusterNameLabel] ??
    workflow.state?.clusterName;
  const declared = spec?.controlPlaneEndpoint;
  const endpoint =
    declared?.host && declared.port ? { host: declared.host, port: declared.port } : workflow.state?.endpoint;
  return {
    namespace: metadata.namespace as string,
    name: metadata.name as string,
    uid: metadata.uid as string,
    ...(cluster && { cluster }),
    ready: status?.ready ?? false,
    ...(endpoint && { endpoint }),
    conditions: status?.conditions ?? [],
    workflow,
  };
}

function statusTable(statuses: DockerClusterStatus[]): string {
  const now = new Date();
  const rows = statuses.map((s) => {
    const { state } = s.workflow;
    const phase = state?.phase ?? workflowPhase(s.workflow);
    const lastReconcile = state?.lastReconcileTime ? new Date(state.lastReconcileTime) : undefined;
    const lastError =
      state?.lastError ?? (s.workflow.queryError && `state query failed: ${s.workflow.queryError}`);
    return [
      `${s.namespace}/${s.name}`,
      s.cluster ?? '-',
      String(s.ready),
      s.endpoint ? `${s.endpoint.host}:${s.endpoint.port}` : '-',
      phase,
      lastReconcile ? `${isoSeconds(lastReconcile)} (${ago(lastReconcile, now)})` : '-',
      state ? (state.pausedBy ? `yes: ${state.pausedBy}` : 'no') : '-',
      lastError || '-',
    ];
  });
  return table(
    ['DOCKERCLUSTER', 'CLUSTER', 'READY', 'ENDPOINT', 'PHASE', 'LAST RECONCILE', 'PAUSED', 'LAST ERROR'],
    rows,
  );
}

/** The phase column of a workflow whose state could not be read. */
function workflowPhase(workflow: WorkflowView): string {
  if (workflow.status === 'NOT_FOUND') return 'no workflow';
  if (workflow.status !== 'RUNNING') return `workflow not running (${workflow.status.toLowerCase()})`;
  return 'unknown';
}
