import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { IncidentTiming, IncidentTimingProps } from '../../lib/observability/incident-timing';
import { testStack } from '../support/cdk';
import { logicalId, propsOf, resourcesOfType, topicActions } from './fixtures';

function synth(props: Partial<IncidentTimingProps> = {}) {
  const stack = testStack();
  const routing = new AlarmRouting(stack, 'Routing');
  const page = new cloudwatch.Metric({ namespace: 'ServerlessEtl', metricName: 'RecordsIn' }).createAlarm(stack, 'PageAlarm', { threshold: 1, evaluationPeriods: 1 });
  routing.route(page, AlarmSeverity.PAGE);
  const timing = new IncidentTiming(stack, 'Timing', { pipelineName: 'orders', routing, encryptionKey: new kms.Key(stack, 'Key'), ...props });
  return { stack, routing, page, timing, template: Template.fromStack(stack) };
}

describe('IncidentTiming (M7, M8)', () => {
  test('a rule on the default bus sends alarm state changes to ALARM or OK to the recorder, undeliverable events to its DLQ', () => {
    const { timing, template } = synth();
    const rule = propsOf(template, timing.rule);
    expect(rule.EventPattern).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM', 'OK'] } } });
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(timing.recorder.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(timing.recorder.deadLetterQueue.queue), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 },
      }),
    ]);
  });

  test('the recorder: arm64, no reserved concurrency, X-Ray, JSON logs, two async retries then its DLQ; reads only alarm tags and alarms', () => {
    const { timing, template } = synth();
    expect(propsOf(template, timing.recorder.function).ReservedConcurrentExecutions).toBeUndefined();
    expect(propsOf(template, timing.recorder.function)).toMatchObject({
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
      Environment: { Variables: { PIPELINE_NAME: 'orders', FUNCTION_TIMEOUT_SECONDS: '30' } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(timing.recorder.deadLetterQueue.queue), 'Arn'] } } },
    });
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(timing.recorder.role)));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource', 'kms:Decrypt', 'kms:GenerateDataKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
    );
    const cloudwatchStatement = statements.find((s) => [s.Action].flat().includes('cloudwatch:ListTagsForResource'))!;
    expect(cloudwatchStatement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] });
  });

  test('routed alarms carry their severity and the pipeline as tags (what the recorder attributes by)', () => {
    const { page, template } = synth();
    expect(propsOf(template, page).Tags).toEqual(expect.arrayContaining([{ Key: 'alarm-severity', Value: 'page' }, { Key: 'pipeline', Value: 'orders' }]));
  });

  test('alarms (ticket): page-severity detection slower than 10 minutes, recovery slower than 30; recorder errors and DLQ', () => {
    const { timing, routing, template } = synth();
    const [errors, depth, detect, recover] = timing.alarms;
    for (const alarm of timing.alarms) expect(propsOf(template, alarm).AlarmActions).toEqual(topicActions(routing.ticketTopic));
    expect(propsOf(template, detect)).toMatchObject({
      Namespace: 'ServerlessEtl',
      MetricName: 'TimeToDetectSeconds',
      Dimensions: [{ Name: 'Pipeline', Value: 'orders' }, { Name: 'Severity', Value: 'page' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(String(propsOf(template, detect).AlarmDescription)).toMatch(/^\[ticket\] orders\/operations: .*#time-to-detect$/);
    expect(propsOf(template, recover)).toMatchObject({ MetricName: 'TimeToRecoverSeconds', Threshold: 1800 });
    expect(String(propsOf(template, recover).AlarmDescription)).toMatch(/#time-to-recover$/);
    expect(propsOf(template, errors)).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 });
    expect(String(propsOf(template, errors).AlarmDescription)).toMatch(/^\[ticket\] orders\/operations: the incident-timing recorder failed .*#operations-function-failing$/);
    expect(String(propsOf(template, depth).AlarmDescription)).toMatch(/#operations-function-failing$/);
  });

  test('objectives are props, checked at synth', () => {
    const { timing, template } = synth({ maxTimeToDetect: Duration.minutes(5), maxTimeToRecover: Duration.hours(2) });
    expect(propsOf(template, timing.alarms[2]).Threshold).toBe(300);
    expect(propsOf(template, timing.alarms[3]).Threshold).toBe(7200);
    expect(() => synth({ maxTimeToDetect: Duration.seconds(30) })).toThrow(/maxTimeToDetect is 30 seconds/);
  });
});
