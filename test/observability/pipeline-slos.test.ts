import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { PipelineSlos, PipelineSlosProps } from '../../lib/observability/pipeline-slos';
import { TransformFunction } from '../../lib/transform/transform-function';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { aliasDimensions, pipelineDimensions, propsOf, queriesOf, resourcesOfType, returnedQuery, topicActions, transformFunction } from './fixtures';
import { DEFAULT_RUNBOOK_URL } from '../../lib/core/docs';
import { FIRST_CHECKS } from '../../lib/observability/alarm-context';

function synth(props: Partial<PipelineSlosProps> = {}, withFunction = true) {
  const stack = testStack();
  const routing = new AlarmRouting(stack, 'Routing');
  const fn: TransformFunction | undefined = withFunction ? transformFunction(stack) : undefined;
  const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, transformFunction: fn, ...props });
  return { stack, routing, fn, slos, template: Template.fromStack(stack) };
}

function child(slos: PipelineSlos, id: string) {
  return slos.node.findChild(id) as cloudwatch.Alarm;
}

describe('PipelineSlos error-rate objective', () => {
  const { slos, template, routing } = synth();

  test('snapshot (default objectives, with a transform)', () => {
    expect(ownTemplate(slos)).toMatchSnapshot();
  });
  const props = propsOf(template, child(slos, 'TransformErrorRate'));

  test('transform errors over records in, 15-minute sums of the stage\'s metrics', () => {
    expect(returnedQuery(props)).toMatchObject({ Expression: 'IF(recordsIn > 0, errors / recordsIn, 0)', Label: 'Transform error ratio' });
    const q = queriesOf(props);
    expect(Object.keys(q).sort()).toEqual(['errors', 'expr_1', 'recordsIn']);
    expect(q.errors.MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: 'TransformErrors', Dimensions: pipelineDimensions() },
      Stat: 'Sum',
      Period: 900,
    });
    expect(q.recordsIn.MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: 'RecordsIn', Dimensions: pipelineDimensions() },
      Stat: 'Sum',
      Period: 900,
    });
  });

  test('alarms above 0.1% for one period, missing data not breaching, as a ticket', () => {
    expect(props).toMatchObject({
      Threshold: 0.001,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicActions(routing.ticketTopic),
      OKActions: topicActions(routing.ticketTopic),
    });
    expect(props.DatapointsToAlarm).toBeUndefined();
    expect(routing.alarms.find((a) => a.alarm === child(slos, 'TransformErrorRate'))?.severity).toBe(AlarmSeverity.TICKET);
  });

  test('description: what it means, the objective, the runbook section', () => {
    expect(props.AlarmDescription).toBe(
      '[ticket] orders/transform: Transform errors (records the transform threw on or returned invalid output for) exceeded 0.1% ' +
        `of records in over 15 minutes in transform. Check first: ${FIRST_CHECKS['error-rate-per-transform']}. Runbook: ${DEFAULT_RUNBOOK_URL}#error-rate-per-transform`,
    );
  });

  test('a custom errorRate sets the threshold and the description', () => {
    const custom = synth({ errorRate: 0.002 }, false);
    const p = propsOf(custom.template, child(custom.slos, 'TransformErrorRate'));
    expect(p.Threshold).toBe(0.002);
    expect(p.AlarmDescription).toContain('exceeded 0.2% of records in');
  });

  test('errorRate 0 alarms on any transform error', () => {
    const custom = synth({ errorRate: 0 }, false);
    expect(propsOf(custom.template, child(custom.slos, 'TransformErrorRate')).Threshold).toBe(0);
  });
});

describe('PipelineSlos cold-start objective', () => {
  const { slos, template, routing, fn } = synth();
  const props = propsOf(template, child(slos, 'ColdStartRate'));

  test('cold starts over invocations of the live alias, hourly sums', () => {
    expect(returnedQuery(props)).toMatchObject({ Expression: 'IF(invocations > 0, coldStarts / invocations, 0)', Label: 'Cold start ratio' });
    const q = queriesOf(props);
    expect(Object.keys(q).sort()).toEqual(['coldStarts', 'expr_1', 'invocations']);
    expect(q.coldStarts.MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: 'ColdStarts', Dimensions: pipelineDimensions() },
      Stat: 'Sum',
      Period: 3600,
    });
    expect(q.invocations.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: aliasDimensions(fn!) },
      Stat: 'Sum',
      Period: 3600,
    });
  });

  test('alarms above 5% for one hour, as a ticket, linking #cold-start-rate', () => {
    expect(props).toMatchObject({
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicActions(routing.ticketTopic),
      OKActions: topicActions(routing.ticketTopic),
    });
    expect(props.AlarmDescription).toBe(
      '[ticket] orders/transform: More than 5% of invocations over an hour were cold starts in transform: ' +
        `consider provisioned concurrency or larger batches. Check first: ${FIRST_CHECKS['cold-start-rate']}. Runbook: ${DEFAULT_RUNBOOK_URL}#cold-start-rate`,
    );
  });

  test('a custom coldStartRate sets the threshold and the description', () => {
    const custom = synth({ coldStartRate: 0.1 });
    const p = propsOf(custom.template, child(custom.slos, 'ColdStartRate'));
    expect(p.Threshold).toBe(0.1);
    expect(p.AlarmDescription).toContain('More than 10% of invocations');
  });

  test('percentages in descriptions have no floating-point noise (coldStartRate 0.07 reads "7%")', () => {
    const custom = synth({ coldStartRate: 0.07 });
    expect(propsOf(custom.template, child(custom.slos, 'ColdStartRate')).AlarmDescription).toContain('More than 7% of invocations');
  });

  test('no cold-start alarm without transformFunction', () => {
    const none = synth({}, false);
    expect(none.slos.node.tryFindChild('ColdStartRate')).toBeUndefined();
    const alarms = Object.values(resourcesOfType(none.template, 'AWS::CloudWatch::Alarm'));
    expect(JSON.stringify(alarms)).not.toContain('ColdStarts');
    expect(JSON.stringify(alarms)).not.toContain('cold-start-rate');
    expect(alarms).toHaveLength(13);
  });
});

describe('PipelineSlos members', () => {
  const { slos, routing } = synth({ successRate: 0.999 });

  test('alarms lists every alarm; alerts the composites only', () => {
    expect(slos.alarms).toHaveLength(12 + 4 + 2);
    expect(slos.alerts).toHaveLength(4);
    for (const a of slos.alerts) expect(a).toBeInstanceOf(cloudwatch.CompositeAlarm);
    expect(slos.alarms).toEqual(expect.arrayContaining([...slos.alerts, child(slos, 'TransformErrorRate'), child(slos, 'ColdStartRate')]));
  });

  test('routes the composites and the objective alarms, not the components', () => {
    expect(routing.alarms.map((a) => [a.alarm.node.id, a.severity])).toEqual([
      ['SuccessRatePage', AlarmSeverity.PAGE],
      ['SuccessRateTicket', AlarmSeverity.TICKET],
      ['FreshnessPage', AlarmSeverity.PAGE],
      ['FreshnessTicket', AlarmSeverity.TICKET],
      ['TransformErrorRate', AlarmSeverity.TICKET],
      ['ColdStartRate', AlarmSeverity.TICKET],
    ]);
  });

  test('exposes the objective and the 5-minute ratios for dashboards', () => {
    expect(slos.successRate).toBe(0.999);
    expect(slos.successErrorRatio.period.toSeconds()).toBe(300);
    expect(slos.successErrorRatio.expression).toBe(
      'IF(recordsIn > 0, MAX([0, recordsIn - (recordsOut + dropped + duplicates + quarantined)]) / recordsIn, 0)',
    );
    expect(slos.freshRatio.period.toSeconds()).toBe(300);
    expect(slos.freshRatio.expression).toBe('FILL(rank, 0) / 100');
    expect((slos.freshRatio.usingMetrics.rank as cloudwatch.Metric).statistic).toBe('PR(:300)');
  });

  test('default successRate is 0.995', () => {
    expect(synth({}, false).slos.successRate).toBe(0.995);
  });

  test('the stage defaults to "transform" and can be set', () => {
    const custom = synth({ stage: 'enrich', freshnessTarget: Duration.minutes(2) }, false);
    const p = propsOf(custom.template, child(custom.slos, 'TransformErrorRate'));
    expect(queriesOf(p).errors.MetricStat!.Metric.Dimensions).toEqual(pipelineDimensions('orders', 'enrich'));
    expect(p.AlarmDescription).toMatch(/^\[ticket\] orders\/enrich: .* in enrich\. Check first: .*\. Runbook: /);
  });
});

describe('PipelineSlos objective validation', () => {
  test('errorRate and coldStartRate out of range, in one error', () => {
    expect(() => synth({ errorRate: 0.9, coldStartRate: 2 }, false)).toThrow(
      /Invalid PipelineSlos \(TestStack\/Slos\) props:\n {2}- errorRate is 0\.9; it must be from 0 to 0\.5\n {2}- coldStartRate is 2; it must be from 0 to 1$/,
    );
    expect(() => synth({ errorRate: -0.1 }, false)).toThrow(/errorRate is -0\.1; it must be from 0 to 0\.5/);
    expect(() => synth({ coldStartRate: -1 }, false)).toThrow(/coldStartRate is -1; it must be from 0 to 1/);
  });

  test('freshnessTarget from 1 minute to 1 day', () => {
    expect(() => synth({ freshnessTarget: Duration.seconds(30) }, false)).toThrow(/freshnessTarget is 30 seconds; it must be from 1 minute to 1 day/);
    expect(() => synth({ freshnessTarget: Duration.days(2) }, false)).toThrow(/freshnessTarget is 2 days; it must be from 1 minute to 1 day/);
    expect(() => synth({ freshnessTarget: Duration.days(1) }, false)).not.toThrow();
  });
});
