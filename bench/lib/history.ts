// What a reconcile workflow's history says: how many events and activities a create took up to the point
// where the DockerCluster was marked ready, how many until it went quiet, and where the time went (workflow
// task and activity queueing and running, from the events' own timestamps).
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { type HistoryEvent, localActivityOf, summaryOf } from '../../src/observability/history.js';
import { round } from './stats.js';

export type { HistoryEvent };

const { EventType } = proto.temporal.api.enums.v1;
type LongLike = { toNumber(): number } | number | string | null | undefined;

export const markReadySummary = 'Mark ready';

function num(value: LongLike): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function timeOf(event: HistoryEvent): number {
  const time = event.eventTime;
  return num(time?.seconds as LongLike) * 1000 + (time?.nanos ?? 0) / 1e6;
}

export interface ActivityStep {
  type: string;
  summary: string;
  /** Local activities run inside a workflow task: no queue, and their run time is that task's. */
  local: boolean;
  queueMs: number;
  runMs: number;
  attempts: number;
}

/** The workflow's time from its start to the completion of "Mark ready", split by what it was spent on. */
export interface CriticalPath {
  totalMs: number;
  workflowTasks: number;
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  activityQueueMs: number;
  activityRunMs: number;
  /** total − the parts: time between a task's completion and the next being scheduled. */
  otherMs: number;
  activities: ActivityStep[];
}

export interface HistoryFacts {
  events: number;
  /** Activities and local activities. */
  activities: number;
  /** Passes of the reconcile loop: each starts with "Get DockerCluster". */
  reconciles: number;
  signals: number;
  timersFired: number;
  workflowTasks: number;
  failedActivityAttempts: number;
  startedAt: number;
  /** Timer fired → next timer started: how long each resync's reconcile took. */
  resyncMs: number[];
  /** The completion of the first "Mark ready" call. */
  readyAt?: number;
  eventsToReady?: number;
  activitiesToReady?: number;
  path?: CriticalPath;
}

export async function fetchEvents(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/** Facts of events[from…]; the ready point and critical path are looked for in that range too. */
export function analyze(events: HistoryEvent[], from = 0): HistoryFacts {
  const range = events.slice(from);
  const scheduled = new Map<number, { event: HistoryEvent; type: string; summary: string }>();
  const wtScheduled = new Map<number, number>();
  const wtStarted = new Map<number, number>();
  const activityStarted = new Map<number, { at: number; attempt: number }>();
  const facts: HistoryFacts = {
    events: range.length,
    activities: 0,
    reconciles: 0,
    signals: 0,
    timersFired: 0,
    workflowTasks: 0,
    failedActivityAttempts: 0,
    resyncMs: [],
    startedAt: range[0] ? timeOf(range[0]) : Number.NaN,
  };
  const path: CriticalPath = {
    totalMs: 0,
    workflowTasks: 0,
    workflowTaskQueueMs: 0,
    workflowTaskRunMs: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
    otherMs: 0,
    activities: [],
  };
  let readyScheduledId: number | undefined;
  let timerFiredAt: number | undefined;
  const markReady = (at: number, id: number) => {
    facts.readyAt = at;
    facts.eventsToReady = id - from;
    facts.activitiesToReady = facts.activities;
  };

  for (const event of range) {
    const id = num(event.eventId as LongLike);
    const at = timeOf(event);
    const beforeReady = facts.readyAt === undefined;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        facts.signals += 1;
        break;
      case EventType.EVENT_TYPE_TIMER_FIRED:
        facts.timersFired += 1;
        timerFiredAt = at;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        if (timerFiredAt !== undefined) facts.resyncMs.push(round(at - timerFiredAt, 1));
        timerFiredAt = undefined;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        wtScheduled.set(id, at);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const scheduledId = num(event.workflowTaskStartedEventAttributes?.scheduledEventId as LongLike);
        wtStarted.set(id, at);
        if (beforeReady) path.workflowTaskQueueMs += at - (wtScheduled.get(scheduledId) ?? at);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: {
        facts.workflowTasks += 1;
        const attributes =
          event.workflowTaskCompletedEventAttributes ??
          event.workflowTaskFailedEventAttributes ??
          event.workflowTaskTimedOutEventAttributes;
        const startedId = num(attributes?.startedEventId as LongLike);
        if (beforeReady) {
          path.workflowTasks += 1;
          path.workflowTaskRunMs += at - (wtStarted.get(startedId) ?? at);
        }
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const call = localActivityOf(event);
        if (!call) break;
        facts.activities += 1;
        if (call.activityType === 'getDockerCluster') facts.reconciles += 1;
        facts.failedActivityAttempts += call.attempt - 1;
        const summary = summaryOf(event) ?? call.activityType;
        if (beforeReady) {
          const step = { type: call.activityType, summary, local: true, queueMs: 0, runMs: 0 };
          path.activities.push({ ...step, attempts: call.attempt });
        }
        if (summary === markReadySummary && !call.failure && beforeReady) markReady(at, id);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        facts.activities += 1;
        const type = event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        if (type === 'getDockerCluster') facts.reconciles += 1;
        const summary = summaryOf(event) ?? type;
        scheduled.set(id, { event, type, summary });
        if (summary === markReadySummary && readyScheduledId === undefined) readyScheduledId = id;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attributes = event.activityTaskStartedEventAttributes;
        const attempt = attributes?.attempt ?? 1;
        facts.failedActivityAttempts += attempt - 1;
        activityStarted.set(num(attributes?.scheduledEventId as LongLike), { at, attempt });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const attributes =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes;
        const scheduledId = num(attributes?.scheduledEventId as LongLike);
        const activity = scheduled.get(scheduledId);
        const started = activityStarted.get(scheduledId);
        if (activity && beforeReady) {
          const scheduledAt = timeOf(activity.event);
          const startedAt = started?.at ?? scheduledAt;
          path.activityQueueMs += startedAt - scheduledAt;
          path.activityRunMs += at - startedAt;
          path.activities.push({
            type: activity.type,
            summary: activity.summary,
            local: false,
            queueMs: round(startedAt - scheduledAt, 1),
            runMs: round(at - startedAt, 1),
            attempts: started?.attempt ?? 1,
          });
        }
        if (
          scheduledId === readyScheduledId &&
          event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
          facts.readyAt === undefined
        ) {
          markReady(at, id);
        }
        break;
      }
      default:
        break;
    }
  }
  if (facts.readyAt !== undefined) {
    path.totalMs = facts.readyAt - facts.startedAt;
    path.otherMs =
      path.totalMs -
      path.workflowTaskQueueMs -
      path.workflowTaskRunMs -
      path.activityQueueMs -
      path.activityRunMs;
    facts.path = path;
  }
  return facts;
}
