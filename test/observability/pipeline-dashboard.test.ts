import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { EventBusIngest } from '../../lib/ingest/event-bus-ingest';
import { StreamIngest } from '../../lib/ingest/stream-ingest';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineAlarms } from '../../lib/observability/pipeline-alarms';
import { PipelineDashboard, PipelineDashboardProps } from '../../lib/observability/pipeline-dashboard';
import { PipelineSlos } from '../../lib/observability/pipeline-slos';
import { TransformFunctionProps } from '../../lib/transform/transform-function';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { logicalId, render, resourcesOfType, transformFunction } from './fixtures';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title?: string;
    markdown?: string;
    alarms?: string[];
    metrics?: unknown[][];
  };
}

interface Options {
  readonly fn?: Partial<TransformFunctionProps>;
  readonly dashboard?: Partial<PipelineDashboardProps>;
  readonly slos?: boolean;
  readonly alarms?: boolean;
  readonly sources?: boolean;
}

/** A transform with both sources, SLOs, operational alarms and the dashboard over all of them. */
function synth(options: Options = {}) {
  const stack = testStack();
  const fn = transformFunction(stack, options.fn);
  const sources = options.sources ?? true;
  const streamIngest = sources ? new StreamIngest(stack, 'StreamIngest') : undefined;
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
  const [resource] = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  const bodyText = render(resource.Properties.DashboardBody);
  const body = JSON.parse(bodyText) as { start: string; widgets: Widget[] };
  return { stack, fn, routing, slos, alarms, dashboard, template, resource, bodyText, body, dlqs };
}

function widget(body: { widgets: Widget[] }, title: string): Widget {
  const found = body.widgets.filter((w) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The expressions of a metric widget's math queries. */
function expressions(w: Widget): string[] {
  return (w.properties.metrics ?? []).flatMap((row) => row.filter((c): c is { expression: string } => typeof c === 'object' && c !== null && 'expression' in c)).map((c) => c.expression);
}

const COST_EXPRESSION = (memoryGb: string, gbSecond: string, request: string) =>
  `IF(recordsIn > 0, ((duration / 1000) * ${memoryGb} * ${gbSecond} + invocations * ${request}) / recordsIn * 1000000, 0)`;

describe('PipelineDashboard', () => {
  const { stack, fn, routing, body, bodyText, resource, dashboard } = synth();

  test('one dashboard named <pipeline>-pipeline, last 24 hours by default', () => {
    expect(resource.Properties.DashboardName).toBe('orders-pipeline');
    expect(body.start).toBe('-P1D');
    expect(dashboard.dashboard).toBeInstanceOf(cloudwatch.Dashboard);
  });

  test('three rows, in order: executive, on-call, debug', () => {
    const titles = body.widgets.filter((w) => w.type === 'text').map((w) => [w.properties.markdown!.split('\n')[0], w.y]);
    expect(titles.map(([t]) => t)).toEqual(['# orders: executive', '# On-call', '# Debug']);
    const ys = titles.map(([, y]) => y as number);
    expect(ys[0]).toBe(0);
    expect(ys[1]).toBeGreaterThan(ys[0]);
    expect(ys[2]).toBeGreaterThan(ys[1]);
    for (const w of body.widgets.filter((x) => x.type === 'text')) expect(w.width).toBe(24);
  });

  test('executive row: success rate vs objective, burn rate, fresh share, records per day, estimated cost', () => {
    const [, onCallY] = body.widgets.filter((w) => w.type === 'text').map((w) => w.y);
    const executive = body.widgets.filter((w) => w.y < onCallY && w.type !== 'text').map((w) => w.properties.title);
    expect(executive).toEqual(['Success rate vs objective 0.995', 'Error-budget burn rate (5 min)', 'Fresh share', 'Records per day', 'Estimated cost']);
    expect(expressions(widget(body, 'Success rate vs objective 0.995'))).toContain('1 - e');
    expect(expressions(widget(body, 'Error-budget burn rate (5 min)'))).toContain('e / 0.005');
    expect(JSON.stringify(widget(body, 'Fresh share'))).toContain('"stat":"PR(:300)"');
  });

  test('on-call row: an alarm status widget with every routed alarm', () => {
    const alarmWidgets = body.widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    const expected = routing.alarms.map((a) => `{${logicalId(a.alarm as cloudwatch.Alarm)}.Arn}`);
    expect(expected).toHaveLength(25);
    expect(alarmWidgets[0].properties.alarms).toEqual(expected);
    expect(alarmWidgets[0].width).toBe(24);
  });

  test('on-call row: DLQ depth, lag per source (iterator age, buffer age), failing stages', () => {
    const dlqDepth = JSON.stringify(widget(body, 'DLQ depth'));
    expect(dlqDepth.match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(3);
    const lag = JSON.stringify(widget(body, 'Lag per source'));
    expect(lag).toContain('"IteratorAge"');
    expect(lag).toContain('"ApproximateAgeOfOldestMessage"');
    const failing = JSON.stringify(widget(body, 'Failing stages'));
    for (const name of ['"Errors"', '"RecordsRetried"', '"TransformErrors"']) expect(failing).toContain(name);
  });

  test('debug row: duration percentiles, cold starts and retries, quarantine by reason, throughput, freshness', () => {
    for (const title of ['Transform duration', 'Cold starts and retries', 'Quarantine by reason', 'Throughput (records per minute)', 'Freshness lag (s)']) {
      widget(body, title);
    }
    const duration = JSON.stringify(widget(body, 'Transform duration'));
    for (const p of ['p50', 'p90', 'p99']) expect(duration).toContain(`"stat":"${p}"`);
    const freshness = JSON.stringify(widget(body, 'Freshness lag (s)'));
    for (const p of ['p50', 'p95', 'p99']) expect(freshness).toContain(`"stat":"${p}"`);
  });

  test('pipeline metrics are scoped by Pipeline and Stage only', () => {
    const rows = body.widgets.flatMap((w) => w.properties.metrics ?? []).filter((row) => row[0] === 'ServerlessEtl');
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row.slice(2, 6)).toEqual(['Pipeline', 'orders', 'Stage', 'transform']);
  });

  test('estimated cost per million records: Lambda GB-seconds and requests over records in, plain decimals', () => {
    expect(expressions(widget(body, 'Estimated cost'))).toEqual([
      COST_EXPRESSION('1', '0.0000133334', '0.0000002'),
      '(dayDuration / 1000) * 1 * 0.0000133334 + dayInvocations * 0.0000002',
    ]);
    expect(bodyText).not.toMatch(/\de-\d/i);
    const cost = JSON.stringify(widget(body, 'Estimated cost'));
    const fnRef = `{Ref:${logicalId(fn.function)}}`;
    expect(cost).toContain(`"AWS/Lambda","Duration","FunctionName","${fnRef}","Resource","${fnRef}:live"`);
    expect(cost).toContain(`"AWS/Lambda","Invocations","FunctionName","${fnRef}","Resource","${fnRef}:live"`);
  });

  test('costPerMillionRecords is the hourly cost expression', () => {
    expect(dashboard.costPerMillionRecords.expression).toBe(COST_EXPRESSION('1', '0.0000133334', '0.0000002'));
    expect(dashboard.costPerMillionRecords.period.toSeconds()).toBe(3600);
    expect(Object.keys(dashboard.costPerMillionRecords.usingMetrics).sort()).toEqual(['duration', 'invocations', 'recordsIn']);
  });

  test('no metric-math warnings (unknown identifiers, overridden periods)', () => {
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning('*', Match.stringLikeRegexp('CloudWatch:Math:UnknownIdentifier'));
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
  test('the memory size and custom prices appear as plain decimals', () => {
    const { bodyText, body, stack } = synth({
      fn: { memorySize: 512 },
      // Below 1e-6, JavaScript prints numbers with an exponent ("8.5e-7"), which metric math cannot read.
      dashboard: { costModel: { lambdaGbSecond: 8.5e-7, lambdaRequest: 2.5e-7 } },
      sources: false,
    });
    expect(expressions(widget(body, 'Estimated cost'))).toEqual([
      COST_EXPRESSION('0.5', '0.00000085', '0.00000025'),
      '(dayDuration / 1000) * 0.5 * 0.00000085 + dayInvocations * 0.00000025',
    ]);
    expect(bodyText).not.toMatch(/\de-\d/i);
    expect(bodyText).not.toContain('0.0000133334');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('CloudWatch:Math:UnknownIdentifier'));
  });

  test('a 1536 MiB function costs 1.5 GB per second', () => {
    const { dashboard } = synth({ fn: { memorySize: 1536 }, sources: false, slos: false });
    expect(dashboard.costPerMillionRecords.expression).toBe(COST_EXPRESSION('1.5', '0.0000133334', '0.0000002'));
  });

  test('a custom dashboard name', () => {
    const { resource } = synth({ dashboard: { dashboardName: 'orders-ops' }, sources: false });
    expect(resource.Properties.DashboardName).toBe('orders-ops');
  });

  test('without SLOs: no objective widgets; without alarms: no alarm widget', () => {
    const { body } = synth({ slos: false, alarms: false });
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).not.toContain('Success rate vs objective 0.995');
    expect(titles).not.toContain('Error-budget burn rate (5 min)');
    expect(titles).not.toContain('Fresh share');
    expect(body.widgets.filter((w) => w.type === 'alarm')).toHaveLength(0);
    expect(titles).toContain('Estimated cost');
  });

  test('without sources: no lag or DLQ widgets', () => {
    const { body } = synth({ sources: false });
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).not.toContain('Lag per source');
    expect(titles).not.toContain('DLQ depth');
    expect(titles).toContain('Failing stages');
  });

  test('the objective shown follows successRate', () => {
    const stack = testStack();
    const fn = transformFunction(stack);
    const routing = new AlarmRouting(stack, 'Routing');
    const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, successRate: 0.999, freshnessTarget: Duration.minutes(10) });
    new PipelineDashboard(stack, 'Dashboard', { pipelineName: 'orders', transform: fn, slos });
    const [resource] = Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::CloudWatch::Dashboard'));
    const body = JSON.parse(render(resource.Properties.DashboardBody)) as { widgets: Widget[] };
    expect(expressions(widget(body, 'Error-budget burn rate (5 min)'))).toContain('e / 0.001');
    expect(JSON.stringify(widget(body, 'Success rate vs objective 0.999'))).toContain('"value":0.999');
    expect(JSON.stringify(widget(body, 'Fresh share'))).toContain('"stat":"PR(:600)"');
  });
});

test('snapshot (the dashboard over a transform with both sources, SLOs and operational alarms)', () => {
  const { dashboard } = synth({ fn: { reservedConcurrency: 20 } });
  expect(ownTemplate(dashboard)).toMatchSnapshot();
});
