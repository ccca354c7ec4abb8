import { Template } from 'aws-cdk-lib/assertions';
import { EventBusIngest } from '../../lib/ingest/event-bus-ingest';
import { StreamIngest } from '../../lib/ingest/stream-ingest';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineAlarms, PipelineAlarmsProps } from '../../lib/observability/pipeline-alarms';
import type { IDeadLetterQueue } from '../../lib/reliability/dead-letter-queue';
import { testStack } from '../support/cdk';
import { logicalId, pipelineDimensions, propsOf, queriesOf, resourcesOfType, topicActions, transformFunction } from './fixtures';
import { alarmFires, Sample } from './metric-math';

/** A transform fed by a Kinesis stream (one DLQ) and an EventBridge buffer (two DLQs), with its alarms. */
function synth(props: Partial<PipelineAlarmsProps> = {}) {
  const stack = testStack();
  const fn = transformFunction(stack);
  const streamIngest = new StreamIngest(stack, 'StreamIngest');
  const eventBusIngest = new EventBusIngest(stack, 'EventBusIngest');
  const dlqs: IDeadLetterQueue[] = [fn.addKinesisSource(streamIngest.stream)];
  fn.addSqsSource(eventBusIngest.bufferQueue);
  dlqs.push(eventBusIngest.bufferDeadLetterQueue, eventBusIngest.deliveryDeadLetterQueue);
  const routing = new AlarmRouting(stack, 'Routing');
  const alarms = new PipelineAlarms(stack, 'Alarms', { pipelineName: 'orders', routing, transform: fn, streamIngest, eventBusIngest, deadLetterQueues: dlqs, ...props });
  return { stack, dlqs, routing, alarms, template: Template.fromStack(stack) };
}

describe('throughput anomaly alarm (M3)', () => {
  test('records in per 5 minutes against an anomaly band of 3 standard deviations, both directions, 3 of 3 periods, to the ticket topic', () => {
    const { alarms, routing, template } = synth();
    const props = propsOf(template, alarms.node.findChild('ThroughputAnomaly'));
    const queries = queriesOf(props);
    expect(props).toMatchObject({
      ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicActions(routing.ticketTopic),
      OKActions: topicActions(routing.ticketTopic),
    });
    const band = queries[props.ThresholdMetricId as string];
    const [, metricId, width] = /^ANOMALY_DETECTION_BAND\((\w+), (\d+)\)$/.exec(band.Expression ?? '') ?? [];
    expect(width).toBe('3');
    expect(queries[metricId].MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: 'RecordsIn', Dimensions: pipelineDimensions() },
      Period: 300,
      Stat: 'Sum',
    });
    expect(String(props.AlarmDescription)).toMatch(/^\[ticket\] orders\/transform: records in per 5 minutes left their expected band .*#throughput-anomaly$/);
  });

  test('the band width is a prop, and the alarm can be turned off', () => {
    const wide = synth({ throughputBandWidth: 5 });
    const props = propsOf(wide.template, wide.alarms.node.findChild('ThroughputAnomaly'));
    expect(queriesOf(props)[props.ThresholdMetricId as string].Expression).toMatch(/, 5\)$/);
    const off = synth({ throughputAnomalyAlarm: false });
    expect(off.alarms.node.tryFindChild('ThroughputAnomaly')).toBeUndefined();
    const anomalyAlarms = Object.values(resourcesOfType(off.template, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.ThresholdMetricId !== undefined);
    expect(anomalyAlarms).toEqual([]);
  });

  test('a band width outside 1 to 10 fails synth with the prop named', () => {
    expect(() => synth({ throughputBandWidth: 0.5 })).toThrow(/throughputBandWidth is 0\.5/);
  });
});

describe('dead-letter rate alarms (M9)', () => {
  const HOUR = 3600;
  const fires = (props: Record<string, unknown>, samples: Sample[]) => alarmFires(props, samples, 2 * HOUR, { fillEmptyWindow: true });

  test('one per dead-letter queue, beside its depth alarm: arrivals over records in over 1 hour above 0.05%, to the ticket topic', () => {
    const { alarms, dlqs, routing, template } = synth();
    dlqs.forEach((dlq, i) => {
      const props = propsOf(template, alarms.node.findChild(`${dlq.node.id}${i + 1}DeadLetterRate`));
      expect(props).toMatchObject({ Threshold: 0.0005, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, AlarmActions: topicActions(routing.ticketTopic) });
      const metrics = Object.values(queriesOf(props)).filter((q) => q.MetricStat).map((q) => [q.MetricStat!.Metric.MetricName, q.MetricStat!.Stat, q.MetricStat!.Period]);
      expect(metrics.sort()).toEqual(
        [['ApproximateNumberOfMessagesVisible', 'Maximum', HOUR], ['ApproximateNumberOfMessagesVisible', 'Minimum', HOUR], ['NumberOfMessagesSent', 'Sum', HOUR], ['RecordsIn', 'Sum', HOUR]].sort(),
      );
      const queue = Object.values(queriesOf(props)).find((q) => q.MetricStat?.Metric.MetricName === 'NumberOfMessagesSent')!;
      expect(queue.MetricStat!.Metric.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq.queue), 'QueueName'] } }]);
      expect(String(props.AlarmDescription)).toMatch(/#dead-letter-rate$/);
    });
  });

  test('counts messages sent to the queue and messages a redrive policy moved in (growth of the visible messages)', () => {
    const { alarms, dlqs, template } = synth();
    const props = propsOf(template, alarms.node.findChild(`${dlqs[1].node.id}2DeadLetterRate`));
    const at = (time: number, values: Sample['values']): Sample => ({ time, values });
    const quiet = [at(HOUR + 60, { RecordsIn: 100_000 }), at(HOUR + 120, { RecordsIn: 100_000, ApproximateNumberOfMessagesVisible: 3 })];
    // 3 messages already there, none new: rate 0.
    expect(fires(props, [...quiet, at(2 * HOUR, { ApproximateNumberOfMessagesVisible: 3, NumberOfMessagesSent: 0 })])).toBe(false);
    // 200 moved in by the buffer's redrive policy (not counted as sent): 200 / 200,000 = 0.1%.
    expect(fires(props, [...quiet, at(2 * HOUR, { ApproximateNumberOfMessagesVisible: 203, NumberOfMessagesSent: 0 })])).toBe(true);
    // 50 sent directly, then redriven away: 50 / 200,000 = 0.025%, under the objective.
    expect(fires(props, [...quiet, at(2 * HOUR, { ApproximateNumberOfMessagesVisible: 3, NumberOfMessagesSent: 50 })])).toBe(false);
    // 150 sent: 0.075%.
    expect(fires(props, [...quiet, at(2 * HOUR, { ApproximateNumberOfMessagesVisible: 3, NumberOfMessagesSent: 150 })])).toBe(true);
    // Dead-lettered while nothing came in: rate 1.
    expect(fires(props, [at(2 * HOUR, { RecordsIn: 0, NumberOfMessagesSent: 1, ApproximateNumberOfMessagesVisible: 1 })])).toBe(true);
  });

  test('the threshold is a prop, checked at synth', () => {
    const { alarms, dlqs, template } = synth({ maxDeadLetterRate: 0.01 });
    expect(propsOf(template, alarms.node.findChild(`${dlqs[0].node.id}1DeadLetterRate`)).Threshold).toBe(0.01);
    expect(() => synth({ maxDeadLetterRate: 0 })).toThrow(/maxDeadLetterRate is 0; it must be above 0 and at most 1/);
  });
});
