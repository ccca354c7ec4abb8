import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PropValidator } from '../../lib/core/prop-validator';
import { AlarmRouting, AlarmSeverity } from '../../lib/observability/alarm-routing';
import { BurnRateAlert, DEFAULT_BURN_RATE_ALERTS, validateBurnRateAlerts } from '../../lib/observability/burn-rate';
import { PipelineSlos, PipelineSlosProps } from '../../lib/observability/pipeline-slos';
import { testStack } from '../support/cdk';
import { logicalId, pipelineDimensions, propsOf, queriesOf, render, resourcesOfType, returnedQuery, topicActions } from './fixtures';
import { DEFAULT_RUNBOOK_URL } from '../../lib/core/docs';
import { FIRST_CHECKS } from '../../lib/observability/alarm-context';

function slos(props: Partial<PipelineSlosProps> = {}) {
  const stack = testStack();
  const routing = new AlarmRouting(stack, 'Routing');
  const construct = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, ...props });
  return { stack, routing, slos: construct, template: Template.fromStack(stack) };
}

function alarmProps(template: Template, s: PipelineSlos, id: string) {
  return propsOf(template, s.node.findChild(id));
}

const SUCCESS_METRICS = ['RecordsIn', 'RecordsOut', 'RecordsDropped', 'DuplicatesSkipped', 'RecordsQuarantined'];
const SUCCESS_ERRORS =
  'IF(recordsIn > 0, MAX([0, recordsIn - (recordsOut + dropped + duplicates + quarantined)]) / recordsIn, 0)';

/** The default windows: [alert index, long seconds, short seconds, burn rate]. */
const DEFAULT_WINDOWS: Array<[number, number, number, number]> = [
  [0, 3600, 300, 14.4],
  [1, 21600, 1800, 6],
  [2, 86400, 7200, 3],
];

/** Asserts a success-rate component alarm: burn-rate math over the window, then the alarm settings. */
function expectSuccessComponent(props: Record<string, unknown>, divisor: string, period: number, threshold: number) {
  expect(returnedQuery(props).Expression).toBe(`errors / ${divisor}`);
  const queries = queriesOf(props);
  expect(queries.errors.Expression).toBe(SUCCESS_ERRORS);
  expect(queries.errors.ReturnData).toBe(false);
  const stats = Object.values(queries).filter((q) => q.MetricStat);
  expect(stats.map((q) => q.MetricStat!.Metric.MetricName).sort()).toEqual([...SUCCESS_METRICS].sort());
  for (const q of stats) {
    expect(q.MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: q.MetricStat!.Metric.MetricName, Dimensions: pipelineDimensions() },
      Stat: 'Sum',
      Period: period,
    });
    expect(q.ReturnData).toBe(false);
  }
  expect(props).toMatchObject({
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
  });
}

/** Asserts a freshness component alarm: 1 − share of records within the target, over the budget. */
function expectFreshnessComponent(props: Record<string, unknown>, divisor: string, period: number, threshold: number, targetSeconds = 300) {
  expect(returnedQuery(props).Expression).toBe(`errors / ${divisor}`);
  const queries = queriesOf(props);
  expect(queries.errors.Expression).toBe('1 - fresh');
  expect(queries.fresh.Expression).toBe('FILL(rank, 0) / 100'); // silence is stale (the default)
  expect(queries.rank.MetricStat).toEqual({
    Metric: { Namespace: 'ServerlessEtl', MetricName: 'FreshnessLagSeconds', Dimensions: pipelineDimensions() },
    Stat: `PR(:${targetSeconds})`,
    Period: period,
  });
  expect(Object.keys(queries).sort()).toEqual(['errors', 'expr_1', 'fresh', 'rank']);
  expect(props).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'breaching' });
}

/** The error message thrown by `fn`. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('DEFAULT_BURN_RATE_ALERTS', () => {
  test('are the SRE workbook windows: page 14.4x 1 h/5 min and 6x 6 h/30 min, ticket 3x 1 day/2 h', () => {
    expect(DEFAULT_BURN_RATE_ALERTS.map((a) => [a.longWindow.toSeconds(), a.shortWindow.toSeconds(), a.burnRate, a.severity])).toEqual([
      [3600, 300, 14.4, AlarmSeverity.PAGE],
      [21600, 1800, 6, AlarmSeverity.PAGE],
      [86400, 7200, 3, AlarmSeverity.TICKET],
    ]);
  });
});

describe('burn-rate alarms for the default objectives', () => {
  const { slos: s, template, routing } = slos();

  test.each(DEFAULT_WINDOWS)('success rate alert %i: burn over the long (%i s) and short (%i s) windows divided by 0.005, threshold %d', (i, long, short, burn) => {
    expectSuccessComponent(alarmProps(template, s, `SuccessRateBurn${i}Long`), '0.005', long, burn);
    expectSuccessComponent(alarmProps(template, s, `SuccessRateBurn${i}Short`), '0.005', short, burn);
  });

  test.each(DEFAULT_WINDOWS)('freshness alert %i: share over 5 minutes (PR(:300)) over the long (%i s) and short (%i s) windows divided by 0.05, threshold %d', (i, long, short, burn) => {
    expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Long`), '0.05', long, burn);
    expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Short`), '0.05', short, burn);
  });

  test('component alarms have no actions (only the composites notify) and link the runbook', () => {
    for (const objective of ['SuccessRate', 'Freshness']) {
      for (const [i] of DEFAULT_WINDOWS) {
        for (const w of ['Long', 'Short']) {
          const props = alarmProps(template, s, `${objective}Burn${i}${w}`);
          expect(props.AlarmActions).toBeUndefined();
          expect(props.OKActions).toBeUndefined();
          expect(props.InsufficientDataActions).toBeUndefined();
          const anchor = objective === 'SuccessRate' ? 'success-rate-burn' : 'freshness-burn';
          expect(props.AlarmDescription).toMatch(new RegExp(`^\\[component\\] orders/transform: a window of the ${objective} burn-rate alerts \\(the composite notifies\\): .* Check first: .*Runbook: https://unpkg\\.com/cdk-serverless-etl@[0-9A-Za-z.-]+/docs/runbooks\\.md#${anchor}$`));
        }
      }
    }
  });

  test('12 component alarms, 4 composites (page and ticket per objective), and the error-rate alarm', () => {
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 4);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 13);
    expect(s.alerts.map((a) => a.node.id)).toEqual(['SuccessRatePage', 'SuccessRateTicket', 'FreshnessPage', 'FreshnessTicket']);
    expect(s.alarms).toHaveLength(17);
  });

  test.each(['SuccessRate', 'Freshness'])('%s page composite: (long AND short) of alert 0 OR (long AND short) of alert 1, to the page topic', (objective) => {
    const props = alarmProps(template, s, `${objective}Page`);
    const id = (i: number, w: string) => `{${logicalId(s.node.findChild(`${objective}Burn${i}${w}`))}.Arn}`;
    expect(render(props.AlarmRule)).toBe(
      `((ALARM("${id(0, 'Long')}") AND ALARM("${id(0, 'Short')}")) OR (ALARM("${id(1, 'Long')}") AND ALARM("${id(1, 'Short')}")))`,
    );
    expect(props.AlarmActions).toEqual(topicActions(routing.pageTopic));
    expect(props.OKActions).toEqual(topicActions(routing.pageTopic));
    expect(props.ActionsSuppressor).toBeUndefined();
  });

  test.each(['SuccessRate', 'Freshness'])('%s ticket composite: (long AND short) of alert 2, to the ticket topic, suppressed by the page composite', (objective) => {
    const props = alarmProps(template, s, `${objective}Ticket`);
    const id = (w: string) => `{${logicalId(s.node.findChild(`${objective}Burn2${w}`))}.Arn}`;
    expect(render(props.AlarmRule)).toBe(`((ALARM("${id('Long')}") AND ALARM("${id('Short')}")))`);
    expect(props.AlarmActions).toEqual(topicActions(routing.ticketTopic));
    expect(props.OKActions).toEqual(topicActions(routing.ticketTopic));
    expect(props.ActionsSuppressor).toEqual({ 'Fn::GetAtt': [logicalId(s.node.findChild(`${objective}Page`)), 'Arn'] });
    expect(props.ActionsSuppressorWaitPeriod).toBe(60);
    expect(props.ActionsSuppressorExtensionPeriod).toBe(600);
  });

  test('composite descriptions say severity, objective, windows, meaning and runbook', () => {
    expect(alarmProps(template, s, 'SuccessRatePage').AlarmDescription).toBe(
      '[page] orders/transform: the SuccessRate error budget (objective 0.995) is burning 14.4× over 1 hour and 5 minutes, ' +
        'or 6× over 6 hours and 30 minutes: records not curated, dropped or deduplicated on their first delivery (retried or failed). ' +
        `Check first: ${FIRST_CHECKS['success-rate-burn']}. Runbook: ${DEFAULT_RUNBOOK_URL}#success-rate-burn`,
    );
    expect(alarmProps(template, s, 'SuccessRateTicket').AlarmDescription).toMatch(
      /^\[ticket\] orders\/transform: the SuccessRate error budget \(objective 0\.995\) is burning 3× over 1 day and 2 hours: .*Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#success-rate-burn$/,
    );
    expect(alarmProps(template, s, 'FreshnessPage').AlarmDescription).toMatch(
      /^\[page\] orders\/transform: the Freshness error budget \(objective 0\.95\) is burning .*: stream and bus records reaching curated later than 5 minutes after their event time, or nothing reaching curated at all \(a stalled source\)\. Check first: .*\. Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#freshness-burn$/,
    );
  });

  test('every alarm is routed: page and ticket composites in AlarmRouting.alarms', () => {
    const routed = routing.alarms.filter((a) => a.alarm instanceof cloudwatch.CompositeAlarm);
    expect(routed.map((a) => [a.alarm.node.id, a.severity])).toEqual([
      ['SuccessRatePage', AlarmSeverity.PAGE],
      ['SuccessRateTicket', AlarmSeverity.TICKET],
      ['FreshnessPage', AlarmSeverity.PAGE],
      ['FreshnessTicket', AlarmSeverity.TICKET],
    ]);
  });
});

describe('burn-rate alarms for non-default objectives', () => {
  test('successRate 0.999 divides by 0.001; freshnessObjective 0.99 divides by 0.01', () => {
    const { slos: s, template } = slos({ successRate: 0.999, freshnessObjective: 0.99 });
    for (const [i, long, short, burn] of DEFAULT_WINDOWS) {
      expectSuccessComponent(alarmProps(template, s, `SuccessRateBurn${i}Long`), '0.001', long, burn);
      expectSuccessComponent(alarmProps(template, s, `SuccessRateBurn${i}Short`), '0.001', short, burn);
      expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Long`), '0.01', long, burn);
      expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Short`), '0.01', short, burn);
    }
    expect(alarmProps(template, s, 'SuccessRatePage').AlarmDescription).toContain('(objective 0.999)');
    expect(alarmProps(template, s, 'FreshnessPage').AlarmDescription).toContain('(objective 0.99)');
    expect(s.successRate).toBe(0.999);
  });

  test.each([
    [0.98, '0.02'],
    [0.9995, '0.0005'],
    [0.99999, '0.00001'],
  ])('successRate %d divides by %s (a plain decimal, never an exponent)', (objective, divisor) => {
    const { slos: s, template } = slos({ successRate: objective });
    expect(returnedQuery(alarmProps(template, s, 'SuccessRateBurn0Long')).Expression).toBe(`errors / ${divisor}`);
  });

  test('successRate 0.9 (with alerts it can reach) divides by 0.1', () => {
    const { slos: s, template } = slos({
      successRate: 0.9,
      burnRateAlerts: [{ longWindow: Duration.hours(1), shortWindow: Duration.minutes(5), burnRate: 5, severity: AlarmSeverity.PAGE }],
    });
    expectSuccessComponent(alarmProps(template, s, 'SuccessRateBurn0Long'), '0.1', 3600, 5);
  });

  test('freshnessTarget 10 minutes uses the PR(:600) statistic and says so', () => {
    const { slos: s, template } = slos({ freshnessTarget: Duration.minutes(10) });
    for (const [i, long, short, burn] of DEFAULT_WINDOWS) {
      expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Long`), '0.05', long, burn, 600);
      expectFreshnessComponent(alarmProps(template, s, `FreshnessBurn${i}Short`), '0.05', short, burn, 600);
    }
    expect(alarmProps(template, s, 'FreshnessPage').AlarmDescription).toContain('later than 10 minutes after their event time');
  });

  test('quarantineIsFailure counts quarantined records as errors', () => {
    const { slos: s, template } = slos({ quarantineIsFailure: true });
    const errors = queriesOf(alarmProps(template, s, 'SuccessRateBurn0Long')).errors.Expression;
    expect(errors).toBe('IF(recordsIn > 0, MAX([0, recordsIn - (recordsOut + dropped + duplicates)]) / recordsIn, 0)');
  });

  test('stage and runbookUrl are used in dimensions and descriptions', () => {
    const { slos: s, template } = slos({ stage: 'enrich', runbookUrl: 'https://example.com/runbooks' });
    const queries = queriesOf(alarmProps(template, s, 'SuccessRateBurn0Short'));
    expect(queries.recordsIn.MetricStat!.Metric.Dimensions).toEqual(pipelineDimensions('orders', 'enrich'));
    expect(alarmProps(template, s, 'SuccessRatePage').AlarmDescription).toMatch(/^\[page\] orders\/enrich: .*Runbook: https:\/\/example\.com\/runbooks#success-rate-burn$/);
  });
});

describe('custom burnRateAlerts', () => {
  test('each alert gets its windows and burn rate; one page alert only: no ticket composite', () => {
    const alerts: BurnRateAlert[] = [{ longWindow: Duration.hours(2), shortWindow: Duration.minutes(10), burnRate: 10, severity: AlarmSeverity.PAGE }];
    const { slos: s, template } = slos({ burnRateAlerts: alerts });
    expectSuccessComponent(alarmProps(template, s, 'SuccessRateBurn0Long'), '0.005', 7200, 10);
    expectSuccessComponent(alarmProps(template, s, 'SuccessRateBurn0Short'), '0.005', 600, 10);
    expectFreshnessComponent(alarmProps(template, s, 'FreshnessBurn0Long'), '0.05', 7200, 10);
    expectFreshnessComponent(alarmProps(template, s, 'FreshnessBurn0Short'), '0.05', 600, 10);
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    expect(s.alerts.map((a) => a.node.id)).toEqual(['SuccessRatePage', 'FreshnessPage']);
    const id = (w: string) => `{${logicalId(s.node.findChild(`SuccessRateBurn0${w}`))}.Arn}`;
    expect(render(alarmProps(template, s, 'SuccessRatePage').AlarmRule)).toBe(`((ALARM("${id('Long')}") AND ALARM("${id('Short')}")))`);
    expect(alarmProps(template, s, 'SuccessRatePage').AlarmDescription).toContain('is burning 10× over 2 hours and 10 minutes:');
  });

  test('ticket alerts only: a ticket composite without a suppressor', () => {
    const { slos: s, template, routing } = slos({
      burnRateAlerts: [
        { longWindow: Duration.days(3), shortWindow: Duration.hours(6), burnRate: 2, severity: AlarmSeverity.TICKET },
        { longWindow: Duration.days(7), shortWindow: Duration.hours(12), burnRate: 1.5, severity: AlarmSeverity.TICKET },
      ],
    });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    const ticket = alarmProps(template, s, 'SuccessRateTicket');
    expect(ticket.ActionsSuppressor).toBeUndefined();
    expect(ticket.AlarmActions).toEqual(topicActions(routing.ticketTopic));
    expectSuccessComponent(alarmProps(template, s, 'SuccessRateBurn1Long'), '0.005', 604800, 1.5);
    expectSuccessComponent(alarmProps(template, s, 'SuccessRateBurn1Short'), '0.005', 43200, 1.5);
    const id = (i: number, w: string) => `{${logicalId(s.node.findChild(`SuccessRateBurn${i}${w}`))}.Arn}`;
    expect(render(ticket.AlarmRule)).toBe(
      `((ALARM("${id(0, 'Long')}") AND ALARM("${id(0, 'Short')}")) OR (ALARM("${id(1, 'Long')}") AND ALARM("${id(1, 'Short')}")))`,
    );
  });

  test('the composites of both objectives share the alerts', () => {
    const { template } = slos({
      burnRateAlerts: [{ longWindow: Duration.hours(1), shortWindow: Duration.minutes(5), burnRate: 2, severity: AlarmSeverity.PAGE }],
    });
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.filter((a) => a.Properties.Threshold === 2)).toHaveLength(4);
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { ActionsSuppressor: Match.absent() });
  });
});

describe('validation', () => {
  const alert = (over: Partial<BurnRateAlert>): BurnRateAlert => ({
    longWindow: Duration.hours(1),
    shortWindow: Duration.minutes(5),
    burnRate: 14.4,
    severity: AlarmSeverity.PAGE,
    ...over,
  });

  test('objectives out of range', () => {
    expect(() => slos({ successRate: 1.2 })).toThrow(/successRate is 1\.2; it must be from 0\.9 to 0\.99999/);
    expect(() => slos({ successRate: 0.5 })).toThrow(/successRate is 0\.5; it must be from 0\.9 to 0\.99999/);
    expect(() => slos({ successRate: 1 })).toThrow(/successRate is 1; it must be from 0\.9 to 0\.99999/);
    expect(() => slos({ successRate: Number.NaN })).toThrow(/successRate is NaN; it must be from 0\.9 to 0\.99999/);
    expect(() => slos({ freshnessObjective: 0.3 })).toThrow(/freshnessObjective is 0\.3; it must be from 0\.5 to 0\.9999/);
    expect(() => slos({ freshnessObjective: 1 })).toThrow(/freshnessObjective is 1; it must be from 0\.5 to 0\.9999/);
  });

  test('the objectives\' bounds are accepted', () => {
    const reachable = [alert({ burnRate: 2 })];
    expect(() => slos({ successRate: 0.9, freshnessObjective: 0.9999, burnRateAlerts: reachable })).not.toThrow();
    expect(() => slos({ successRate: 0.99999, freshnessObjective: 0.5, burnRateAlerts: reachable })).not.toThrow();
    expect(() => slos({ successRate: 0.99999, freshnessObjective: 0.95 })).not.toThrow();
  });

  test('windows CloudWatch forbids', () => {
    expect(() => slos({ burnRateAlerts: [alert({ shortWindow: Duration.seconds(30) })] })).toThrow(
      /burnRateAlerts\[0\]\.shortWindow is 30 seconds; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days/,
    );
    expect(() => slos({ burnRateAlerts: [alert({ longWindow: Duration.days(8), burnRate: 3 })] })).toThrow(
      /burnRateAlerts\[0\]\.longWindow is 8 days; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days/,
    );
    expect(() => slos({ burnRateAlerts: [alert({ shortWindow: Duration.seconds(90) })] })).toThrow(
      /burnRateAlerts\[0\]\.shortWindow is 1 minute 30 seconds; CloudWatch alarm periods must be a whole number of minutes/,
    );
    expect(() => slos({ burnRateAlerts: [alert({ longWindow: Duration.seconds(3630) })] })).toThrow(
      /burnRateAlerts\[0\]\.longWindow is 1 hour 30 seconds; CloudWatch alarm periods must be a whole number of minutes/,
    );
  });

  test('the windows\' bounds are accepted: 1 minute and 7 days', () => {
    expect(() => slos({ burnRateAlerts: [alert({ longWindow: Duration.days(7), shortWindow: Duration.minutes(1), burnRate: 2 })] })).not.toThrow();
  });

  test('the short window must be shorter than the long window', () => {
    expect(() => slos({ burnRateAlerts: [alert({ longWindow: Duration.hours(1), shortWindow: Duration.hours(2) })] })).toThrow(
      /burnRateAlerts\[0\]\.shortWindow is 2 hours; it must be shorter than longWindow \(1 hour\)/,
    );
    expect(() => slos({ burnRateAlerts: [alert({ longWindow: Duration.hours(1), shortWindow: Duration.minutes(60) })] })).toThrow(
      /burnRateAlerts\[0\]\.shortWindow is 1 hour; it must be shorter than longWindow \(1 hour\)/,
    );
  });

  test('burn rates at or below 1, or above the maximum for the objective', () => {
    expect(() => slos({ burnRateAlerts: [alert({ burnRate: 1 })] })).toThrow(/burnRateAlerts\[0\]\.burnRate is 1; it must be above 1 and at most/);
    expect(() => slos({ burnRateAlerts: [alert({ burnRate: 0.5 })] })).toThrow(/burnRateAlerts\[0\]\.burnRate is 0\.5; it must be above 1 and at most/);
    expect(() => slos({ burnRateAlerts: [alert({ burnRate: Number.NaN })] })).toThrow(/burnRateAlerts\[0\]\.burnRate is NaN; it must be above 1/);
    // Objectives 0.99: a 100% error rate burns the budget 100x; more can never happen.
    expect(() => slos({ successRate: 0.99, freshnessObjective: 0.99, burnRateAlerts: [alert({ burnRate: 101 })] })).toThrow(
      /burnRateAlerts\[0\]\.burnRate is 101; it must be above 1 and at most 100 \(the burn rate of a 100% error rate with objective 0\.99\)/,
    );
    expect(() => slos({ successRate: 0.99, freshnessObjective: 0.99, burnRateAlerts: [alert({ burnRate: 99 })] })).not.toThrow();
    // The default objective 0.995 allows up to 200x.
    expect(() => slos({ freshnessObjective: 0.995, burnRateAlerts: [alert({ burnRate: 250 })] })).toThrow(/burnRateAlerts\[0\]\.burnRate is 250; it must be above 1 and at most 200/);
  });

  test('the maximum burn rate the error names is accepted (1 / (1 - 0.99) is 99.99999999999991 in floating point)', () => {
    // The message says "at most 100", and CloudWatch computes errors / 0.01 = 100 at a 100% error rate,
    // so burnRate 100 (and 200 for objective 0.995) must be accepted.
    expect(() => slos({ successRate: 0.99, freshnessObjective: 0.99, burnRateAlerts: [alert({ burnRate: 100 })] })).not.toThrow();
    expect(() => slos({ freshnessObjective: 0.995, burnRateAlerts: [alert({ burnRate: 200 })] })).not.toThrow();
  });

  test('a burn rate the freshness objective can never reach is rejected (the alerts serve both objectives)', () => {
    // Default freshnessObjective 0.95: a 100% stale rate burns its budget at most 20x, so a 25x alert
    // can never fire for freshness; the alerts apply to both objectives, so it must be rejected.
    expect(() => slos({ burnRateAlerts: [alert({ burnRate: 25 })] })).toThrow(
      /burnRateAlerts\[0\]\.burnRate is 25; it must be above 1 and at most 20 \(the burn rate of a 100% error rate with objective 0\.95\)/,
    );
    // freshnessObjective 0.9: the default 14.4x page alert could never fire for freshness.
    expect(() => slos({ freshnessObjective: 0.9 })).toThrow(/burnRateAlerts\[0\]\.burnRate is 14\.4; it must be above 1 and at most 10 /);
    // The success-rate objective is the smaller one.
    expect(() => slos({ successRate: 0.9, freshnessObjective: 0.99 })).toThrow(/burnRateAlerts\[0\]\.burnRate is 14\.4; it must be above 1 and at most 10 \(.*objective 0\.9\)/);
  });

  test('an empty burnRateAlerts is rejected', () => {
    expect(() => slos({ burnRateAlerts: [] })).toThrow(/burnRateAlerts is empty; give at least one alert/);
  });

  test('every problem in ONE error naming the construct, each prop, its value and the allowed range', () => {
    const message = errorOf(() =>
      slos({
        errorRate: 0.9,
        coldStartRate: 2,
        freshnessTarget: Duration.seconds(10),
        burnRateAlerts: [
          alert({ shortWindow: Duration.seconds(30) }),
          alert({ longWindow: Duration.days(8), burnRate: 3 }),
          alert({ shortWindow: Duration.seconds(90) }),
          alert({ longWindow: Duration.hours(1), shortWindow: Duration.hours(2) }),
          alert({ burnRate: 1 }),
          alert({ burnRate: 500 }),
        ],
      }),
    );
    expect(message.split('\n')[0]).toBe('Invalid PipelineSlos (TestStack/Slos) props:');
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      '  - errorRate is 0.9; it must be from 0 to 0.5',
      '  - coldStartRate is 2; it must be from 0 to 1',
      '  - freshnessTarget is 10 seconds; it must be from 1 minute to 1 day',
      '  - burnRateAlerts[0].shortWindow is 30 seconds; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days',
      '  - burnRateAlerts[1].longWindow is 8 days; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days',
      '  - burnRateAlerts[2].shortWindow is 1 minute 30 seconds; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days',
      '  - burnRateAlerts[3].shortWindow is 2 hours; it must be shorter than longWindow (1 hour)',
      '  - burnRateAlerts[4].burnRate is 1; it must be above 1 and at most 20 (the burn rate of a 100% error rate with objective 0.95)',
      '  - burnRateAlerts[5].burnRate is 500; it must be above 1 and at most 20 (the burn rate of a 100% error rate with objective 0.95)',
    ]);
  });

  test('objectives and windows out of range together in ONE error', () => {
    const message = errorOf(() => slos({ successRate: 1.2, freshnessObjective: 0.3, burnRateAlerts: [alert({ shortWindow: Duration.seconds(30) })] }));
    expect(message).toMatch(/successRate is 1\.2; it must be from 0\.9 to 0\.99999/);
    expect(message).toMatch(/freshnessObjective is 0\.3; it must be from 0\.5 to 0\.9999/);
    expect(message).toMatch(/burnRateAlerts\[0\]\.shortWindow is 30 seconds/);
  });

  test('an out-of-range objective alone does not make valid burn rates look invalid', () => {
    // successRate 1.2 is the only mistake; the default alerts are fine. The error must not claim
    // "burnRateAlerts[0].burnRate is 14.4; it must be above 1 and at most -5".
    const message = errorOf(() => slos({ successRate: 1.2 }));
    expect(message).toMatch(/successRate is 1\.2/);
    expect(message).not.toMatch(/burnRate/);
  });

  test('nothing is created when the props are invalid', () => {
    const stack = testStack();
    const routing = new AlarmRouting(stack, 'Routing');
    expect(() => new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, successRate: 2 })).toThrow();
    expect(routing.alarms).toHaveLength(0);
  });
});

describe('validateBurnRateAlerts', () => {
  const check = (alerts: BurnRateAlert[], objective: number) => {
    const v = new PropValidator('Test');
    validateBurnRateAlerts(v, 'alerts', alerts, objective);
    return () => v.throwIfInvalid();
  };

  test('accepts the defaults for the default objective', () => {
    expect(check([...DEFAULT_BURN_RATE_ALERTS], 0.995)).not.toThrow();
  });

  test('names problems after the prop given', () => {
    expect(check([{ ...DEFAULT_BURN_RATE_ALERTS[0], burnRate: 30 }], 0.95)).toThrow(
      /^Invalid Test props:\n {2}- alerts\[0\]\.burnRate is 30; it must be above 1 and at most 20 \(the burn rate of a 100% error rate with objective 0\.95\)$/,
    );
  });

  test('skips windows that are unresolved tokens', () => {
    const stack = new Stack();
    const token = Duration.minutes(new CfnParameter(stack, 'Window', { type: 'Number' }).valueAsNumber);
    expect(check([{ ...DEFAULT_BURN_RATE_ALERTS[0], shortWindow: token }], 0.995)).not.toThrow();
  });
});
