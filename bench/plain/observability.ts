/**
 * The plain stack's observability, written with aws-cdk-lib's CloudWatch and SNS constructs: a
 * page and a ticket topic, multi-window burn-rate alarms on a success-rate and a freshness
 * objective (metric math, composite page and ticket alarms), operational alarms on the functions,
 * queues, stream and state machine, and a three-row dashboard. The same alarms, metric math and
 * widgets as the library's pipeline, so the synth comparison is like for like.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const NAMESPACE = 'ServerlessEtl';
const STAGE = 'transform';
const RUNBOOK = 'docs/runbooks.md';

type Severity = 'page' | 'ticket';

export interface AlarmTopics {
  readonly page: sns.Topic;
  readonly ticket: sns.Topic;
}

/** The page and ticket topics (KMS-encrypted, TLS only, budgets may publish to them). */
export function alarmTopics(scope: Construct, pipelineName: string, key: kms.IKey): AlarmTopics {
  const sameAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } };
  for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
    key.grant(new iam.ServicePrincipal(service).withConditions(sameAccount), 'kms:Decrypt', 'kms:GenerateDataKey*');
  }
  const topic = (id: string, displayName: string) => {
    const t = new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
    t.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBudgetsToPublish',
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [t.topicArn],
        conditions: sameAccount,
      }),
    );
    return t;
  };
  return { page: topic('PageTopic', `${pipelineName} pipeline pages`), ticket: topic('TicketTopic', `${pipelineName} pipeline tickets`) };
}

/** A dead-letter queue with what the dashboard and alarms need about it. */
export interface WatchedDlq {
  readonly queue: sqs.IQueue;
  readonly label: string;
  /** What the DLQ holds, for the alarm's description. */
  readonly description: string;
}

export interface ObservabilityProps {
  readonly pipelineName: string;
  readonly topics: AlarmTopics;
  /** The transform function and its live alias (the event sources' target). */
  readonly transform: lambda.Function;
  readonly alias: lambda.Alias;
  readonly stream: kinesis.IStream;
  readonly buffer: sqs.IQueue;
  readonly dlqs: WatchedDlq[];
  readonly stateMachine?: sfn.IStateMachine;
  /** Alarm when nothing reaches curated for this long. */
  readonly staleAfter?: Duration;
}

/** The alarms (burn-rate SLOs, DLQs, operational) routed to the topics, and the dashboard. */
export function addObservability(scope: Construct, props: ObservabilityProps): cloudwatch.Dashboard {
  const { pipelineName, topics, transform, alias } = props;
  const prefix = `${pipelineName}/${STAGE}`;
  const route = (alarm: cloudwatch.AlarmBase, severity: Severity) => {
    const action = new cwActions.SnsAction(severity === 'page' ? topics.page : topics.ticket);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  };
  const m = (metricName: string, period = Duration.minutes(5), statistic: string = cloudwatch.Stats.SUM, label?: string) =>
    new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { Pipeline: pipelineName, Stage: STAGE }, period, statistic, label });
  // Lambda metrics of the live alias (FunctionName + Resource dimensions).
  const fnMetric = (metricName: string, options: cloudwatch.MetricOptions) => alias.metric(metricName, options);

  // --- DLQ depth (page) and oldest message (ticket) ---
  const dlqAlarms: cloudwatch.Alarm[] = [];
  props.dlqs.forEach((d, i) => {
    const depth = route(
      new cloudwatch.Alarm(scope, `${d.label}DepthAlarm`, {
        alarmDescription: `[page] ${prefix}: Messages are waiting in the dead-letter queue of ${d.description}: records the pipeline gave up on after retries. Inspect, fix the cause, then redrive. Runbook: ${RUNBOOK}#dlq-messages`,
        metric: d.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      'page',
    ) as cloudwatch.Alarm;
    const oldest = route(
      new cloudwatch.Alarm(scope, `${d.label}${i + 1}OldestMessage`, {
        alarmDescription: `[ticket] ${prefix}: a message has been in ${d.queue.node.path} for more than 3 days: redrive it before it expires. Runbook: ${RUNBOOK}#dlq-oldest-message`,
        metric: d.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: Duration.days(3).toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      'ticket',
    ) as cloudwatch.Alarm;
    dlqAlarms.push(depth, oldest);
  });

  // --- SLOs: multi-window burn-rate alarms (long AND short window), composite page and ticket ---
  const slos = new Construct(scope, 'Slos');
  const successRate = 0.995;
  const freshObjective = 0.95;
  const freshnessTarget = Duration.minutes(5);
  const windows = [
    { long: Duration.hours(1), short: Duration.minutes(5), burnRate: 14.4, severity: 'page' as Severity },
    { long: Duration.hours(6), short: Duration.minutes(30), burnRate: 6, severity: 'page' as Severity },
    { long: Duration.days(1), short: Duration.hours(2), burnRate: 3, severity: 'ticket' as Severity },
  ];
  const successErrorRatio = (period: Duration) =>
    new cloudwatch.MathExpression({
      expression: 'IF(recordsIn > 0, MAX([0, recordsIn - (recordsOut + dropped + duplicates + quarantined)]) / recordsIn, 0)',
      usingMetrics: {
        recordsIn: m('RecordsIn', period),
        recordsOut: m('RecordsOut', period),
        dropped: m('RecordsDropped', period),
        duplicates: m('DuplicatesSkipped', period),
        quarantined: m('RecordsQuarantined', period),
      },
      period,
      label: 'Success-rate error ratio',
    });
  const freshRatio = (period: Duration) =>
    new cloudwatch.MathExpression({
      expression: 'FILL(rank, 100) / 100',
      usingMetrics: { rank: m('FreshnessLagSeconds', period, `PR(:${freshnessTarget.toSeconds()})`) },
      period,
      label: 'Fresh share',
    });
  const objectives = [
    {
      name: 'SuccessRate',
      anchor: 'success-rate-burn',
      objective: successRate,
      what: 'records not curated, dropped or deduplicated on their first delivery (retried or failed)',
      errors: (period: Duration) => ({ errors: successErrorRatio(period) }),
    },
    {
      name: 'Freshness',
      anchor: 'freshness-burn',
      objective: freshObjective,
      what: `records reaching curated later than ${freshnessTarget.toHumanString()} after their event time`,
      errors: (period: Duration) => ({
        errors: new cloudwatch.MathExpression({ expression: '1 - fresh', usingMetrics: { fresh: freshRatio(period) }, period }),
      }),
    },
  ];
  const sloAlarms: cloudwatch.IAlarm[] = [];
  for (const o of objectives) {
    const budget = decimal(1 - o.objective);
    const burnAlarm = (w: (typeof windows)[number], i: number, which: 'Long' | 'Short') => {
      const period = which === 'Long' ? w.long : w.short;
      return new cloudwatch.Alarm(slos, `${o.name}Burn${i}${which}`, {
        alarmDescription: `Component of the ${o.name} burn-rate alerts: burn rate over ${period.toHumanString()} is at least ${w.burnRate}. Runbook: ${RUNBOOK}#${o.anchor}`,
        metric: new cloudwatch.MathExpression({
          expression: `errors / ${budget}`,
          usingMetrics: o.errors(period),
          period,
          label: `${o.name} burn rate (${period.toHumanString()})`,
        }),
        threshold: w.burnRate,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    };
    const pairs = windows.map((w, i) => ({ w, rule: cloudwatch.AlarmRule.allOf(burnAlarm(w, i, 'Long'), burnAlarm(w, i, 'Short')) }));
    const describe = (severity: Severity) => {
      const ws = pairs.filter((p) => p.w.severity === severity).map((p) => `${p.w.burnRate}× over ${p.w.long.toHumanString()} and ${p.w.short.toHumanString()}`);
      return `[${severity}] ${prefix}: the ${o.name} error budget (objective ${o.objective}) is burning ${ws.join(', or ')}: ${o.what}. Runbook: ${RUNBOOK}#${o.anchor}`;
    };
    const page = route(
      new cloudwatch.CompositeAlarm(slos, `${o.name}Page`, {
        alarmDescription: describe('page'),
        alarmRule: cloudwatch.AlarmRule.anyOf(...pairs.filter((p) => p.w.severity === 'page').map((p) => p.rule)),
      }),
      'page',
    );
    const ticket = route(
      new cloudwatch.CompositeAlarm(slos, `${o.name}Ticket`, {
        alarmDescription: describe('ticket'),
        alarmRule: cloudwatch.AlarmRule.anyOf(...pairs.filter((p) => p.w.severity === 'ticket').map((p) => p.rule)),
        actionsSuppressor: page,
        actionsSuppressorExtensionPeriod: Duration.minutes(10),
        actionsSuppressorWaitPeriod: Duration.minutes(1),
      }),
      'ticket',
    );
    sloAlarms.push(page, ticket);
  }
  /** A ticket alarm on `part / whole` (0 without records). */
  const ratioAlarm = (parent: Construct, id: string, part: [string, cloudwatch.Metric], whole: [string, cloudwatch.Metric], label: string, threshold: number, text: string) =>
    route(
      new cloudwatch.Alarm(parent, id, {
        alarmDescription: `[ticket] ${prefix}: ${text}`,
        metric: new cloudwatch.MathExpression({
          expression: `IF(${whole[0]} > 0, ${part[0]} / ${whole[0]}, 0)`,
          usingMetrics: { [part[0]]: part[1], [whole[0]]: whole[1] },
          label,
          period: part[1].period,
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      'ticket',
    );
  const quarter = Duration.minutes(15);
  const recordsInQuarter: [string, cloudwatch.Metric] = ['recordsIn', m('RecordsIn', quarter)];
  sloAlarms.push(
    ratioAlarm(slos, 'TransformErrorRate', ['errors', m('TransformErrors', quarter)], recordsInQuarter, 'Transform error ratio', 0.001,
      `Transform errors (records the transform threw on or returned invalid output for) exceeded 0.1% of records in over 15 minutes in ${STAGE}. Runbook: ${RUNBOOK}#error-rate-per-transform`),
    ratioAlarm(slos, 'ColdStartRate', ['coldStarts', m('ColdStarts', Duration.hours(1))], ['invocations', fnMetric('Invocations', { period: Duration.hours(1), statistic: cloudwatch.Stats.SUM })], 'Cold start ratio', 0.05,
      `More than 5% of invocations over an hour were cold starts in ${STAGE}: consider provisioned concurrency or larger batches. Runbook: ${RUNBOOK}#cold-start-rate`),
  );

  // --- Operational alarms ---
  const ops = new Construct(scope, 'OperationalAlarms');
  const opAlarms: cloudwatch.IAlarm[] = [];
  const op = (
    id: string,
    severity: Severity,
    text: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    more: { evaluationPeriods?: number; datapointsToAlarm?: number; lessThan?: boolean; missingBreaches?: boolean } = {},
  ) =>
    opAlarms.push(
      route(
        new cloudwatch.Alarm(ops, id, {
          alarmDescription: `[${severity}] ${prefix}: ${text}`,
          metric,
          threshold,
          evaluationPeriods: more.evaluationPeriods ?? 1,
          datapointsToAlarm: more.datapointsToAlarm,
          comparisonOperator: more.lessThan ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: more.missingBreaches ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        severity,
      ),
    );
  const timeoutSeconds = (transform.timeout ?? Duration.seconds(60)).toSeconds();
  op('TransformErrors', 'page', `the transform function failed whole invocations (a crash, a timeout or a configuration error, not a bad record). Runbook: ${RUNBOOK}#transform-errors`, fnMetric('Errors', { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), 0);
  op('TransformThrottles', 'ticket', `invocations of the transform were throttled in 3 of the last 5 minutes (concurrency limit reached). Runbook: ${RUNBOOK}#transform-throttles`, fnMetric('Throttles', { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }), 0, { evaluationPeriods: 5, datapointsToAlarm: 3 });
  op('TransformDurationNearTimeout', 'ticket', `p99 duration of the transform is above 80% of its ${timeoutSeconds} s timeout: batches will soon time out and be retried. Runbook: ${RUNBOOK}#transform-duration-near-timeout`, fnMetric('Duration', { period: Duration.minutes(5), statistic: 'p99' }), timeoutSeconds * 1000 * 0.8);
  op('StreamIteratorAge', 'page', `the transform is more than 5 minutes behind the Kinesis stream for 5 minutes (consumer lag). Runbook: ${RUNBOOK}#stream-iterator-age`, fnMetric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }), 300000, { evaluationPeriods: 5 });
  op('StreamWriteThrottles', 'ticket', `producers were throttled writing to the Kinesis stream (records may be lost on the producer side). Runbook: ${RUNBOOK}#stream-write-throttles`, props.stream.metricWriteProvisionedThroughputExceeded({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), 0);
  op('BufferAge', 'page', `the oldest message in the SQS buffer is more than 5 minutes old for 5 minutes (backlog). Runbook: ${RUNBOOK}#buffer-age`, props.buffer.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }), 300, { evaluationPeriods: 5 });
  opAlarms.push(
    ratioAlarm(ops, 'QuarantineRate', ['part', m('RecordsQuarantined', quarter)], recordsInQuarter, 'Quarantine ratio', 0.05,
      `more than 5% of records were quarantined over 15 minutes (bad input or a transform bug). Runbook: ${RUNBOOK}#quarantine-rate`),
    ratioAlarm(ops, 'SchemaDrift', ['part', m('SchemaMismatches', quarter)], recordsInQuarter, 'Schema mismatch ratio', 0.01,
      `more than 1% of records did not match their schema over 15 minutes: a producer changed its events. Runbook: ${RUNBOOK}#schema-drift`),
  );
  if (props.staleAfter) {
    op('NoNewData', 'ticket', `nothing new reached curated for ${props.staleAfter.toHumanString()}. Runbook: ${RUNBOOK}#no-new-data`, m('RecordsOut', props.staleAfter), 1, { lessThan: true, missingBreaches: true });
  }
  if (props.stateMachine) {
    const sm = props.stateMachine;
    const five = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const what = `executions of ${sm.node.path}`;
    op('BatchWorkflowFailed', 'page', `${what} failed. Runbook: ${RUNBOOK}#state-machine-failures`, sm.metricFailed(five), 0);
    op('BatchWorkflowTimedOut', 'page', `${what} timed out. Runbook: ${RUNBOOK}#state-machine-failures`, sm.metricTimedOut(five), 0);
    op('BatchWorkflowThrottled', 'ticket', `${what} were throttled. Runbook: ${RUNBOOK}#state-machine-failures`, sm.metricThrottled(five), 0);
  }

  // --- Dashboard: executive, on-call, debug ---
  const hour = Duration.hours(1);
  const day = Duration.days(1);
  const memoryGb = 1024 / 1024;
  const costPerMillion = new cloudwatch.MathExpression({
    expression: `IF(recordsIn > 0, ((duration / 1000) * ${memoryGb} * 0.0000133334 + invocations * 0.0000002) / recordsIn * 1000000, 0)`,
    usingMetrics: {
      duration: fnMetric('Duration', { period: hour, statistic: cloudwatch.Stats.SUM }),
      invocations: fnMetric('Invocations', { period: hour, statistic: cloudwatch.Stats.SUM }),
      recordsIn: m('RecordsIn', hour, cloudwatch.Stats.SUM, 'RecordsIn'),
    },
    period: hour,
    label: 'Estimated Lambda USD per million records',
  });
  const costPerDay = new cloudwatch.MathExpression({
    expression: `(dayDuration / 1000) * ${memoryGb} * 0.0000133334 + dayInvocations * 0.0000002`,
    usingMetrics: {
      dayDuration: fnMetric('Duration', { period: day, statistic: cloudwatch.Stats.SUM }),
      dayInvocations: fnMetric('Invocations', { period: day, statistic: cloudwatch.Stats.SUM }),
    },
    period: day,
    label: 'Estimated Lambda USD per day',
  });
  const ml = (name: string, period?: Duration, statistic?: string) => m(name, period, statistic, name);
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { dashboardName: `${pipelineName}-pipeline`, defaultInterval: day });
  const fiveMin = Duration.minutes(5);
  dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: `# ${pipelineName}: executive\nObjectives, volume, budget burn and cost.`, width: 24, height: 1 }),
    new cloudwatch.GraphWidget({
      title: `Success rate vs objective ${successRate}`,
      left: [new cloudwatch.MathExpression({ expression: '1 - e', usingMetrics: { e: successErrorRatio(fiveMin) }, label: 'Success rate' })],
      leftAnnotations: [{ value: successRate, label: 'Objective', color: '#d62728' }],
      leftYAxis: { min: 0.9, max: 1 },
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Error-budget burn rate (5 min)',
      left: [new cloudwatch.MathExpression({ expression: `e / ${decimal(1 - successRate)}`, usingMetrics: { e: successErrorRatio(fiveMin) }, label: 'Burn rate' })],
      leftAnnotations: [
        { value: 1, label: 'Budget-neutral' },
        ...windows.map((w) => ({ value: w.burnRate, label: `${w.severity} (${w.long.toHumanString()})`, color: w.severity === 'page' ? '#d62728' : '#ff7f0e' })),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({ title: 'Fresh share', left: [freshRatio(fiveMin)], leftYAxis: { min: 0, max: 1 }, width: 8 }),
    new cloudwatch.SingleValueWidget({ title: 'Records per day', metrics: [ml('RecordsIn', day), ml('RecordsOut', day)], width: 8 }),
    new cloudwatch.SingleValueWidget({ title: 'Estimated cost', metrics: [costPerMillion, costPerDay], width: 8 }),
  );
  const alarms = [...sloAlarms, ...dlqAlarms, ...opAlarms];
  dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: `# On-call\nAlarm states, dead-letter queues, lag, failing stages. Runbook: ${RUNBOOK}`, width: 24, height: 1 }),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: Math.min(8, 2 + Math.ceil(alarms.length / 4)) }),
    new cloudwatch.GraphWidget({
      title: 'DLQ depth',
      left: props.dlqs.map((d) => d.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: d.label })),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Lag per source',
      left: [
        fnMetric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, label: 'Kinesis iterator age (ms)' }),
        props.buffer.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: 'Buffer oldest message (s)' }),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Failing stages',
      left: [fnMetric('Errors', { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM, label: 'Invocation errors' }), ml('RecordsRetried'), ml('TransformErrors')],
      width: 8,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: '# Debug\nDurations, cold starts, retries, quarantine, throughput.', width: 24, height: 1 }),
    new cloudwatch.GraphWidget({
      title: 'Transform duration',
      left: ['p50', 'p90', 'p99'].map((p) => fnMetric('Duration', { period: Duration.minutes(1), statistic: p, label: p })),
      width: 8,
    }),
    new cloudwatch.GraphWidget({ title: 'Cold starts and retries', left: [ml('ColdStarts'), ml('RecordsRetried'), ml('DuplicatesSkipped')], width: 8 }),
    new cloudwatch.GraphWidget({ title: 'Quarantine by reason', left: [ml('SchemaMismatches'), ml('TransformErrors'), ml('RecordsQuarantined')], width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Throughput (records per minute)',
      left: ['RecordsIn', 'RecordsOut', 'RecordsDropped'].map((n) => ml(n, Duration.minutes(1))),
      width: 12,
    }),
    new cloudwatch.GraphWidget({ title: 'Freshness lag (s)', left: ['p50', 'p95', 'p99'].map((p) => ml('FreshnessLagSeconds', fiveMin, p)), width: 12 }),
  );
  return dashboard;
}

/** A number as a plain decimal (metric math reads 5e-3 as an identifier). */
function decimal(n: number): string {
  return n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}
