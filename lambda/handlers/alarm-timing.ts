/**
 * Lambda entry point of the incident-timing recorder: an EventBridge rule sends it the pipeline
 * stack's CloudWatch "Alarm State Change" events; it records time to detect (M7, into ALARM) and
 * time to recover (M8, ALARM to OK) as `ServerlessEtl` metrics in Embedded Metric Format, one log
 * line per state change (the line is also the incident timeline: alarm, from, to).
 *
 * It attributes an alarm by its tags (`pipeline`, `alarm-severity`), so alarms of other pipelines
 * in the same stack are skipped. A composite alarm carries no data of its own: its breach start is
 * the latest one of the metric alarms that triggered it (looked up with DescribeAlarms).
 */
import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch';
import { ALARM_TAG, METRIC_DIMENSION, METRIC_NAMESPACE, OPERATIONS_DIMENSION, OPERATIONS_ENV, OperationsMetricName } from '../../lib/contract/metrics';
import { runtimeClientConfig } from '../runtime/aws-clients';
import {
  alarmNameOf,
  breachStart,
  incidentTiming,
  triggeringAlarmArns,
  type AlarmStateChangeEvent,
  type IncidentTiming,
} from '../runtime/incident-timing';

/** What one invocation did (returned for tests and the function's own log). */
export type AlarmTimingResult =
  | { readonly recorded: true; readonly timing: IncidentTiming; readonly severity: string }
  | { readonly recorded: false; readonly reason: string };

/** Severity of an alarm routed by no `AlarmRouting`: a component of a composite alarm. */
export const UNROUTED_SEVERITY = 'component';

/** Creates the handler; the client, environment and log writer are injectable for tests. */
export function createHandler(
  cloudwatch: Pick<CloudWatchClient, 'send'> = new CloudWatchClient(runtimeClientConfig(Number(process.env[OPERATIONS_ENV.functionTimeoutSeconds] ?? 30))),
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): (event: AlarmStateChangeEvent) => Promise<AlarmTimingResult> {
  return async (event) => {
    const pipeline = env[OPERATIONS_ENV.pipeline];
    if (!pipeline) throw new Error(`${OPERATIONS_ENV.pipeline} is not set: the recorder cannot tell its pipeline's alarms from others`);
    const arn = event.resources?.[0];
    if (event['detail-type'] !== 'CloudWatch Alarm State Change' || !arn || !event.detail?.state) {
      throw new Error(`not a CloudWatch alarm state change event: ${JSON.stringify({ detailType: event['detail-type'], resources: event.resources })}`);
    }
    const tags = (await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags ?? [];
    const tag = (key: string) => tags.find((t) => t.Key === key)?.Value;
    if (tag(ALARM_TAG.pipeline) !== pipeline) return { recorded: false, reason: `alarm ${event.detail.alarmName} is not of pipeline ${pipeline}` };
    const severity = tag(ALARM_TAG.severity) ?? UNROUTED_SEVERITY;
    const start = event.detail.state.value === 'ALARM' ? (breachStart(event.detail.state) ?? (await compositeBreachStart(cloudwatch, event))) : undefined;
    const timing = incidentTiming(event.detail, start);
    if (!timing) return { recorded: false, reason: `no timing in ${event.detail.previousState?.value ?? '?'} → ${event.detail.state.value} of ${event.detail.alarmName}` };
    write(emfLine(pipeline, severity, event.detail.alarmName, timing));
    return { recorded: true, timing, severity };
  };
}

/** The latest breach start among the metric alarms that triggered a composite alarm, if any. */
async function compositeBreachStart(cloudwatch: Pick<CloudWatchClient, 'send'>, event: AlarmStateChangeEvent): Promise<number | undefined> {
  const names = triggeringAlarmArns(event.detail.state).map(alarmNameOf).filter((n): n is string => n !== undefined);
  if (names.length === 0) return undefined;
  const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(0, 100), AlarmTypes: ['MetricAlarm'] }));
  const starts = (out.MetricAlarms ?? [])
    .map((a) => breachStart({ value: String(a.StateValue), timestamp: '', reasonData: a.StateReasonData }))
    .filter((s): s is number => s !== undefined);
  return starts.length > 0 ? Math.max(...starts) : undefined;
}

/** One EMF line: the timing under `Pipeline` and under `Pipeline` + `Severity`, with the incident's alarm, start and end. */
export function emfLine(pipeline: string, severity: string, alarmName: string, timing: IncidentTiming): string {
  const name = timing.kind === 'detect' ? OperationsMetricName.TIME_TO_DETECT_SECONDS : OperationsMetricName.TIME_TO_RECOVER_SECONDS;
  return JSON.stringify({
    _aws: {
      Timestamp: Date.parse(timing.to),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[METRIC_DIMENSION.pipeline], [METRIC_DIMENSION.pipeline, OPERATIONS_DIMENSION.severity]],
          Metrics: [{ Name: name, Unit: 'Seconds' }],
        },
      ],
    },
    [METRIC_DIMENSION.pipeline]: pipeline,
    [OPERATIONS_DIMENSION.severity]: severity,
    [name]: timing.seconds,
    message: timing.kind === 'detect' ? 'alarm raised' : 'alarm recovered',
    alarmName,
    from: timing.from,
    to: timing.to,
  });
}

export const handler = createHandler();
