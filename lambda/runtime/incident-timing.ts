/**
 * Time to detect (M7) and time to recover (M8) from a CloudWatch "Alarm State Change" event, as
 * EventBridge delivers it (see the CloudWatch user guide, "Alarm events and EventBridge"):
 *
 * - `detail.state` / `detail.previousState`: `value` (`OK`, `ALARM`, `INSUFFICIENT_DATA`),
 *   `timestamp` (`2019-10-02T17:04:40.989+0000`), `reason` and `reasonData` (a JSON string).
 * - A metric alarm's `reasonData` has `startDate` (the start of the evaluated range), `period`,
 *   `recentDatapoints`, and sometimes `evaluatedDatapoints` (`[{ timestamp, value }]`).
 * - A composite alarm's `reasonData` has `triggeringAlarms` (`[{ arn, state: { value, timestamp } }]`).
 *
 * Pure functions: the handler (lambda/handlers/alarm-timing.ts) looks up what the event lacks.
 */

/** One state of an alarm in the event. */
export interface AlarmStateDetail {
  readonly value: string;
  readonly timestamp: string;
  readonly reason?: string;
  readonly reasonData?: string;
}

/** The `detail` of a CloudWatch "Alarm State Change" event (the fields read here). */
export interface AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: AlarmStateDetail;
  readonly previousState?: AlarmStateDetail;
  readonly configuration?: { readonly description?: string; readonly alarmRule?: string };
}

/** A CloudWatch "Alarm State Change" event. */
export interface AlarmStateChangeEvent {
  readonly 'detail-type': string;
  readonly source: string;
  readonly time: string;
  readonly region: string;
  readonly account: string;
  /** The alarm's ARN. */
  readonly resources: readonly string[];
  readonly detail: AlarmStateChangeDetail;
}

/** What an alarm state change measured. */
export type IncidentTiming =
  | {
      /** From the start of the breaching data to the alarm (M7). */
      readonly kind: 'detect';
      readonly seconds: number;
      /** When the breach began, as far as the alarm's data shows (ISO-8601). */
      readonly from: string;
      /** When the alarm went to ALARM (ISO-8601). */
      readonly to: string;
    }
  | {
      /** From the alarm to its return to OK (M8). */
      readonly kind: 'recover';
      readonly seconds: number;
      /** When the alarm went to ALARM (ISO-8601). */
      readonly from: string;
      /** When it returned to OK (ISO-8601). */
      readonly to: string;
    };

/** Milliseconds since the epoch of a CloudWatch timestamp (`…+0000` or ISO-8601); NaN if unreadable. */
export function parseAlarmTime(value: string | undefined): number {
  if (typeof value !== 'string') return NaN;
  // CloudWatch writes the offset without a colon (+0000), which ISO-8601 parsers may reject.
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** The parsed `reasonData` of a state, or undefined when absent or not JSON. */
export function reasonDataOf(state: AlarmStateDetail | undefined): Record<string, unknown> | undefined {
  if (!state?.reasonData) return undefined;
  try {
    const parsed: unknown = JSON.parse(state.reasonData);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The earliest time a metric alarm's data could have started breaching: the first of its
 * `evaluatedDatapoints` when given, else `startDate`, the start of its evaluated range (the start
 * of the first period it looked at). Undefined for a composite alarm or without reason data.
 */
export function breachStart(state: AlarmStateDetail | undefined): number | undefined {
  const data = reasonDataOf(state);
  if (!data) return undefined;
  const evaluated = Array.isArray(data.evaluatedDatapoints)
    ? (data.evaluatedDatapoints as Array<{ timestamp?: string }>).map((d) => parseAlarmTime(d.timestamp)).filter(Number.isFinite)
    : [];
  if (evaluated.length > 0) return Math.min(...evaluated);
  const start = parseAlarmTime(typeof data.startDate === 'string' ? data.startDate : undefined);
  return Number.isFinite(start) ? start : undefined;
}

/** The ARNs of the alarms that triggered a composite alarm's state, from its reason data. */
export function triggeringAlarmArns(state: AlarmStateDetail | undefined): string[] {
  const triggering = reasonDataOf(state)?.triggeringAlarms;
  if (!Array.isArray(triggering)) return [];
  return triggering.map((t: { arn?: unknown }) => t.arn).filter((arn): arn is string => typeof arn === 'string');
}

/** The alarm name in an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`). */
export function alarmNameOf(arn: string): string | undefined {
  const at = arn.indexOf(':alarm:');
  return at < 0 ? undefined : arn.slice(at + ':alarm:'.length);
}

/**
 * What a state change measured:
 * - into ALARM: time to detect, from `breachStartedAt` (the breach start of the alarm's own data,
 *   or for a composite alarm the one its handler derived from the alarms that triggered it) to
 *   the new state's timestamp; undefined when no breach start is known;
 * - from ALARM to OK: time to recover, from the previous state's timestamp (when the alarm went to
 *   ALARM) to the new state's;
 * - anything else (INSUFFICIENT_DATA on either side): nothing.
 */
export function incidentTiming(detail: AlarmStateChangeDetail, breachStartedAt: number | undefined = breachStart(detail.state)): IncidentTiming | undefined {
  const at = parseAlarmTime(detail.state.timestamp);
  if (!Number.isFinite(at)) return undefined;
  if (detail.state.value === 'ALARM') {
    if (breachStartedAt === undefined || !Number.isFinite(breachStartedAt)) return undefined;
    return { kind: 'detect', seconds: seconds(at - breachStartedAt), from: iso(breachStartedAt), to: iso(at) };
  }
  if (detail.state.value === 'OK' && detail.previousState?.value === 'ALARM') {
    const since = parseAlarmTime(detail.previousState.timestamp);
    if (!Number.isFinite(since)) return undefined;
    return { kind: 'recover', seconds: seconds(at - since), from: iso(since), to: iso(at) };
  }
  return undefined;
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
