// Reading a reconcile workflow's event history: the summary the workflow gave a step, and the local
// activities, which core SDKs record as one marker per call (type and last attempt in its "data" detail,
// its result or failure beside) instead of scheduled/started/completed events.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';

export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Failure = proto.temporal.api.failure.v1.IFailure;
const { EventType } = proto.temporal.api.enums.v1;

const localActivityMarkerName = 'core_local_activity';

interface LocalActivityCall {
  activityType: string;
  /** The attempt that ended the call: retries happen inside the worker and leave no other events. */
  attempt: number;
  failure?: Failure;
}

/** A payload as the workflow wrote it (summaries are strings); what `unreadable` makes of one it cannot read. */
export function decodePayload(
  payload: Payload | null | undefined,
  unreadable: (error: unknown) => unknown = () => undefined,
): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch (error) {
    return unreadable(error);
  }
}

/** The one-line summary the workflow gave an activity, local activity or timer. */
export function summaryOf(event: HistoryEvent): string | undefined {
  const summary = decodePayload(event.userMetadata?.summary as Payload | undefined);
  return typeof summary === 'string' ? summary : undefined;
}

/** The local activity call an event records, if it is such a marker. */
export function localActivityOf(event: HistoryEvent): LocalActivityCall | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (
    event.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED ||
    marker?.markerName !== localActivityMarkerName
  )
    return undefined;
  const data = decodePayload(marker.details?.data?.payloads?.[0] as Payload | undefined) as
    | { activity_type?: string; attempt?: number }
    | undefined;
  return {
    activityType: data?.activity_type ?? '?',
    attempt: data?.attempt ?? 1,
    ...(marker.failure && { failure: marker.failure }),
  };
}
