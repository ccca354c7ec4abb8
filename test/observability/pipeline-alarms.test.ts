import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { EventBusIngest } from '../../lib/ingest/event-bus-ingest';
import { StreamIngest } from '../../lib/ingest/stream-ingest';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { PipelineAlarms, PipelineAlarmsProps } from '../../lib/observability/pipeline-alarms';
import { PipelineSlos } from '../../lib/observability/pipeline-slos';
import { DeadLetterQueue, type IDeadLetterQueue } from '../../lib/reliability/dead-letter-queue';
import { IdempotencyStore } from '../../lib/reliability/idempotency-store';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TransformFunctionProps } from '../../lib/transform/transform-function';
import { ROOT, testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { aliasDimensions, logicalId, pipelineDimensions, propsOf, queriesOf, Resource, resourcesOfType, returnedQuery, topicActions, transformFunction } from './fixtures';

interface FixtureOptions {
  readonly fn?: Partial<TransformFunctionProps>;
  readonly stream?: boolean;
  readonly eventBus?: boolean;
  readonly props?: Partial<PipelineAlarmsProps>;
}

/** A transform fed by a Kinesis stream (with its DLQ) and an EventBridge buffer (with two DLQs). */
function synth(options: FixtureOptions = {}) {
  const stack = testStack();
  const fn = transformFunction(stack, options.fn);
  const streamIngest = options.stream === false ? undefined : new StreamIngest(stack, 'StreamIngest');
  const eventBusIngest = options.eventBus === false ? undefined : new EventBusIngest(stack, 'EventBusIngest');
  const dlqs: IDeadLetterQueue[] = [];
  if (streamIngest) dlqs.push(fn.addKinesisSource(streamIngest.stream));
  if (eventBusIngest) {
    fn.addSqsSource(eventBusIngest.bufferQueue);
    dlqs.push(eventBusIngest.bufferDeadLetterQueue, eventBusIngest.deliveryDeadLetterQueue);
  }
  const routing = new AlarmRouting(stack, 'Routing');
  const alarms = new PipelineAlarms(stack, 'Alarms', {
    pipelineName: 'orders',
    routing,
    transform: fn,
    streamIngest,
    eventBusIngest,
    deadLetterQueues: dlqs,
    ...options.props,
  });
  return { stack, fn, streamIngest, eventBusIngest, dlqs, routing, alarms };
}

function alarmOf(alarms: PipelineAlarms, id: string): cloudwatch.Alarm {
  return alarms.node.findChild(id) as cloudwatch.Alarm;
}

/** Expected properties of a single-metric alarm routed by `severity`. */
function expectAlarm(
  template: Template,
  routing: AlarmRouting,
  alarm: cloudwatch.Alarm,
  expected: {
    namespace: string;
    metricName: string;
    dimensions: unknown;
    statistic?: string;
    extendedStatistic?: string;
    period: number;
    threshold: number;
    evaluationPeriods?: number;
    datapointsToAlarm?: number;
    comparison?: string;
    treatMissingData?: string;
    severity: AlarmSeverity;
    anchor: string;
    meaning?: RegExp;
  },
) {
  const topic = expected.severity === AlarmSeverity.PAGE ? routing.pageTopic : routing.ticketTopic;
  const props = propsOf(template, alarm);
  expect(props).toEqual({
    Namespace: expected.namespace,
    MetricName: expected.metricName,
    Dimensions: expected.dimensions,
    ...(expected.statistic ? { Statistic: expected.statistic } : {}),
    ...(expected.extendedStatistic ? { ExtendedStatistic: expected.extendedStatistic } : {}),
    Period: expected.period,
    Threshold: expected.threshold,
    ComparisonOperator: expected.comparison ?? 'GreaterThanThreshold',
    EvaluationPeriods: expected.evaluationPeriods ?? 1,
    ...(expected.datapointsToAlarm ? { DatapointsToAlarm: expected.datapointsToAlarm } : {}),
    TreatMissingData: expected.treatMissingData ?? 'notBreaching',
    AlarmActions: topicActions(topic),
    OKActions: topicActions(topic),
    Tags: [{ Key: 'alarm-severity', Value: expected.severity }],
    AlarmDescription: expect.stringMatching(
      new RegExp(`^\\[${expected.severity}\\] orders/transform: .+\\. Runbook: https://unpkg\\.com/cdk-serverless-etl@[0-9A-Za-z.-]+/docs/runbooks\\.md#${expected.anchor}$`),
    ),
  });
  if (expected.meaning) expect(props.AlarmDescription).toMatch(expected.meaning);
  expect(routing.alarms).toContainEqual({ alarm, severity: expected.severity });
}

describe('PipelineAlarms of the idempotency store and the stream archive', () => {
  const stack = testStack();
  const fn = transformFunction(stack);
  const streamIngest = new StreamIngest(stack, 'StreamIngest', { archiveBucket: new s3.Bucket(stack, 'Raw') });
  fn.addKinesisSource(streamIngest.stream);
  const idempotencyStore = new IdempotencyStore(stack, 'Idempotency');
  const routing = new AlarmRouting(stack, 'Routing');
  const alarms = new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform: fn, streamIngest, idempotencyStore });
  const template = Template.fromStack(stack);
  const archiveDimensions = [{ Name: 'DeliveryStreamName', Value: { Ref: logicalId(streamIngest.archive!) } }];

  test('IdempotencyThrottles: throttled requests to the table in 3 of 5 minutes is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'IdempotencyThrottles'), {
      namespace: 'AWS/DynamoDB',
      metricName: 'ThrottledRequests',
      dimensions: [{ Name: 'TableName', Value: { Ref: logicalId(idempotencyStore.table) } }],
      statistic: 'Sum',
      period: 60,
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'idempotency-throttles',
      meaning: /requests to the idempotency table were throttled/,
    });
  });

  test('ArchiveDeliveryFailures: S3 delivery success below 1 for 15 minutes is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'ArchiveDeliveryFailures'), {
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.Success',
      dimensions: archiveDimensions,
      statistic: 'Average',
      period: 300,
      threshold: 1,
      comparison: 'LessThanThreshold',
      evaluationPeriods: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'archive-delivery',
      meaning: /failed S3 deliveries for 15 minutes/,
    });
  });

  test('ArchiveDeliveryStalled: the oldest waiting record above 20 minutes (past the 15-minute buffer) is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'ArchiveDeliveryStalled'), {
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.DataFreshness',
      dimensions: archiveDimensions,
      statistic: 'Maximum',
      period: 300,
      threshold: 1200,
      evaluationPeriods: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'archive-delivery',
      meaning: /more than 20 minutes old for 15 minutes/,
    });
  });

  test('no archive or idempotency alarms without them', () => {
    const { alarms: plain } = synth();
    for (const id of ['IdempotencyThrottles', 'ArchiveDeliveryFailures', 'ArchiveDeliveryStalled']) expect(plain.node.tryFindChild(id)).toBeUndefined();
  });
});

describe('PipelineAlarms with every source', () => {
  const { stack, fn, streamIngest, eventBusIngest, dlqs, routing, alarms } = synth({ fn: { reservedConcurrency: 50 } });
  const template = Template.fromStack(stack);

  test('snapshot', () => {
    expect(ownTemplate(alarms)).toMatchSnapshot();
  });

  test('transform errors: any failed invocation of the live alias in 5 minutes pages', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'TransformErrors'), {
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: aliasDimensions(fn),
      statistic: 'Sum',
      period: 300,
      threshold: 0,
      severity: AlarmSeverity.PAGE,
      anchor: 'transform-errors',
      meaning: /failed whole invocations/,
    });
  });

  test('transform throttles: throttled in 3 of 5 minutes is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'TransformThrottles'), {
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions: aliasDimensions(fn),
      statistic: 'Sum',
      period: 60,
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'transform-throttles',
      meaning: /throttled in 3 of the last 5 minutes/,
    });
  });

  test('duration near timeout: p99 over 5 minutes above 80% of the 60 s timeout is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'TransformDurationNearTimeout'), {
      namespace: 'AWS/Lambda',
      metricName: 'Duration',
      dimensions: aliasDimensions(fn),
      extendedStatistic: 'p99',
      period: 300,
      threshold: 48000,
      severity: AlarmSeverity.TICKET,
      anchor: 'transform-duration-near-timeout',
      meaning: /above 80% of its 60 s timeout/,
    });
  });

  test('concurrency near cap: above 80% of reserved concurrency for 5 of 5 minutes is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'TransformConcurrencyNearCap'), {
      namespace: 'AWS/Lambda',
      metricName: 'ConcurrentExecutions',
      dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
      statistic: 'Maximum',
      period: 60,
      threshold: 40,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      severity: AlarmSeverity.TICKET,
      anchor: 'transform-concurrency-near-cap',
      meaning: /reserved concurrency \(50\)/,
    });
  });

  test('Kinesis iterator age: more than 5 minutes behind for 5 minutes pages', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'StreamIteratorAge'), {
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensions: aliasDimensions(fn),
      statistic: 'Maximum',
      period: 60,
      threshold: 300000,
      evaluationPeriods: 5,
      severity: AlarmSeverity.PAGE,
      anchor: 'stream-iterator-age',
      meaning: /more than 5 minutes behind the Kinesis stream/,
    });
  });

  test('Kinesis write throttles: any in 5 minutes is a ticket, scoped to the stream', () => {
    const props = propsOf(template, alarmOf(alarms, 'StreamWriteThrottles'));
    expect(props).toMatchObject({
      Namespace: 'AWS/Kinesis',
      // Counts records throttled in PutRecord and PutRecords calls (PutRecords.ThrottledRecords misses PutRecord).
      MetricName: 'WriteProvisionedThroughputExceeded',
      Dimensions: [{ Name: 'StreamName', Value: { Ref: logicalId(streamIngest!.stream) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicActions(routing.ticketTopic),
      OKActions: topicActions(routing.ticketTopic),
    });
    expect(props.AlarmDescription).toMatch(/^\[ticket\] orders\/transform: producers were throttled .*Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#stream-write-throttles$/);
  });

  test('buffer age: oldest buffered message older than 5 minutes for 5 minutes pages', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'BufferAge'), {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(eventBusIngest!.bufferQueue), 'QueueName'] } }],
      statistic: 'Maximum',
      period: 60,
      threshold: 300,
      evaluationPeriods: 5,
      severity: AlarmSeverity.PAGE,
      anchor: 'buffer-age',
      meaning: /more than 5 minutes old for 5 minutes/,
    });
  });

  test.each([0, 1, 2])('DLQ %i: oldest message older than 3 days is a ticket', (i) => {
    const dlq = dlqs[i];
    expectAlarm(template, routing, alarmOf(alarms, `${dlq.node.id}${i + 1}OldestMessage`), {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq.queue), 'QueueName'] } }],
      statistic: 'Maximum',
      period: 300,
      threshold: 259200,
      severity: AlarmSeverity.TICKET,
      anchor: 'dlq-oldest-message',
      meaning: new RegExp(`a message has been in ${dlq.node.path} for more than 3 days`),
    });
  });

  test.each([0, 1, 2])('DLQ %i: its depth alarm is routed as a page and its description gains severity and runbook', (i) => {
    const dlq = dlqs[i];
    const props = propsOf(template, dlq.depthAlarm);
    expect(props).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq.queue), 'QueueName'] } }],
      Threshold: 0,
      AlarmActions: topicActions(routing.pageTopic),
      OKActions: topicActions(routing.pageTopic),
    });
    expect(props.AlarmDescription).toMatch(/^\[page\] orders\/transform: Messages are waiting in the dead-letter queue of .+ Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#dlq-messages$/);
    expect(alarms.alarms).toContain(dlq.depthAlarm);
    expect(routing.alarms).toContainEqual({ alarm: dlq.depthAlarm, severity: AlarmSeverity.PAGE });
  });

  test.each([
    ['QuarantineRate', 'RecordsQuarantined', 0.05, 'quarantine-rate', 'Quarantine ratio', /more than 5% of records were quarantined over 15 minutes/],
    ['SchemaDrift', 'SchemaMismatches', 0.01, 'schema-drift', 'Schema mismatch ratio', /more than 1% of records did not match their schema/],
  ])('%s: %s over RecordsIn, 15-minute sums, above %d is a ticket', (id, metricName, threshold, anchor, label, meaning) => {
    const props = propsOf(template, alarmOf(alarms, id));
    expect(returnedQuery(props)).toMatchObject({ Expression: 'IF(recordsIn > 0, part / recordsIn, 0)', Label: label });
    const q = queriesOf(props);
    expect(q.part.MetricStat).toEqual({ Metric: { Namespace: 'ServerlessEtl', MetricName: metricName, Dimensions: pipelineDimensions() }, Stat: 'Sum', Period: 900 });
    expect(q.recordsIn.MetricStat).toEqual({ Metric: { Namespace: 'ServerlessEtl', MetricName: 'RecordsIn', Dimensions: pipelineDimensions() }, Stat: 'Sum', Period: 900 });
    expect(props).toMatchObject({
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicActions(routing.ticketTopic),
      OKActions: topicActions(routing.ticketTopic),
    });
    expect(props.AlarmDescription).toMatch(new RegExp(`^\\[ticket\\] orders/transform: .+\\. Runbook: https://unpkg\\.com/cdk-serverless-etl@[0-9A-Za-z.-]+/docs/runbooks\\.md#${anchor}$`));
    expect(props.AlarmDescription).toMatch(meaning);
  });

  test('a staleness alarm by default with a continuous source: nothing curated for 1 hour is a ticket', () => {
    expectAlarm(template, routing, alarmOf(alarms, 'NoNewData'), {
      namespace: 'ServerlessEtl',
      metricName: 'RecordsOut',
      dimensions: pipelineDimensions(),
      statistic: 'Sum',
      period: 3600,
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'breaching',
      severity: AlarmSeverity.TICKET,
      anchor: 'no-new-data',
      meaning: /nothing new reached curated for 1 hour \(a stalled source or a stopped transform\)/,
    });
  });

  test('the alarm set: every alarm created or routed, and nothing else', () => {
    expect(alarms.alarms.map((a) => a.node.id).sort()).toEqual(
      [
        'DepthAlarm',
        'DepthAlarm',
        'DepthAlarm',
        'KinesisDlq11OldestMessage',
        'BufferDlq2OldestMessage',
        'DeliveryDlq3OldestMessage',
        'TransformErrors',
        'TransformThrottles',
        'TransformDurationNearTimeout',
        'TransformConcurrencyNearCap',
        'StreamIteratorAge',
        'StreamWriteThrottles',
        'BufferAge',
        'QuarantineRate',
        'SchemaDrift',
        'NoNewData',
        'ThroughputAnomaly',
        'KinesisDlq11DeadLetterRate',
        'BufferDlq2DeadLetterRate',
        'DeliveryDlq3DeadLetterRate',
      ].sort(),
    );
    expect(routing.alarms.map((a) => a.alarm)).toEqual(alarms.alarms);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 20);
  });

  test('every alarm is scoped by dimensions, says its severity and meaning, and links its runbook section', () => {
    for (const alarm of alarms.alarms) {
      const props = propsOf(template, alarm);
      if (props.Metrics) {
        const stats = Object.values(queriesOf(props)).filter((q) => q.MetricStat);
        expect(stats.length).toBeGreaterThan(0);
        for (const q of stats) expect(q.MetricStat!.Metric.Dimensions.length).toBeGreaterThan(0);
      } else {
        expect((props.Dimensions as unknown[]).length).toBeGreaterThan(0);
      }
      expect(props.AlarmDescription).toMatch(/^\[(page|ticket)\] orders\/transform: .{20,}\. Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#[a-z-]+$/);
      const severity = String(props.AlarmDescription).startsWith('[page]') ? AlarmSeverity.PAGE : AlarmSeverity.TICKET;
      const topic = severity === AlarmSeverity.PAGE ? routing.pageTopic : routing.ticketTopic;
      expect(props.AlarmActions).toEqual(topicActions(topic));
      expect(props.OKActions).toEqual(topicActions(topic));
      expect(routing.alarms).toContainEqual({ alarm, severity });
    }
  });

  test('critical (page) alarms detect within 5 minutes', () => {
    for (const { alarm, severity } of routing.alarms) {
      if (severity !== AlarmSeverity.PAGE) continue;
      const props = propsOf(template, alarm as cloudwatch.Alarm);
      expect(Number(props.Period) * Number(props.EvaluationPeriods)).toBeLessThanOrEqual(300);
    }
  });
});

describe('PipelineAlarms options', () => {
  test('without sources: no iterator-age, write-throttle, buffer-age or DLQ alarms', () => {
    const { stack, alarms } = synth({ stream: false, eventBus: false });
    const ids = alarms.alarms.map((a) => a.node.id).sort();
    expect(ids).toEqual(['QuarantineRate', 'SchemaDrift', 'ThroughputAnomaly', 'TransformDurationNearTimeout', 'TransformErrors', 'TransformThrottles']);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  test('no concurrency alarm without reserved concurrency (or with 0)', () => {
    expect(synth({ stream: false, eventBus: false }).alarms.node.tryFindChild('TransformConcurrencyNearCap')).toBeUndefined();
    expect(synth({ stream: false, eventBus: false, fn: { reservedConcurrency: 0 } }).alarms.node.tryFindChild('TransformConcurrencyNearCap')).toBeUndefined();
  });

  test('concurrency threshold is 80% of the reserved concurrency, rounded down', () => {
    const { stack, alarms } = synth({ stream: false, eventBus: false, fn: { reservedConcurrency: 7 } });
    expect(propsOf(Template.fromStack(stack), alarmOf(alarms, 'TransformConcurrencyNearCap')).Threshold).toBe(5);
  });

  test('duration threshold follows the timeout', () => {
    const { stack, alarms } = synth({ stream: false, eventBus: false, fn: { timeout: Duration.seconds(30) } });
    const props = propsOf(Template.fromStack(stack), alarmOf(alarms, 'TransformDurationNearTimeout'));
    expect(props.Threshold).toBe(24000);
    expect(props.AlarmDescription).toContain('80% of its 30 s timeout');
  });

  test('staleAfter: nothing curated for that long (missing data breaching) is a ticket', () => {
    const { stack, alarms, routing } = synth({ stream: false, eventBus: false, props: { staleAfter: Duration.hours(2) } });
    expectAlarm(Template.fromStack(stack), routing, alarmOf(alarms, 'NoNewData'), {
      namespace: 'ServerlessEtl',
      metricName: 'RecordsOut',
      dimensions: pipelineDimensions(),
      statistic: 'Sum',
      period: 7200,
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'breaching',
      severity: AlarmSeverity.TICKET,
      anchor: 'no-new-data',
      meaning: /nothing new reached curated for 2 hours/,
    });
  });

  test('no staleness alarm for a stage without a continuous source, nor with staleAlarm false', () => {
    expect(synth({ stream: false, eventBus: false }).alarms.node.tryFindChild('NoNewData')).toBeUndefined();
    expect(synth({ props: { staleAlarm: false } }).alarms.node.tryFindChild('NoNewData')).toBeUndefined();
    expect(synth({ stream: false, props: { staleAlarm: false, staleAfter: Duration.hours(3) } }).alarms.node.tryFindChild('NoNewData')).toBeDefined();
  });

  test('custom thresholds: maxLag, maxDeadLetterAge, maxQuarantineRate, maxSchemaMismatchRate', () => {
    const { stack, alarms, dlqs } = synth({
      props: { maxLag: Duration.minutes(10), maxDeadLetterAge: Duration.days(1), maxQuarantineRate: 0.1, maxSchemaMismatchRate: 0.02 },
    });
    const t = Template.fromStack(stack);
    expect(propsOf(t, alarmOf(alarms, 'StreamIteratorAge')).Threshold).toBe(600000);
    expect(propsOf(t, alarmOf(alarms, 'StreamIteratorAge')).AlarmDescription).toContain('more than 10 minutes behind');
    expect(propsOf(t, alarmOf(alarms, 'BufferAge')).Threshold).toBe(600);
    for (const [i, dlq] of dlqs.entries()) {
      const props = propsOf(t, alarmOf(alarms, `${dlq.node.id}${i + 1}OldestMessage`));
      expect(props.Threshold).toBe(86400);
      expect(props.AlarmDescription).toContain('for more than 1 day');
    }
    expect(propsOf(t, alarmOf(alarms, 'QuarantineRate')).Threshold).toBe(0.1);
    expect(propsOf(t, alarmOf(alarms, 'QuarantineRate')).AlarmDescription).toContain('more than 10% of records');
    expect(propsOf(t, alarmOf(alarms, 'SchemaDrift')).Threshold).toBe(0.02);
    expect(propsOf(t, alarmOf(alarms, 'SchemaDrift')).AlarmDescription).toContain('more than 2% of records');
  });

  test('percentages in descriptions have no floating-point noise (maxQuarantineRate 0.07 reads "7%")', () => {
    const { stack, alarms } = synth({ stream: false, eventBus: false, props: { maxQuarantineRate: 0.07 } });
    expect(propsOf(Template.fromStack(stack), alarmOf(alarms, 'QuarantineRate')).AlarmDescription).toContain('more than 7% of records');
  });

  test('a custom stage and runbookUrl appear in every description', () => {
    const { stack, alarms } = synth({ stream: false, eventBus: false, fn: { stage: 'enrich' }, props: { runbookUrl: 'https://example.com/rb' } });
    const t = Template.fromStack(stack);
    for (const alarm of alarms.alarms) {
      expect(propsOf(t, alarm).AlarmDescription).toMatch(/^\[(page|ticket)\] orders\/enrich: .+ Runbook: https:\/\/example\.com\/rb#[a-z-]+$/);
    }
    expect(queriesOf(propsOf(t, alarmOf(alarms, 'QuarantineRate'))).part.MetricStat!.Metric.Dimensions).toEqual(pipelineDimensions('orders', 'enrich'));
  });
});

describe('PipelineAlarms with DLQs of the same construct id', () => {
  test('two buses feeding one transform: each DLQ gets its own oldest-message alarm (both are named "BufferDlq")', () => {
    // One transform with two SQS sources is supported (addSqsSource); each EventBusIngest names its DLQs
    // "BufferDlq" and "DeliveryDlq", so `${dlq.node.id}OldestMessage` is created twice in the same scope.
    const stack = testStack();
    const fn = transformFunction(stack);
    const first = new EventBusIngest(stack, 'Orders');
    const second = new EventBusIngest(stack, 'Refunds');
    fn.addSqsSource(first.bufferQueue);
    fn.addSqsSource(second.bufferQueue);
    const routing = new AlarmRouting(stack, 'Routing');
    const dlqs = [first.bufferDeadLetterQueue, first.deliveryDeadLetterQueue, second.bufferDeadLetterQueue, second.deliveryDeadLetterQueue];
    const create = () => new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform: fn, deadLetterQueues: dlqs });
    expect(create).not.toThrow();
    const template = Template.fromStack(stack);
    const ageAlarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage' && String(a.Properties.AlarmDescription).includes('#dlq-oldest-message'),
    );
    expect(ageAlarms).toHaveLength(4);
  });
});

describe('PipelineAlarms.addStateMachine', () => {
  const { stack, alarms, routing } = synth({ stream: false, eventBus: false });
  const stateMachine = new sfn.StateMachine(stack, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  alarms.addStateMachine('Batch', stateMachine);
  const template = Template.fromStack(stack);
  const dimensions = [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stateMachine) } }];

  test.each([
    ['BatchFailed', 'ExecutionsFailed', AlarmSeverity.PAGE, /executions of TestStack\/Workflow failed/],
    ['BatchTimedOut', 'ExecutionsTimedOut', AlarmSeverity.PAGE, /executions of TestStack\/Workflow timed out/],
    ['BatchThrottled', 'ExecutionThrottled', AlarmSeverity.TICKET, /executions of TestStack\/Workflow were throttled/],
  ])('%s: any %s in 5 minutes (%s)', (id, metricName, severity, meaning) => {
    expectAlarm(template, routing, alarmOf(alarms, id), {
      namespace: 'AWS/States',
      metricName,
      dimensions,
      statistic: 'Sum',
      period: 300,
      threshold: 0,
      severity,
      anchor: 'state-machine-failures',
      meaning,
    });
    expect(alarms.alarms).toContain(alarmOf(alarms, id));
  });
});

describe('PipelineAlarms validation', () => {
  test('bad thresholds in one error naming each prop, value and range', () => {
    expect(() => synth({ props: { maxQuarantineRate: 0, maxSchemaMismatchRate: 2, maxLag: Duration.seconds(10) } })).toThrow(
      new Error(
        'Invalid PipelineAlarms (TestStack/Alarms) props:\n' +
          '  - maxLag is 10 seconds; it must be from 1 minute to 1 day\n' +
          '  - maxQuarantineRate is 0; it must be above 0 and at most 1\n' +
          '  - maxSchemaMismatchRate is 2; it must be above 0 and at most 1',
      ),
    );
  });

  test.each([
    ['maxQuarantineRate 2', { maxQuarantineRate: 2 }, /maxQuarantineRate is 2; it must be above 0 and at most 1/],
    ['maxQuarantineRate -0.1', { maxQuarantineRate: -0.1 }, /maxQuarantineRate is -0\.1; it must be above 0 and at most 1/],
    ['maxQuarantineRate NaN', { maxQuarantineRate: Number.NaN }, /maxQuarantineRate is NaN; it must be above 0 and at most 1/],
    ['maxSchemaMismatchRate 0', { maxSchemaMismatchRate: 0 }, /maxSchemaMismatchRate is 0; it must be above 0 and at most 1/],
    ['maxLag 2 days', { maxLag: Duration.days(2) }, /maxLag is 2 days; it must be from 1 minute to 1 day/],
    ['maxDeadLetterAge 30 minutes', { maxDeadLetterAge: Duration.minutes(30) }, /maxDeadLetterAge is 30 minutes; it must be from 1 hour to 13 days/],
    ['maxDeadLetterAge 14 days', { maxDeadLetterAge: Duration.days(14) }, /maxDeadLetterAge is 14 days; it must be from 1 hour to 13 days/],
    ['staleAfter 1 minute', { staleAfter: Duration.minutes(1) }, /staleAfter is 1 minute; it must be from 5 minutes to 1 day/],
    ['staleAfter 2 days', { staleAfter: Duration.days(2) }, /staleAfter is 2 days; it must be from 5 minutes to 1 day/],
  ] as Array<[string, Partial<PipelineAlarmsProps>, RegExp]>)('rejects %s', (_name, props, message) => {
    expect(() => synth({ stream: false, eventBus: false, props })).toThrow(message);
  });

  test('maxDeadLetterAge must leave a day before a dead-letter queue expires its messages', () => {
    const stack = testStack();
    const fn = transformFunction(stack);
    const shortLived = new DeadLetterQueue(stack, 'ShortLived', { retentionPeriod: Duration.days(3) });
    const props = { pipelineName: 'orders', routing: new AlarmRouting(stack, 'Routing'), transform: fn, deadLetterQueues: [shortLived] };
    expect(() => new PipelineAlarms(stack, 'Default', props)).toThrow(
      /maxDeadLetterAge is 3 days \(the default\); it must be at least 1 day shorter than the retention of TestStack\/ShortLived \(3 days\), .*: lower maxDeadLetterAge or raise the queue.s retentionPeriod/,
    );
    expect(() => new PipelineAlarms(stack, 'TwoDays', { ...props, maxDeadLetterAge: Duration.days(2) })).not.toThrow();
  });

  test('accepts the bounds', () => {
    expect(() =>
      synth({ stream: false, eventBus: false, props: { maxQuarantineRate: 1, maxSchemaMismatchRate: 1, maxLag: Duration.days(1), staleAfter: Duration.minutes(5) } }),
    ).not.toThrow();
  });
});

describe('runbook anchors', () => {
  test('every anchor an alarm links to exists in docs/runbooks.md', () => {
    const { stack, alarms, fn, routing } = synth({ fn: { reservedConcurrency: 10 }, props: { staleAfter: Duration.hours(1) } });
    alarms.addStateMachine('Batch', new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')) }));
    new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, transformFunction: fn });
    const runbooks = fs.readFileSync(path.join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set<string>();
    for (const alarm of [...Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::CloudWatch::Alarm')), ...Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::CloudWatch::CompositeAlarm'))] as Resource[]) {
      const match = /Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#([a-z-]+)$/.exec(String(alarm.Properties.AlarmDescription));
      expect(match).not.toBeNull();
      anchors.add(match![1]);
    }
    expect([...anchors].sort()).toEqual(
      [
        'success-rate-burn', 'freshness-burn', 'error-rate-per-transform', 'cold-start-rate', 'dlq-messages', 'dlq-oldest-message',
        'transform-errors', 'transform-throttles', 'transform-duration-near-timeout', 'transform-concurrency-near-cap',
        'stream-iterator-age', 'stream-write-throttles', 'buffer-age', 'quarantine-rate', 'schema-drift', 'no-new-data', 'state-machine-failures',
        'throughput-anomaly', 'dead-letter-rate',
      ].sort(),
    );
    for (const anchor of anchors) expect({ anchor, found: runbooks.includes(`<a id="${anchor}"></a>`) }).toEqual({ anchor, found: true });
  });
});

test('without PipelineAlarms a DLQ depth alarm is not routed and has no runbook link (PipelineAlarms adds them)', () => {
  const stack = testStack();
  const fn = transformFunction(stack);
  const dlq = fn.addKinesisSource(new StreamIngest(stack, 'StreamIngest').stream);
  const props = propsOf(Template.fromStack(stack), dlq.depthAlarm);
  expect(props.AlarmActions).toBeUndefined();
  expect(String(props.AlarmDescription)).not.toContain('Runbook');
});
