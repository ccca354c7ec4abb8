import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PipelineSource } from '../../lib/contract/watermarks';
import { alarmDescription, FIRST_CHECKS } from '../../lib/observability/alarm-context';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { PipelineAlarms, PipelineAlarmsProps } from '../../lib/observability/pipeline-alarms';
import { PipelineSlos } from '../../lib/observability/pipeline-slos';
import { WatermarkPublisher, WatermarkPublisherProps } from '../../lib/observability/watermark-publisher';
import { ROOT, testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { logicalId, propsOf, topicActions, transformFunction } from './fixtures';

function publisher(props: Partial<WatermarkPublisherProps> = {}) {
  const stack = testStack();
  const watermarks = new WatermarkPublisher(stack, 'Watermarks', {
    pipelineName: 'orders',
    sources: [PipelineSource.STREAM, PipelineSource.BUS, PipelineSource.BATCH],
    ...props,
  });
  return { stack, watermarks, template: Template.fromStack(stack) };
}

describe('WatermarkPublisher', () => {
  const { watermarks, template } = publisher({ batchDeadline: { loadedBy: '05:30', timeZone: 'Europe/Berlin' } });

  test('a small function run every minute: no reserved concurrency (low-quota accounts), a timeout, JSON logs, X-Ray, its DLQ, and what to publish in its environment', () => {
    expect(propsOf(template, watermarks.function).ReservedConcurrentExecutions).toBeUndefined();
    expect(propsOf(template, watermarks.function)).toMatchObject({
      Handler: 'index.handler',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(watermarks.deadLetterQueue.queue), 'Arn'] } },
      Environment: {
        Variables: {
          WATERMARK_PIPELINE: 'orders',
          WATERMARK_STAGE: 'transform',
          WATERMARK_SOURCES: 'stream,bus,batch',
          WATERMARK_LOOKBACK_SECONDS: String(14 * 24 * 3600),
          WATERMARK_BATCH_LOADED_BY: '05:30',
          WATERMARK_BATCH_TIME_ZONE: 'Europe/Berlin',
        },
      },
    });
    expect(propsOf(template, watermarks.schedule)).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(watermarks.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(watermarks.deadLetterQueue.queue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        },
      ],
    });
  });

  test('least privilege: GetMetricData, PutMetricData only to the ServerlessEtl namespace, its logs and its DLQ', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]).sort();
    expect(actions).toEqual(
      ['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'kms:Decrypt', 'kms:GenerateDataKey'].sort(),
    );
    expect(statements.find((s) => s.Action === 'cloudwatch:PutMetricData')).toMatchObject({ Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'ServerlessEtl' } } });
  });

  test('snapshot', () => {
    expect(ownTemplate(watermarks)).toMatchSnapshot();
  });

  test('metrics per source: WatermarkAgeSeconds and BatchOverdueSeconds with Pipeline, Stage and Source', () => {
    const age = watermarks.metricWatermarkAge(PipelineSource.BUS);
    expect([age.namespace, age.metricName, age.dimensions, age.statistic]).toEqual([
      'ServerlessEtl',
      'WatermarkAgeSeconds',
      { Pipeline: 'orders', Stage: 'transform', Source: 'bus' },
      'Maximum',
    ]);
    expect(watermarks.metricBatchOverdue().dimensions).toEqual({ Pipeline: 'orders', Stage: 'transform', Source: 'batch' });
  });

  test('validates its props: sources, the deadline (with the prop path, value and allowed values)', () => {
    expect(() => publisher({ sources: [] })).toThrow('sources is empty; give at least one source');
    expect(() => publisher({ sources: [PipelineSource.STREAM], batchDeadline: { loadedBy: '06:00' } })).toThrow(
      'batchDeadline is set but sources has no batch source',
    );
    expect(() => publisher({ batchDeadline: { loadedBy: '6:00', timeZone: 'Mars/Olympus' } })).toThrow(
      [
        'Invalid WatermarkPublisher (TestStack/Watermarks) props:',
        `  - batchDeadline.loadedBy is "6:00"; it must be a 24-hour local time 'HH:MM' from '00:00' to '23:59' (e.g. '06:00')`,
        `  - batchDeadline.timeZone is "Mars/Olympus"; it must be an IANA time zone name such as 'UTC' or 'Europe/Berlin'`,
      ].join('\n'),
    );
  });
});

describe('staleness alarms per source (PipelineAlarms with a watermark publisher)', () => {
  function synth(props: Partial<PipelineAlarmsProps> = {}, publisherProps: Partial<WatermarkPublisherProps> = {}) {
    const stack = testStack();
    const watermarks = new WatermarkPublisher(stack, 'Watermarks', {
      pipelineName: 'orders',
      sources: [PipelineSource.STREAM, PipelineSource.BUS, PipelineSource.BATCH],
      ...publisherProps,
    });
    const routing = new AlarmRouting(stack, 'Routing');
    const alarms = new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform: transformFunction(stack), watermarks, ...props });
    return { stack, alarms, routing, watermarks, template: Template.fromStack(stack) };
  }
  const thresholdOf = (s: ReturnType<typeof synth>, id: string) => propsOf(s.template, s.alarms.node.findChild(id)).Threshold;

  test('one ticket per source on its WatermarkAgeSeconds (maximum over 5 minutes), missing data breaching, with context and runbook', () => {
    const s = synth();
    const props = propsOf(s.template, s.alarms.node.findChild('WatermarkStaleStream'));
    expect(props).toMatchObject({
      MetricName: 'WatermarkAgeSeconds',
      Namespace: 'ServerlessEtl',
      Dimensions: [
        { Name: 'Pipeline', Value: 'orders' },
        { Name: 'Source', Value: 'stream' },
        { Name: 'Stage', Value: 'transform' },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: topicActions(s.routing.ticketTopic),
    });
    expect(props.AlarmDescription).toMatch(
      /^\[ticket\] orders\/transform: nothing new from the stream reached curated for 15 minutes: .* Check first: .*\. Runbook: https:\/\/unpkg\.com\/.*#watermark-stale$/,
    );
    expect([thresholdOf(s, 'WatermarkStaleBus'), thresholdOf(s, 'WatermarkStaleBatch')]).toEqual([900, 2 * 24 * 3600]);
  });

  test('the batch default follows its deadline: a day, the deadline after midnight, and 6 hours', () => {
    expect(thresholdOf(synth({}, { batchDeadline: { loadedBy: '06:00' } }), 'WatermarkStaleBatch')).toBe(36 * 3600);
    expect(thresholdOf(synth({}, { batchDeadline: { loadedBy: '00:30' } }), 'WatermarkStaleBatch')).toBe(30.5 * 3600);
  });

  test('thresholds per source can be set and are validated; staleAlarm false turns the source alarms off', () => {
    const s = synth({ sourceStaleAfter: { stream: Duration.minutes(5), batch: Duration.days(3) } });
    expect([thresholdOf(s, 'WatermarkStaleStream'), thresholdOf(s, 'WatermarkStaleBus'), thresholdOf(s, 'WatermarkStaleBatch')]).toEqual([300, 900, 3 * 24 * 3600]);
    expect(() => synth({ sourceStaleAfter: { stream: Duration.minutes(1), batch: Duration.days(8) } })).toThrow(
      [
        'Invalid PipelineAlarms (TestStack/Alarms) props:',
        '  - sourceStaleAfter.stream is 1 minute; it must be from 5 minutes to 1 day',
        '  - sourceStaleAfter.batch is 8 days; it must be from 1 hour to 7 days',
      ].join('\n'),
    );
    const off = synth({ staleAlarm: false });
    expect(off.alarms.node.tryFindChild('WatermarkStaleStream')).toBeUndefined();
    expect(off.alarms.node.tryFindChild('WatermarkPublisherErrors')).toBeDefined();
  });

  test('the publisher itself is alarmed: its errors for 15 minutes and its dead-letter queue, as tickets', () => {
    const s = synth();
    expect(propsOf(s.template, s.alarms.node.findChild('WatermarkPublisherErrors'))).toMatchObject({
      MetricName: 'Errors',
      EvaluationPeriods: 3,
      AlarmActions: topicActions(s.routing.ticketTopic),
    });
    const dlq = propsOf(s.template, s.watermarks.deadLetterQueue.depthAlarm);
    expect(dlq.AlarmActions).toEqual(topicActions(s.routing.ticketTopic));
    expect(dlq.AlarmDescription).toMatch(/^\[ticket\] orders\/transform: Messages are waiting in the dead-letter queue of the watermark publisher .*#watermark-publisher$/);
  });
});

describe('the batch deadline SLI (PipelineSlos)', () => {
  test('alarms (page by default) on BatchOverdueSeconds above 0, missing data breaching; the severity can be set', () => {
    for (const [severity, topic] of [
      [undefined, 'pageTopic'],
      [AlarmSeverity.TICKET, 'ticketTopic'],
    ] as const) {
      const stack = testStack();
      const batchDeadline = { loadedBy: '06:00', severity };
      const watermarks = new WatermarkPublisher(stack, 'Watermarks', { pipelineName: 'orders', sources: [PipelineSource.BATCH], batchDeadline });
      const routing = new AlarmRouting(stack, 'Routing');
      const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, watermarks, batchDeadline });
      const props = propsOf(Template.fromStack(stack), slos.node.findChild('BatchDeadline'));
      expect(props).toMatchObject({
        MetricName: 'BatchOverdueSeconds',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: topicActions(routing[topic]),
      });
      expect(props.AlarmDescription).toContain('was not loaded by 06:00 (UTC) the day after');
    }
  });

  test('needs a publisher of the deadline, and validates the deadline under its prop path', () => {
    const stack = testStack();
    const routing = new AlarmRouting(stack, 'Routing');
    expect(() => new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, batchDeadline: { loadedBy: '25:00' } })).toThrow(
      [
        'Invalid PipelineSlos (TestStack/Slos) props:',
        `  - batchDeadline.loadedBy is "25:00"; it must be a 24-hour local time 'HH:MM' from '00:00' to '23:59' (e.g. '06:00')`,
        '  - batchDeadline is set but no watermark publisher publishes a batch deadline (watermarks): give watermarks a WatermarkPublisher with the batch source and the same batchDeadline',
      ].join('\n'),
    );
  });
});

describe('alarm context', () => {
  test('every first check is of a runbook section, and every runbook section an alarm links to has one', () => {
    const runbooks = fs.readFileSync(path.join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    const anchors = [...runbooks.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    for (const anchor of Object.keys(FIRST_CHECKS)) expect({ anchor, inRunbooks: anchors.includes(anchor) }).toEqual({ anchor, inRunbooks: true });
    // Sections no alarm links to: the procedures, the workflow's run pages and the budget (AWS Budgets writes its own notification).
    const procedures = ['replay-redrive-pause-resume', 'reprocess', 'schema-drift-paused', 'batch-run-failed', 'budget'];
    expect(anchors.filter((a) => !(a in FIRST_CHECKS) && !procedures.includes(a))).toEqual([]);
  });

  test('alarmDescription: severity, pipeline/stage, meaning, first check, absolute runbook link', () => {
    expect(alarmDescription({ severity: AlarmSeverity.PAGE, pipeline: 'orders', stage: 'transform', meaning: 'it broke.', anchor: 'dlq-messages', runbook: 'https://wiki.example.com/rb' })).toBe(
      `[page] orders/transform: it broke. Check first: ${FIRST_CHECKS['dlq-messages']}. Runbook: https://wiki.example.com/rb#dlq-messages`,
    );
    expect(alarmDescription({ severity: AlarmSeverity.TICKET, pipeline: 'o', stage: 's', meaning: 'm', anchor: 'no-such-section', runbook: 'https://x.example' })).toBe(
      '[ticket] o/s: m. Runbook: https://x.example#no-such-section',
    );
  });
});
