import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { ClickstreamPipelineStack } from '../../bin/clickstream-pipeline-stack';
import { CurrentTable } from '../../lib/lakehouse/current-table';
import { EtlPipeline } from '../../lib/pipeline/etl-pipeline';
import { PipelineSource } from '../../lib/contract/watermarks';
import { CostService } from '../../lib/contract/cost';
import { MAX_WIDGETS_PER_DASHBOARD } from '../../lib/observability/dashboard/dashboard-limits';
import { CLICKSTREAM_TRANSFORM, TEST_ENV, testApp, testStack } from '../support/cdk';
import { dashboardOf, dimensionsOf, expressions, metricRows, rowHeaders, rowOf, titles, widget } from '../observability/dashboard-body';
import { logicalId } from '../observability/fixtures';

/**
 * The dashboard EtlPipeline wires, on the reference stack (stream with archive, event bus, batch
 * workflow with a deadline, current table, watermarks, incident timing, published cost): each
 * widget reads the resource of this pipeline it names.
 */

const stack = new ClickstreamPipelineStack(testApp(), 'ClickstreamPipeline', { env: TEST_ENV });
const pipeline = stack.pipeline;
const { body } = dashboardOf(Template.fromStack(stack));
const ref = (c: Parameters<typeof logicalId>[0]) => `{Ref:${logicalId(c)}}`;

describe('the reference pipeline\'s dashboard', () => {
  test('four rows by question, in order', () => {
    expect(rowHeaders(body).map((h) => h.header)).toEqual(['# clickstream: is it healthy?', '# What is failing?', '# Where is it behind?', '# What does it cost?']);
  });

  test('within CloudWatch\'s limits: widgets per dashboard, alarms per alarm widget (every routed alarm shown once)', () => {
    expect(body.widgets.length).toBeLessThan(MAX_WIDGETS_PER_DASHBOARD);
    const alarmWidgets = body.widgets.filter((w) => w.type === 'alarm');
    for (const w of alarmWidgets) expect(w.properties.alarms!.length).toBeLessThanOrEqual(100);
    const shown = alarmWidgets.flatMap((w) => w.properties.alarms);
    expect(shown).toHaveLength(pipeline.alarmRouting.alarms.length);
    expect(new Set(shown).size).toBe(shown.length);
  });

  test('the batch deadline: BatchOverdueSeconds of the batch source, loaded by 06:00 UTC', () => {
    const deadline = widget(body, 'Batch deadline: export loaded by 06:00 (UTC)');
    const [row, ...others] = metricRows(deadline);
    expect(others).toEqual([]);
    expect(row.slice(0, 2)).toEqual(['ServerlessEtl', 'BatchOverdueSeconds']);
    expect(dimensionsOf(row)).toEqual({ Pipeline: 'clickstream', Stage: 'transform', Source: PipelineSource.BATCH });
    expect(rowOf(body, '# clickstream: is it healthy?')).toContain(deadline);
    expect(titles(body)).toContain('Time to detect and to recover, page alarms (s, daily average)');
  });

  test('Logs Insights searches the transform\'s, the batch steps\' and the merge steps\' log groups', () => {
    const mergeSteps = (pipeline.currentTable as CurrentTable).stepsFunction;
    const sources = [pipeline.transform.logGroup, pipeline.batchWorkflow!.stepsFunction.logGroup, mergeSteps.logGroup].map((g) => `SOURCE '${ref(g)}'`).join(' | ');
    expect(widget(body, 'Failed invocations by error type (function logs)').properties.query!.startsWith(`${sources} | `)).toBe(true);
    expect(widget(body, 'Last failures, newest first, with their request id (function logs)').properties.query!.startsWith(`${sources} | `)).toBe(true);
    expect(widget(body, 'Quarantined records by reason (transform logs)').properties.query!.startsWith(`SOURCE '${ref(pipeline.transform.logGroup)}' | `)).toBe(true);
  });

  test.each([
    ['Batch workflow executions', () => pipeline.batchWorkflow!.stateMachine],
    ['Current table merges', () => pipeline.currentTable!.mergeStateMachine],
    ['Current table maintenance (OPTIMIZE, VACUUM)', () => pipeline.currentTable!.maintenanceStateMachine],
  ])('%s: started, succeeded, failed, timed out, aborted and duration of that state machine', (title, machine) => {
    const rows = metricRows(widget(body, title));
    expect(rows.map((r) => r[1])).toEqual(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionTime']);
    for (const row of rows) expect(row.slice(0, 1).concat(row.slice(2))).toEqual(['AWS/States', 'StateMachineArn', ref(machine())]);
  });

  test('merge backlog: the merge queue\'s depth and oldest message, the merge DLQ\'s depth', () => {
    const table = pipeline.currentTable!;
    const queueName = (q: Parameters<typeof logicalId>[0]) => `{${logicalId(q)}.QueueName}`;
    expect(metricRows(widget(body, 'Current table merge backlog'))).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(table.mergeQueue)],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(table.mergeDeadLetterQueue.queue)],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queueName(table.mergeQueue)],
    ]);
  });

  test('the stream archive: records read and delivered, delivery success, freshness, of this delivery stream', () => {
    const archive = ref(pipeline.streamIngest!.archive!);
    expect(metricRows(widget(body, 'Stream archive (Firehose) deliveries'))).toEqual([
      ['AWS/Firehose', 'DataReadFromKinesisStream.Records', 'DeliveryStreamName', archive],
      ['AWS/Firehose', 'DeliveryToS3.Records', 'DeliveryStreamName', archive],
      ['AWS/Firehose', 'DeliveryToS3.Success', 'DeliveryStreamName', archive],
    ]);
    expect(metricRows(widget(body, 'Stream archive (Firehose) freshness (s)'))).toEqual([['AWS/Firehose', 'DeliveryToS3.DataFreshness', 'DeliveryStreamName', archive]]);
  });

  test('watermark age of each source; no per-shard widget (enhanced monitoring is off by default)', () => {
    const rows = metricRows(widget(body, 'Watermark age per source (s since the newest event time curated)'));
    for (const row of rows) expect(row[1]).toBe('WatermarkAgeSeconds');
    expect(rows.map((r) => dimensionsOf(r).Source)).toEqual([
      PipelineSource.STREAM,
      PipelineSource.BUS,
      PipelineSource.BATCH,
    ]);
    expect(titles(body).filter((t) => t?.includes('per shard'))).toEqual([]);
  });

  test('what does it cost: the published cost per million records and per service, nothing else', () => {
    const cost = rowOf(body, '# What does it cost?');
    expect(cost.map((w) => w.properties.title)).toEqual(['Cost per million records (USD, published hourly)', 'Cost per service (USD per day)']);
    expect(metricRows(cost[0]).map((r) => r[1])).toEqual(['CostPerMillionRecords']);
    expect(metricRows(cost[1]).map((r) => dimensionsOf(r).Service)).toEqual(Object.values(CostService));
    expect(body.widgets.flatMap(expressions).join('\n')).not.toMatch(/GB|0\.0000133334/);
  });
});

describe('EtlPipeline dashboard options', () => {
  test('shard-level metrics through stream: the per-shard iterator age of the pipeline\'s stream', () => {
    const s = testStack();
    const p = new EtlPipeline(s, 'Pipeline', {
      pipelineName: 'orders',
      transformEntry: CLICKSTREAM_TRANSFORM,
      stream: { shardLevelMetrics: [kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS] },
    });
    const { body: b } = dashboardOf(Template.fromStack(s));
    expect(expressions(widget(b, 'Iterator age per shard (ms, enhanced monitoring)'))[0]).toContain(`StreamName="${ref(p.streamIngest!.stream)}"`);
    // Without a batch workflow or current table, none of their widgets.
    for (const t of ['Batch workflow executions', 'Current table merges', 'Current table merge backlog']) expect(titles(b)).not.toContain(t);
    expect(titles(b).some((t) => t?.startsWith('Batch deadline'))).toBe(false);
  });
});
