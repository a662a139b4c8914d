// `history <ns>/<name>`: the reconcile steps of a DockerCluster's workflow, read from its event history: each
// activity by the summary the workflow gave it, with its outcome; signals; timers; how each run ended.
import { type WorkflowExecutionDescription, WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { refOf, workflowIdOf } from '../api/refs.js';
import { decodePayload, type HistoryEvent, localActivityOf, summaryOf } from '../observability/history.js';
import type { Ref } from './args.js';
import type { Context } from './context.js';
import { messageOf } from './errors.js';
import { duration } from './format.js';
import type { Temporal } from './temporal.js';

type PendingActivity = proto.temporal.api.workflow.v1.IPendingActivityInfo;
type Failure = proto.temporal.api.failure.v1.IFailure | null | undefined;
type Long = { toNumber(): number };

const { EventType, PendingActivityState } = proto.temporal.api.enums.v1;
const historyTimeoutMs = 30_000;

interface Step {
  time: string;
  kind: 'workflow' | 'activity' | 'signal' | 'timer' | 'marker';
  what: string;
  outcome: string;
}

interface Run {
  runId: string;
  events: number;
  steps: Step[];
}

export async function history(context: Context, ref: Ref, maxRuns: number, json: boolean): Promise<void> {
  const dockerCluster = refOf(await context.dockerCluster(ref));
  const temporal = await context.temporal();
  const workflowId = workflowIdOf(dockerCluster);
  let description: WorkflowExecutionDescription;
  try {
    description = await temporal.call((client) => client.workflow.getHandle(workflowId).describe());
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    context.print(
      json
        ? JSON.stringify({ workflowId, status: 'NOT_FOUND', runs: [] }, null, 2)
        : `DockerCluster ${ref.namespace}/${ref.name} has no reconcile workflow (${workflowId}).`,
    );
    return;
  }

  const pending = description.status.name === 'RUNNING' ? (description.raw.pendingActivities ?? []) : [];
  const runs: Run[] = [];
  let runId: string | undefined = description.runId;
  let earlier = false;
  while (runId) {
    if (runs.length >= maxRuns) {
      earlier = true;
      break;
    }
    const events = await fetchEvents(temporal, workflowId, runId);
    runs.unshift({ runId, events: events.length, steps: stepsOf(events, runs.length === 0 ? pending : []) });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }

  if (json) {
    context.print(JSON.stringify({ workflowId, status: description.status.name, runs }, null, 2));
    return;
  }
  const lines = [`Workflow ${workflowId} (${description.status.name.toLowerCase()})`];
  if (earlier) lines.push('(earlier runs not shown: use --runs <n> or --runs all)');
  const width = Math.min(
    60,
    Math.max(0, ...runs.flatMap((run) => run.steps.map((step) => step.what.length))),
  );
  for (const run of runs) {
    lines.push(`-- run ${run.runId} (${run.events} events)`);
    for (const step of run.steps)
      lines.push(`${step.time}  ${step.what.padEnd(width)}  ${step.outcome}`.trimEnd());
  }
  context.print(lines.join('\n'));
}

async function fetchEvents(temporal: Temporal, workflowId: string, runId: string): Promise<HistoryEvent[]> {
  const history = await temporal.call(
    (client) => client.workflow.getHandle(workflowId, runId).fetchHistory(),
    historyTimeoutMs,
  );
  return history.events ?? [];
}

/** One step per activity, signal, timer, marker and workflow start or end, in the order they happened. */
function stepsOf(events: HistoryEvent[], pending: PendingActivity[]): Step[] {
  const steps: Step[] = [];
  const activities = new Map<
    number,
    { step: Step; scheduled: number; activityId: string; attempt: number }
  >();
  const timers = new Map<string, Step>();
  const add = (event: HistoryEvent, kind: Step['kind'], what: string, outcome = ''): Step => {
    const step = { time: timeOf(event).toISOString(), kind, what, outcome };
    steps.push(step);
    return step;
  };

  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = event.workflowExecutionStartedEventAttributes;
        const from = a?.continuedExecutionRunId
          ? `continued from run ${a.continuedExecutionRunId}`
          : 'first run';
        add(event, 'workflow', 'Workflow started', `${from}, task queue ${a?.taskQueue?.name ?? '?'}`);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = event.activityTaskScheduledEventAttributes;
        const what = summaryOf(event) ?? a?.activityType?.name ?? 'activity';
        activities.set(number(event.eventId), {
          step: add(event, 'activity', what, 'scheduled'),
          scheduled: timeOf(event).getTime(),
          activityId: a?.activityId ?? '',
          attempt: 1,
        });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = event.activityTaskStartedEventAttributes;
        const activity = activities.get(number(a?.scheduledEventId));
        if (activity) {
          activity.attempt = a?.attempt ?? 1;
          activity.step.outcome = 'running';
        }
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes ??
          event.activityTaskCanceledEventAttributes;
        const activity = activities.get(number(a?.scheduledEventId));
        if (!activity) break;
        const took = duration(timeOf(event).getTime() - activity.scheduled);
        const attempts = activity.attempt > 1 ? `, ${activity.attempt} attempts` : '';
        const failure =
          event.activityTaskFailedEventAttributes?.failure ??
          event.activityTaskTimedOutEventAttributes?.failure;
        const result =
          event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            ? 'completed'
            : event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED
              ? 'canceled'
              : `${event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT ? 'timed out' : 'failed'}: ${failureMessage(failure)}`;
        activity.step.outcome = `${result} (${took}${attempts})`;
        activities.delete(number(a?.scheduledEventId));
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = event.workflowExecutionSignaledEventAttributes;
        const args = (a?.input?.payloads ?? [])
          .map((payload) => decodePayload(payload, (error) => `<undecodable: ${messageOf(error)}>`))
          .filter((arg) => arg !== undefined);
        const outcome =
          args.length > 0 ? `received: ${args.map((arg) => JSON.stringify(arg)).join(', ')}` : 'received';
        add(event, 'signal', `Signal ${a?.signalName ?? '?'}`, outcome);
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const a = event.timerStartedEventAttributes;
        const ms = number(a?.startToFireTimeout?.seconds) * 1_000 + (a?.startToFireTimeout?.nanos ?? 0) / 1e6;
        timers.set(a?.timerId ?? '', add(event, 'timer', `Timer ${duration(ms)}`, 'waiting'));
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED:
      case EventType.EVENT_TYPE_TIMER_CANCELED: {
        const timerId =
          event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId;
        const timer = timers.get(timerId ?? '');
        if (timer) timer.outcome = event.timerFiredEventAttributes ? 'fired' : 'canceled (woken earlier)';
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const call = localActivityOf(event);
        if (!call) {
          add(event, 'marker', `Marker ${event.markerRecordedEventAttributes?.markerName ?? '?'}`);
          break;
        }
        // Recorded when the workflow task that ran it completed: its own duration is not in the history.
        const attempts = call.attempt > 1 ? `, ${call.attempt} attempts` : '';
        const result = call.failure ? `failed: ${failureMessage(call.failure)}` : 'completed';
        add(event, 'activity', summaryOf(event) ?? call.activityType, `${result} (local${attempts})`);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        add(
          event,
          'workflow',
          'Workflow task failed',
          failureMessage(event.workflowTaskFailedEventAttributes?.failure),
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        add(
          event,
          'workflow',
          'Continued as new',
          `next run ${event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? '?'}`,
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        add(event, 'workflow', 'Workflow completed');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        add(
          event,
          'workflow',
          'Workflow failed',
          failureMessage(event.workflowExecutionFailedEventAttributes?.failure),
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        add(
          event,
          'workflow',
          'Workflow terminated',
          event.workflowExecutionTerminatedEventAttributes?.reason ?? '',
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        add(event, 'workflow', 'Workflow canceled');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        add(event, 'workflow', 'Workflow timed out');
        break;
      default:
        break;
    }
  }

  // Activities still open: the server retries them without writing history until the last attempt.
  for (const { step, activityId } of activities.values()) {
    const info = pending.find((p) => p.activityId === activityId);
    if (!info) continue;
    if ((info.attempt ?? 1) > 1) {
      const last = info.lastFailure ? `, last failure: ${failureMessage(info.lastFailure)}` : '';
      step.outcome = `retrying (attempt ${info.attempt}${last})`;
    } else if (info.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) {
      step.outcome = 'running';
    }
  }
  return steps;
}

function number(value: number | Long | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function timeOf(event: HistoryEvent): Date {
  const time = event.eventTime;
  return new Date(number(time?.seconds) * 1_000 + Math.floor((time?.nanos ?? 0) / 1e6));
}

/** The failure's message, with its causes' when they add something. */
function failureMessage(failure: Failure): string {
  const messages: string[] = [];
  for (let f = failure; f; f = f.cause) {
    if (f.message && !messages.some((m) => m.includes(f?.message ?? ''))) messages.push(f.message);
  }
  return messages.join(': ') || 'unknown failure';
}
