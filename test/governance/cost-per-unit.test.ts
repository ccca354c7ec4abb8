import { Aws, Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { EtlPipeline } from '../../lib';
import { EVENTBRIDGE_INPUT_MAX_LENGTH, LONGEST_ARN_PREFIX, resolvedJsonBound, resolvedNameBound } from '../../lib/governance/cost-request-size';
import { CLICKSTREAM_TRANSFORM, testStack } from '../support/cdk';
import { logicalId, propsOf, resourcesOfType, topicActions } from '../observability/fixtures';

function synth(props: Partial<ConstructorParameters<typeof EtlPipeline>[2]> = {}) {
  const stack = testStack();
  const pipeline = new EtlPipeline(stack, 'P', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

describe('CostPerUnit (M6) in an EtlPipeline', () => {
  const { pipeline, template } = synth();
  const cost = pipeline.costPerUnit!;

  test('an hourly schedule (10 past) sends the publisher every priced resource of the pipeline, and no prices (the defaults)', () => {
    const rule = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === 'cron(10 * * * ? *)')!;
    const target = (rule.Properties.Targets as Array<{ Arn: unknown; Input: unknown }>)[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(cost.publisher.function), 'Arn'] });
    const input = JSON.stringify(target.Input);
    for (const fn of [pipeline.transform.function, cost.publisher.function]) expect(input).toContain(logicalId(fn));
    for (const r of [pipeline.dataLake.curatedBucket, pipeline.idempotencyStore!.table, pipeline.streamIngest!.stream]) expect(input).toContain(logicalId(r));
    expect(input).not.toContain('prices');
    expect(input).toContain('\\"periodSeconds\\":3600');
  });

  test('overridden prices are the only prices sent (the publisher completes them with the defaults)', () => {
    const { template: t } = synth({ costPerUnit: { prices: { lambdaRequest: 3e-7 } } });
    const rule = Object.values(resourcesOfType(t, 'AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === 'cron(10 * * * ? *)')!;
    const input = JSON.stringify((rule.Properties.Targets as Array<{ Input: unknown }>)[0].Input);
    expect(input).toContain('\\"prices\\":{\\"lambdaRequest\\":3e-7}');
  });

  test('least privilege: GetMetricData, and PutMetricData only into the ServerlessEtl namespace', () => {
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(cost.publisher.role)))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'ServerlessEtl' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['cloudwatch:GetMetricData', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }));
    expect(propsOf(template, cost.publisher.function)).toMatchObject({ Timeout: 60 });
    // No reserved concurrency: it would fail deployment in accounts with a low concurrency quota.
    expect(propsOf(template, cost.publisher.function).ReservedConcurrentExecutions).toBeUndefined();
  });

  test('the trend alarm: CostPerMillionRecords above its anomaly band for 3 hours, to the ticket topic', () => {
    const alarm = cost.alarms.find((a) => a.node.id === 'CostPerMillionRecordsAnomaly')!;
    const props = propsOf(template, alarm);
    expect(props).toMatchObject({ ComparisonOperator: 'GreaterThanUpperThreshold', EvaluationPeriods: 3, AlarmActions: topicActions(pipeline.alarmRouting.ticketTopic) });
    expect(JSON.stringify(props.Metrics)).toContain('"MetricName":"CostPerMillionRecords"');
    expect(String(props.AlarmDescription)).toMatch(/#cost-per-million-records$/);
  });

  test('Cost Anomaly Detection: a custom monitor of the pipeline tag, immediate notifications to the ticket topic, which lets costalerts publish', () => {
    template.hasResourceProperties('AWS::CE::AnomalyMonitor', {
      MonitorType: 'CUSTOM',
      MonitorSpecification: '{"Tags":{"Key":"pipeline","Values":["orders"],"MatchOptions":["EQUALS"]}}',
    });
    template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      Frequency: 'IMMEDIATE',
      Subscribers: [{ Type: 'SNS', Address: { Ref: logicalId(pipeline.alarmRouting.ticketTopic) } }],
    });
    const policies = JSON.stringify(resourcesOfType(template, 'AWS::SNS::TopicPolicy'));
    expect(policies).toContain('costalerts.amazonaws.com');
  });

  test('opt-outs and bad prices', () => {
    const off = synth({ costPerUnit: { costAnomalyDetection: false } });
    off.template.resourceCountIs('AWS::CE::AnomalyMonitor', 0);
    expect(synth({ publishCostPerUnit: false }).pipeline.costPerUnit).toBeUndefined();
    expect(() => synth({ costPerUnit: { prices: { lambdaRequest: -1 } } })).toThrow(/costPerUnit\.prices\.lambdaRequest is -1/);
  });
});

describe('the cost request fits the 8,192 characters EventBridge takes as a target input', () => {
  const scheduleInput = (stack: Stack) => {
    const rule = Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === 'cron(10 * * * ? *)')!;
    return (rule.Properties.Targets as Array<{ Input: unknown }>)[0].Input;
  };

  test('a default pipeline is bounded under the limit (no synth error)', () => {
    const { stack, pipeline } = synth();
    const errors = pipeline.costPerUnit!.node.validate();
    expect(errors).toEqual([]);
    expect(JSON.stringify(scheduleInput(stack)).length).toBeLessThan(EVENTBRIDGE_INPUT_MAX_LENGTH);
  });

  test('the bound of a request: its text, with each token counted as the longest its name resolves to', () => {
    const stack = testStack();
    const queue = new sqs.CfnQueue(stack, 'Q');
    const bound = resolvedJsonBound({ pipeline: 'p', queues: [queue.attrQueueName], other: Aws.ACCOUNT_ID }, new Map([[queue.attrQueueName, { resource: queue, explicitName: undefined, serviceMax: 80 }]]), 100);
    const text = JSON.stringify({ pipeline: 'p', queues: [''], other: '' });
    expect(bound).toBe(text.length + ('TestStack-Q-'.length + 13) + 100);
  });

  test('names: exact when given, else the generated name (stack, logical id, suffix) capped by the service limit', () => {
    const stack = testStack();
    const named = new sqs.CfnQueue(stack, 'Named', { queueName: 'orders-buffer' });
    const generated = new sqs.CfnQueue(stack, 'Generated');
    const logGroup = new logs.CfnLogGroup(stack, 'Logs');
    expect(resolvedNameBound({ resource: named, explicitName: named.queueName, serviceMax: 80 })).toBe('orders-buffer'.length);
    expect(resolvedNameBound({ resource: generated, explicitName: undefined, serviceMax: 80 })).toBe(Math.min(80, 'TestStack'.length + 1 + 'Generated'.length + 1 + 13));
    expect(resolvedNameBound({ resource: logGroup, explicitName: undefined, serviceMax: 512 })).toBe('TestStack-Logs-'.length + 13);
    expect(resolvedNameBound({ explicitName: Fn.join('-', ['a', Aws.STACK_NAME]), serviceMax: 64 })).toBe(64);
    expect(resolvedNameBound({ explicitName: 'x', serviceMax: 80, prefixLength: LONGEST_ARN_PREFIX })).toBe(LONGEST_ARN_PREFIX + 1);
  });

  test('a pipeline whose resources could not be named in one input fails synth, saying why and what to do', () => {
    const { pipeline } = synth();
    // 120 more functions with long explicit names, all priced.
    for (let i = 0; i < 120; i++) new lambda.CfnFunction(pipeline, `Extra${i}`, { functionName: `f${String(i).padStart(3, '0')}`.padEnd(64, 'x'), code: {}, role: 'r' });
    const errors = pipeline.costPerUnit!.node.validate();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/CostPerUnit \(TestStack\/P\/CostPerUnit\): the hourly cost request names every priced resource of the pipeline \(1\d\d functions, /);
    expect(errors[0]).toMatch(/can resolve to \d+ characters, over the 8192 EventBridge takes as a rule target's input/);
  });
});

