import { Template } from 'aws-cdk-lib/assertions';
import { EtlPipeline } from '../../lib';
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

  test('an hourly schedule (10 past) sends the publisher every priced resource of the pipeline and the default prices', () => {
    const rule = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === 'cron(10 * * * ? *)')!;
    const target = (rule.Properties.Targets as Array<{ Arn: unknown; Input: unknown }>)[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(cost.publisher.function), 'Arn'] });
    const input = JSON.stringify(target.Input);
    for (const fn of [pipeline.transform.function, cost.publisher.function]) expect(input).toContain(logicalId(fn));
    for (const r of [pipeline.dataLake.curatedBucket, pipeline.idempotencyStore!.table, pipeline.streamIngest!.stream]) expect(input).toContain(logicalId(r));
    expect(input).toContain('\\"lambdaArmGbSecond\\":0.0000133334');
    expect(input).toContain('\\"periodSeconds\\":3600');
  });

  test('least privilege: GetMetricData, and PutMetricData only into the ServerlessEtl namespace', () => {
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(cost.publisher.role)))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'ServerlessEtl' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['cloudwatch:GetMetricData', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }));
    expect(propsOf(template, cost.publisher.function)).toMatchObject({ ReservedConcurrentExecutions: 1, Timeout: 60 });
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
