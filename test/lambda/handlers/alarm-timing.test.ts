import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../lambda/handlers/alarm-timing';
import { compositeAlarmRaised, metricMathAlarmRaised, metricMathAlarmRecovered } from './fixtures/alarm-events';

const cloudwatch = mockClient(CloudWatchClient);
const tags = (pipeline: string, severity?: string) => ({
  Tags: [{ Key: 'pipeline', Value: pipeline }, ...(severity ? [{ Key: 'alarm-severity', Value: severity }] : [])],
});

function recorder() {
  const lines: string[] = [];
  const handler = createHandler(new CloudWatchClient({ region: 'eu-west-1' }), { PIPELINE_NAME: 'orders' }, (line) => lines.push(line));
  return { handler, lines };
}

beforeEach(() => cloudwatch.reset());
afterAll(() => cloudwatch.restore());

describe('incident-timing recorder', () => {
  test('an alarm of its pipeline going to ALARM: one EMF line, time to detect under Pipeline and Pipeline + Severity', async () => {
    cloudwatch.on(ListTagsForResourceCommand).resolves(tags('orders', 'ticket'));
    const { handler, lines } = recorder();
    const event = metricMathAlarmRaised();
    await expect(handler(event)).resolves.toMatchObject({ recorded: true, severity: 'ticket', timing: { kind: 'detect', seconds: 3881 } });
    expect(cloudwatch.commandCalls(ListTagsForResourceCommand)[0].args[0].input).toEqual({ ResourceARN: event.resources[0] });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        _aws: {
          Timestamp: Date.UTC(2026, 11, 7, 17, 4, 40, 989),
          CloudWatchMetrics: [{ Namespace: 'ServerlessEtl', Dimensions: [['Pipeline'], ['Pipeline', 'Severity']], Metrics: [{ Name: 'TimeToDetectSeconds', Unit: 'Seconds' }] }],
        },
        Pipeline: 'orders',
        Severity: 'ticket',
        TimeToDetectSeconds: 3881,
        message: 'alarm raised',
        alarmName: event.detail.alarmName,
        from: '2026-12-07T16:00:00.000Z',
        to: '2026-12-07T17:04:40.989Z',
      },
    ]);
  });

  test('back to OK: time to recover', async () => {
    cloudwatch.on(ListTagsForResourceCommand).resolves(tags('orders', 'page'));
    const { handler, lines } = recorder();
    await handler(metricMathAlarmRecovered());
    expect(JSON.parse(lines[0])).toMatchObject({ Severity: 'page', TimeToRecoverSeconds: 2490, message: 'alarm recovered', _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'TimeToRecoverSeconds' }] }] } });
  });

  test('a composite alarm: its breach start is the latest of the metric alarms that triggered it (DescribeAlarms)', async () => {
    cloudwatch.on(ListTagsForResourceCommand).resolves(tags('orders', 'page'));
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'TestStack-SlosSuccessRateBurn0Long-AAA', StateValue: 'ALARM', StateReasonData: '{"version":"1.0","startDate":"2026-12-07T08:10:00.000+0000","period":3600}' },
        { AlarmName: 'TestStack-SlosSuccessRateBurn0Short-BBB', StateValue: 'ALARM', StateReasonData: '{"version":"1.0","startDate":"2026-12-07T09:05:00.000+0000","period":300}' },
      ],
    });
    const { handler, lines } = recorder();
    await expect(handler(compositeAlarmRaised())).resolves.toMatchObject({ recorded: true, timing: { kind: 'detect', seconds: 450.3, from: '2026-12-07T09:05:00.000Z' } });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ['TestStack-SlosSuccessRateBurn0Long-AAA', 'TestStack-SlosSuccessRateBurn0Short-BBB'],
      AlarmTypes: ['MetricAlarm'],
    });
    expect(JSON.parse(lines[0])).toMatchObject({ Severity: 'page', TimeToDetectSeconds: 450.3 });
  });

  test('alarms of another pipeline in the stack are skipped; an untagged severity is a component', async () => {
    cloudwatch.on(ListTagsForResourceCommand).resolvesOnce(tags('payments', 'page')).resolvesOnce(tags('orders'));
    const { handler, lines } = recorder();
    await expect(handler(metricMathAlarmRaised())).resolves.toEqual({ recorded: false, reason: expect.stringMatching(/not of pipeline orders/) });
    expect(lines).toEqual([]);
    await expect(handler(metricMathAlarmRaised())).resolves.toMatchObject({ recorded: true, severity: 'component' });
  });

  test('a failed tag lookup fails the invocation (retried, then sent to its dead-letter queue), nothing is written', async () => {
    cloudwatch.on(ListTagsForResourceCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const { handler, lines } = recorder();
    await expect(handler(metricMathAlarmRaised())).rejects.toThrow(/not authorized/);
    expect(lines).toEqual([]);
  });

  test('anything but an alarm state change, or no pipeline name, is an error naming what is wrong', async () => {
    const { handler } = recorder();
    await expect(handler({ ...metricMathAlarmRaised(), 'detail-type': 'Scheduled Event' })).rejects.toThrow(/not a CloudWatch alarm state change event/);
    const unnamed = createHandler(new CloudWatchClient({ region: 'eu-west-1' }), {}, () => undefined);
    await expect(unnamed(metricMathAlarmRaised())).rejects.toThrow(/PIPELINE_NAME is not set/);
  });
});
