import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { AssemblyStack, Template as CfnTemplate } from '../../../local/template/cloud-assembly';
import { describeValue, summarizeStack } from '../../../local/report/deploy-summary';
import { formatSummary } from '../../../local/report/format-summary';
import { ClickstreamPipelineStack } from '../../../bin/clickstream-pipeline-stack';
import { TEST_ENV } from '../../support/cdk';
import * as cdkJson from '../../../cdk.json';

function referenceAssemblyStack(): AssemblyStack {
  // As the CDK CLI synthesizes: with construct paths in resource metadata.
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new ClickstreamPipelineStack(app, 'ClickstreamPipeline', { env: TEST_ENV });
  return {
    name: 'ClickstreamPipeline',
    environment: `aws://${TEST_ENV.account}/${TEST_ENV.region}`,
    template: Template.fromStack(stack).toJSON() as CfnTemplate,
    templateFile: path.join('unused', 'ClickstreamPipeline.template.json'),
  };
}

describe('summarizeStack', () => {
  const summary = summarizeStack(referenceAssemblyStack());

  test('counts resources by type, most frequent first', () => {
    expect(summary.resourceCount).toBe(summary.resourcesByType.reduce((n, r) => n + r.count, 0));
    expect(summary.resourcesByType.find((r) => r.type === 'AWS::S3::Bucket')?.count).toBe(5); // raw, curated, quarantine, access logs, Athena results
    const counts = summary.resourcesByType.map((r) => r.count);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  });

  test('finds the inputs: raw bucket events, stream and bus, and the curated bucket events the current table merges', () => {
    expect(summary.inputs.map((i) => i.path).sort()).toEqual([
      'Pipeline/DataLake/Curated',
      'Pipeline/DataLake/Raw',
      'Pipeline/EventBusIngest/Bus',
      'Pipeline/StreamIngest/Stream',
    ]);
    expect(summary.inputs.find((i) => i.path.endsWith('Stream'))?.detail).toBe('Kinesis stream, ON_DEMAND, retention 24 h, KMS');
  });

  test('finds every DLQ with what feeds it', () => {
    const byPath = Object.fromEntries(summary.deadLetterQueues.map((d) => [d.path, d.detail]));
    expect(byPath).toEqual({
      'Pipeline/Transform/KinesisDlq1/Queue': 'retention 14 days, fed by on-failure of the event source mapping for Pipeline/StreamIngest/Stream',
      'Pipeline/EventBusIngest/BufferDlq/Queue': 'retention 14 days, fed by redrive of Pipeline/EventBusIngest/Buffer',
      'Pipeline/EventBusIngest/DeliveryDlq/Queue': 'retention 14 days, fed by undelivered events of Pipeline/EventBusIngest/Rule',
      'Pipeline/BatchWorkflow/Dlq/Queue': 'retention 14 days, fed by undelivered events of Pipeline/BatchWorkflow/ObjectCreated',
      'Pipeline/CurrentTable/MergeDlq/Queue':
        'retention 14 days, fed by redrive of Pipeline/CurrentTable/MergeQueue, undelivered events of Pipeline/CurrentTable/ObjectCreated, undelivered events of Pipeline/CurrentTable/MergeSchedule, undelivered events of Pipeline/CurrentTable/MergeAfterBatch, undelivered events of Pipeline/CurrentTable/MaintenanceSchedule',
      'Pipeline/Watermarks/DeadLetterQueue/Queue':
        'retention 4 days, fed by async invokes of Pipeline/Watermarks/Function, undelivered events of Pipeline/Watermarks/Schedule',
      'Pipeline/CostPerUnit/Publisher/Dlq/Queue':
        'retention 14 days, fed by failed async invocations of Pipeline/CostPerUnit/Publisher/Function, undelivered events of Pipeline/CostPerUnit/Schedule',
      'Pipeline/IncidentTiming/Recorder/Dlq/Queue':
        'retention 14 days, fed by failed async invocations of Pipeline/IncidentTiming/Recorder/Function, undelivered events of Pipeline/IncidentTiming/AlarmStateChanges',
    });
  });

  test('lists alarms with metric, threshold and actions, and the function', () => {
    const depthAlarms = summary.alarms.filter((a) => a.path.endsWith('/DepthAlarm'));
    expect(depthAlarms.map((a) => a.path).sort()).toEqual([
      'Pipeline/BatchWorkflow/Dlq/DepthAlarm',
      'Pipeline/CostPerUnit/Publisher/Dlq/DepthAlarm',
      'Pipeline/CurrentTable/MergeDlq/DepthAlarm',
      'Pipeline/EventBusIngest/BufferDlq/DepthAlarm',
      'Pipeline/EventBusIngest/DeliveryDlq/DepthAlarm',
      'Pipeline/IncidentTiming/Recorder/Dlq/DepthAlarm',
      'Pipeline/Transform/KinesisDlq1/DepthAlarm',
      'Pipeline/Watermarks/DeadLetterQueue/DepthAlarm',
    ]);
    for (const a of depthAlarms) expect(a.detail).toBe('AWS/SQS/ApproximateNumberOfMessagesVisible > 0, 1 action');
    expect(summary.functions).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'Pipeline/Transform/Function', detail: 'nodejs24.x arm64, 1024 MB, timeout 60 s' })]),
    );
    expect(summary.functions.map((f) => f.path).sort()).toEqual(['Pipeline/BatchWorkflow/Steps', 'Pipeline/CostPerUnit/Publisher/Function', 'Pipeline/CurrentTable/Steps', 'Pipeline/IncidentTiming/Recorder/Function', 'Pipeline/Transform/Function', 'Pipeline/Watermarks/Function']);
  });

  test('renders outputs as construct paths', () => {
    const stream = summary.outputs.find((o) => o.name.startsWith('PipelineStreamArn'));
    expect(stream).toEqual(expect.objectContaining({ value: '<Pipeline/StreamIngest/Stream.Arn>', description: 'Kinesis ingest stream ARN' }));
  });

  test('formats a readable report with the validation result', () => {
    const text = formatSummary([summary], { pluginReports: [] });
    expect(text).toContain('Stack ClickstreamPipeline (aws://123456789012/eu-west-1)');
    expect(text).toMatch(/Inputs \(4\):/);
    expect(text).toMatch(/Dead-letter queues \(8\):/);
    expect(text).toContain(`Alarms (${summary.alarms.length}):`);
    expect(text).toContain('Policy validation: 0 unacknowledged findings');
    const withFinding = formatSummary([summary], {
      pluginReports: [{ pluginName: 'cdk-nag', conclusion: 'failure', violations: [{ ruleName: 'X1', description: 'bad' }] }],
    });
    expect(withFinding).toContain('1 unacknowledged finding');
    expect(withFinding).toContain('- X1: bad');
  });
});

describe('describeValue', () => {
  const template: CfnTemplate = {
    Resources: { B: { Type: 'AWS::S3::Bucket', Metadata: { 'aws:cdk:path': 'S/Lake/Raw/Resource' } } },
  };
  test('renders literals, references and joins', () => {
    expect(describeValue('x', template, 'S')).toBe('x');
    expect(describeValue({ Ref: 'B' }, template, 'S')).toBe('<Lake/Raw>');
    expect(describeValue({ 'Fn::GetAtt': ['B', 'Arn'] }, template, 'S')).toBe('<Lake/Raw.Arn>');
    expect(describeValue({ 'Fn::Join': ['', ['s3://', { Ref: 'B' }]] }, template, 'S')).toBe('s3://<Lake/Raw>');
    expect(describeValue({ Ref: 'AWS::Region' }, template, 'S')).toBe('<AWS::Region>');
  });
});
