import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { checkDashboardLimits, MAX_WIDGETS_PER_DASHBOARD } from '../../../lib/observability/dashboard/dashboard-limits';
import { alarmWidgets, MAX_ALARMS_PER_WIDGET } from '../../../lib/observability/dashboard/health-widgets';
import { testStack } from '../../support/cdk';

const text = (n: number) => Array.from({ length: n }, (_, i) => new cloudwatch.TextWidget({ markdown: `w${i}` }));

describe('checkDashboardLimits', () => {
  test('CloudWatch\'s limits: 500 widgets per dashboard, 100 alarms per alarm status widget', () => {
    expect(MAX_WIDGETS_PER_DASHBOARD).toBe(500);
    expect(MAX_ALARMS_PER_WIDGET).toBe(100);
  });

  test('500 widgets pass; 501 are refused at synth, with the count and what to do', () => {
    expect(() => checkDashboardLimits('Stack/Dashboard', text(500))).not.toThrow();
    expect(() => checkDashboardLimits('Stack/Dashboard', text(501))).toThrow(
      /PipelineDashboard \(Stack\/Dashboard\): 501 widgets; a CloudWatch dashboard holds at most 500\. Pass fewer/,
    );
  });

  test('an alarm status widget of more than 100 alarms is refused; the dashboard\'s own alarm widgets split them', () => {
    const stack = testStack();
    const metric = new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' });
    const alarms = Array.from({ length: 101 }, (_, i) => metric.createAlarm(stack, `A${i}`, { threshold: 1, evaluationPeriods: 1 }));
    expect(() => checkDashboardLimits('D', [new cloudwatch.AlarmStatusWidget({ alarms })])).toThrow(/an alarm status widget with 101 alarms; CloudWatch shows at most 100/);
    const split = alarmWidgets(alarms);
    expect(split).toHaveLength(2);
    expect(() => checkDashboardLimits('D', split)).not.toThrow();
  });
});
