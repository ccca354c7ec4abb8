import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { EventBusIngest } from '../../lib/ingest/event-bus-ingest';
import { StreamIngest, StreamIngestProps } from '../../lib/ingest/stream-ingest';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineAlarms } from '../../lib/observability/pipeline-alarms';
import { PipelineDashboard, PipelineDashboardProps } from '../../lib/observability/pipeline-dashboard';
import { PipelineSlos } from '../../lib/observability/pipeline-slos';
import { errorsByTypeQuery, lastFailuresQuery, quarantineReasonsQuery } from '../../lib/observability/log-queries';
import { TransformFunctionProps } from '../../lib/transform/transform-function';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { dashboardOf, expressions, metricRows, rowHeaders, rowOf, titles, widget } from './dashboard-body';
import { logicalId, transformFunction } from './fixtures';

interface Options {
  readonly fn?: Partial<TransformFunctionProps>;
  readonly dashboard?: Partial<PipelineDashboardProps>;
  readonly stream?: StreamIngestProps;
  readonly slos?: boolean;
  readonly alarms?: boolean;
  readonly sources?: boolean;
}

/** A transform with both sources, SLOs, operational alarms and the dashboard over all of them. */
function synth(options: Options = {}) {
  const stack = testStack();
  const fn = transformFunction(stack, options.fn);
  const sources = options.sources ?? true;
  const streamIngest = sources ? new StreamIngest(stack, 'StreamIngest', options.stream) : undefined;
  const eventBusIngest = sources ? new EventBusIngest(stack, 'EventBusIngest') : undefined;
  const dlqs = [];
  if (streamIngest) dlqs.push(fn.addKinesisSource(streamIngest.stream));
  if (eventBusIngest) {
    fn.addSqsSource(eventBusIngest.bufferQueue);
    dlqs.push(eventBusIngest.bufferDeadLetterQueue, eventBusIngest.deliveryDeadLetterQueue);
  }
  const routing = new AlarmRouting(stack, 'Routing');
  const slos = options.slos === false ? undefined : new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, transformFunction: fn });
  const alarms = new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform: fn, streamIngest, eventBusIngest, deadLetterQueues: dlqs });
  const dashboard = new PipelineDashboard(stack, 'Dashboard', {
    pipelineName: 'orders',
    transform: fn,
    slos,
    alarms: options.alarms === false ? undefined : routing.alarms.map((a) => a.alarm),
    streamIngest,
    eventBusIngest,
    deadLetterQueues: dlqs,
    ...options.dashboard,
  });
  const template = Template.fromStack(stack);
  return { stack, fn, routing, slos, alarms, dashboard, template, streamIngest, eventBusIngest, dlqs, ...dashboardOf(template) };
}

const HEALTHY = '# orders: is it healthy?';
const FAILING = '# What is failing?';
const BEHIND = '# Where is it behind?';

describe('PipelineDashboard', () => {
  const { stack, fn, routing, body, bodyText, properties, dashboard, streamIngest, eventBusIngest } = synth();

  test('one dashboard named <pipeline>-pipeline, last 24 hours by default', () => {
    expect(properties.DashboardName).toBe('orders-pipeline');
    expect(body.start).toBe('-P1D');
    expect(dashboard.dashboard).toBeInstanceOf(cloudwatch.Dashboard);
  });

  test('rows by question, in order, each under a full-width header; no cost row without the published cost', () => {
    const headers = rowHeaders(body);
    expect(headers.map((h) => h.header)).toEqual([HEALTHY, FAILING, BEHIND]);
    expect(headers.map((h) => h.y)).toEqual([...headers.map((h) => h.y)].sort((a, b) => a - b));
    for (const w of body.widgets.filter((x) => x.type === 'text')) expect(w.width).toBe(24);
    expect(body.widgets.find((w) => w.properties.markdown?.startsWith(HEALTHY))!.properties.markdown).toContain('Runbook: https://');
  });

  test('is it healthy: alarm states (every routed alarm, in alarm first), the objectives now and over 30 days, records per day', () => {
    const alarmWidgets = body.widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    expect(alarmWidgets[0].properties.alarms).toEqual(routing.alarms.map((a) => `{${logicalId(a.alarm as cloudwatch.Alarm)}.Arn}`));
    expect(alarmWidgets[0].properties).toMatchObject({ sortBy: 'stateUpdatedTimestamp' });
    expect(rowOf(body, HEALTHY).map((w) => w.properties.title)).toEqual([
      'Alarms',
      'Success rate vs objective 0.995',
      'Error-budget burn rate (5 min)',
      'Fresh share vs objective 0.95',
      'Success rate, last 30 days (objective 0.995)',
      'Freshness, last 30 days (objective 0.95)',
      'Daily success rate and fresh share, last 30 days',
      'Records per day',
    ]);
    expect(expressions(widget(body, 'Success rate vs objective 0.995'))).toContain('1 - e');
    expect(expressions(widget(body, 'Error-budget burn rate (5 min)'))).toContain('e / 0.005');
    expect(JSON.stringify(widget(body, 'Fresh share vs objective 0.95'))).toContain('"stat":"PR(:300)"');
  });

  test('30-day compliance: single values over the whole 30 days of the same ratios as the burn-rate alerts, and the budget left', () => {
    const success = widget(body, 'Success rate, last 30 days (objective 0.995)');
    expect(success.properties).toMatchObject({ start: '-P30D', setPeriodToTimeRange: true });
    expect(expressions(success)).toEqual([
      '1 - errors',
      'IF(recordsIn > 0, MAX([0, recordsIn - (recordsOut + dropped + duplicates + quarantined)]) / recordsIn, 0)',
      '1 - errors / 0.005',
    ]);
    const freshness = widget(body, 'Freshness, last 30 days (objective 0.95)');
    expect(freshness.properties).toMatchObject({ start: '-P30D', setPeriodToTimeRange: true });
    expect(expressions(freshness)).toEqual(['fresh', 'FILL(rank, 0) / 100', '1 - (1 - fresh) / 0.05']);
    // Every metric of both is read over one 30-day period.
    for (const w of [success, freshness]) {
      const periods = JSON.stringify(w.properties.metrics).match(/"period":\d+/g) ?? [];
      expect(periods.length).toBeGreaterThan(0);
      expect(new Set(periods)).toEqual(new Set([`"period":${30 * 24 * 3600}`]));
    }
    const daily = widget(body, 'Daily success rate and fresh share, last 30 days');
    expect(daily.properties.start).toBe('-P30D');
    expect(new Set(JSON.stringify(daily.properties.metrics).match(/"period":\d+/g))).toEqual(new Set([`"period":${24 * 3600}`]));
    expect(daily.properties.annotations!.horizontal!.map((a) => a.value)).toEqual([0.995, 0.95]);
  });

  test('what is failing: Logs Insights over the transform\'s logs with the runtime\'s field names, newest failures first', () => {
    const source = `SOURCE '{Ref:${logicalId(fn.logGroup)}}'`;
    const reasons = widget(body, 'Quarantined records by reason (transform logs)');
    expect(reasons.type).toBe('log');
    expect(reasons.properties.query).toBe(`${source} | ${quarantineReasonsQuery().join('\n| ')}`);
    const errors = widget(body, 'Failed invocations by error type (function logs)');
    expect(errors.properties.query).toBe(`${source} | ${errorsByTypeQuery().join('\n| ')}`);
    const last = widget(body, 'Last failures, newest first, with their request id (function logs)');
    expect(last.properties.query).toBe(`${source} | ${lastFailuresQuery().join('\n| ')}`);
    expect(last.width).toBe(24);
  });

  test('what is failing: failing stages, quarantine by reason, DLQ depths, duration, cold starts and retries', () => {
    expect(rowOf(body, FAILING).filter((w) => w.type === 'metric').map((w) => w.properties.title)).toEqual([
      'Failing stages',
      'Quarantine by reason',
      'DLQ depth',
      'Transform duration',
      'Cold starts and retries',
    ]);
    expect(JSON.stringify(widget(body, 'DLQ depth')).match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(3);
    const failing = JSON.stringify(widget(body, 'Failing stages'));
    for (const name of ['"Errors"', '"RecordsRetried"', '"TransformErrors"']) expect(failing).toContain(name);
    const duration = JSON.stringify(widget(body, 'Transform duration'));
    for (const p of ['p50', 'p90', 'p99']) expect(duration).toContain(`"stat":"${p}"`);
  });

  test('where is it behind: lag per source in seconds (the mapping\'s iterator age of the live alias, the buffer\'s oldest message), freshness, throughput', () => {
    expect(rowOf(body, BEHIND).map((w) => w.properties.title)).toEqual(['Lag per source (s)', 'Freshness lag (s)', 'Throughput (records per minute)']);
    const lag = widget(body, 'Lag per source (s)');
    expect(expressions(lag)).toEqual(['ms / 1000']);
    const fnRef = `{Ref:${logicalId(fn.function)}}`;
    expect(metricRows(lag)).toEqual([
      ['AWS/Lambda', 'IteratorAge', 'FunctionName', fnRef, 'Resource', `${fnRef}:live`],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', `{${logicalId(eventBusIngest!.bufferQueue)}.QueueName}`],
    ]);
    // Without enhanced monitoring there is no per-shard widget, and no archive.
    expect(titles(body).filter((t) => t?.includes('per shard'))).toEqual([]);
    expect(streamIngest!.shardLevelMetrics).toEqual([]);
    const freshness = JSON.stringify(widget(body, 'Freshness lag (s)'));
    for (const p of ['p50', 'p95', 'p99']) expect(freshness).toContain(`"stat":"${p}"`);
  });

  test('one cost story: no Lambda-only estimate', () => {
    expect(titles(body)).not.toContain('Estimated cost');
    expect(bodyText).not.toContain('0.0000133334');
    expect(bodyText).not.toMatch(/\de-\d/i);
  });

  test('pipeline metrics are scoped by Pipeline and Stage only', () => {
    const rows = body.widgets.flatMap((w) => metricRows(w)).filter((row) => row[0] === 'ServerlessEtl');
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row.slice(2, 6)).toEqual(['Pipeline', 'orders', 'Stage', 'transform']);
  });

  test('no metric-math warnings (unknown identifiers, overridden periods)', () => {
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning('*', Match.stringLikeRegexp('CloudWatch:Math'));
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('the warning check would catch an exponent in an expression (control)', () => {
    const s = testStack();
    const d = new cloudwatch.Dashboard(s, 'Control');
    const m = new cloudwatch.Metric({ namespace: 'X', metricName: 'Y', dimensionsMap: { A: 'b' } });
    d.addWidgets(new cloudwatch.GraphWidget({ left: [new cloudwatch.MathExpression({ expression: 'm * 2e-7', usingMetrics: { m } })] }));
    Annotations.fromStack(s).hasWarning('*', Match.stringLikeRegexp('CloudWatch:Math:UnknownIdentifier'));
  });
});

describe('PipelineDashboard options', () => {
  test('a custom dashboard name', () => {
    const { properties } = synth({ dashboard: { dashboardName: 'orders-ops' }, sources: false });
    expect(properties.DashboardName).toBe('orders-ops');
  });

  test('without SLOs: no objective widgets; without alarms: no alarm widget', () => {
    const { body } = synth({ slos: false, alarms: false });
    expect(rowOf(body, HEALTHY).map((w) => w.properties.title)).toEqual(['Records per day']);
    expect(body.widgets.filter((w) => w.type === 'alarm')).toHaveLength(0);
  });

  test('without sources: no lag or DLQ widgets', () => {
    const { body } = synth({ sources: false });
    expect(titles(body)).not.toContain('Lag per source (s)');
    expect(titles(body)).not.toContain('DLQ depth');
    expect(titles(body)).toContain('Failing stages');
  });

  test('the objectives shown follow successRate and the freshness objective and target', () => {
    const stack = testStack();
    const fn = transformFunction(stack);
    const routing = new AlarmRouting(stack, 'Routing');
    const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, successRate: 0.999, freshnessObjective: 0.96, freshnessTarget: Duration.minutes(10) });
    new PipelineDashboard(stack, 'Dashboard', { pipelineName: 'orders', transform: fn, slos });
    const { body } = dashboardOf(Template.fromStack(stack));
    expect(expressions(widget(body, 'Error-budget burn rate (5 min)'))).toContain('e / 0.001');
    expect(JSON.stringify(widget(body, 'Success rate vs objective 0.999'))).toContain('"value":0.999');
    expect(JSON.stringify(widget(body, 'Fresh share vs objective 0.96'))).toContain('"stat":"PR(:600)"');
    expect(expressions(widget(body, 'Success rate, last 30 days (objective 0.999)'))).toContain('1 - errors / 0.001');
    expect(expressions(widget(body, 'Freshness, last 30 days (objective 0.96)'))).toContain('1 - (1 - fresh) / 0.04');
  });

  test('Kinesis enhanced monitoring on: iterator age and records in per shard, one series per ShardId of this stream', () => {
    const { body, streamIngest, template } = synth({
      stream: { shardLevelMetrics: [kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS, kinesis.ShardLevelMetrics.INCOMING_RECORDS] },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', { DesiredShardLevelMetrics: ['IteratorAgeMilliseconds', 'IncomingRecords'] });
    const streamRef = `{Ref:${logicalId(streamIngest!.stream)}}`;
    expect(expressions(widget(body, 'Iterator age per shard (ms, enhanced monitoring)'))).toEqual([
      `SEARCH('{AWS/Kinesis,ShardId,StreamName} MetricName="IteratorAgeMilliseconds" StreamName="${streamRef}"', 'Maximum', 60)`,
    ]);
    expect(expressions(widget(body, 'Records in per shard (enhanced monitoring)'))).toEqual([
      `SEARCH('{AWS/Kinesis,ShardId,StreamName} MetricName="IncomingRecords" StreamName="${streamRef}"', 'Sum', 60)`,
    ]);
  });

  test('only the shard-level metrics enabled get a widget', () => {
    const { body } = synth({ stream: { shardLevelMetrics: [kinesis.ShardLevelMetrics.INCOMING_BYTES] } });
    expect(titles(body).filter((t) => t?.includes('per shard'))).toEqual([]);
  });

  test('more than 100 alarms: one alarm status widget per 100, every alarm shown once', () => {
    const stack = testStack();
    const fn = transformFunction(stack);
    const metric = new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' });
    const alarms = Array.from({ length: 230 }, (_, i) => metric.createAlarm(stack, `A${i}`, { threshold: 1, evaluationPeriods: 1 }));
    new PipelineDashboard(stack, 'Dashboard', { pipelineName: 'orders', transform: fn, alarms });
    const { body } = dashboardOf(Template.fromStack(stack));
    const alarmWidgets = body.widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets.map((w) => [w.properties.title, w.properties.alarms!.length])).toEqual([
      ['Alarms (1 of 3)', 100],
      ['Alarms (2 of 3)', 100],
      ['Alarms (3 of 3)', 30],
    ]);
    expect(new Set(alarmWidgets.flatMap((w) => w.properties.alarms)).size).toBe(230);
  });
});

test('snapshot (the dashboard over a transform with both sources, SLOs and operational alarms)', () => {
  const { dashboard } = synth({ fn: { reservedConcurrency: 20 } });
  expect(ownTemplate(dashboard)).toMatchSnapshot();
});
