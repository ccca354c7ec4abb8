import { alarmMetricCount, inventoryOf, invocationsPerMonth, OPERATIONS_METRICS } from '../../bench/cost-inventory';
import { PipelineMetricName } from '../../lib/contract/metrics';

describe('cost inventory', () => {
  it('bills an alarm per metric it reads, an anomaly band as two more', () => {
    expect(alarmMetricCount({ MetricName: 'Errors' })).toBe(1);
    expect(alarmMetricCount({ Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { Expression: 'm1 / m2' }] })).toBe(2);
    expect(alarmMetricCount({ Metrics: [{ MetricStat: {} }, { Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }] })).toBe(3);
  });

  it('turns rate schedules into invocations a month and ignores cron', () => {
    expect(invocationsPerMonth('rate(1 minute)')).toBe(43_200);
    expect(invocationsPerMonth('rate(1 hour)')).toBe(720);
    expect(invocationsPerMonth('rate(2 days)')).toBe(15);
    expect(invocationsPerMonth('cron(30 3 * * ? *)')).toBe(0);
    expect(invocationsPerMonth(undefined)).toBe(0);
  });

  it('reads alarms, keys and the schedules that invoke functions from a template', () => {
    const inventory = inventoryOf({
      Resources: {
        A: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } },
        B: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ MetricStat: {} }, { Expression: 'ANOMALY_DETECTION_BAND(m1)' }] } },
        C: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
        K: { Type: 'AWS::KMS::Key', Properties: {} },
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Sm: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
        Every: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 minute)', Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] } },
        Merge: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(15 minutes)', Targets: [{ Arn: { Ref: 'Sm' } }] } },
      },
    });
    expect(inventory).toEqual({
      alarmMetrics: 4,
      compositeAlarms: 1,
      kmsKeys: 1,
      customMetrics: Object.values(PipelineMetricName).length + OPERATIONS_METRICS,
      scheduledInvocationsPerMonth: 43_200,
    });
  });
});
