import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineSlos, PipelineSlosProps } from '../../lib/observability/pipeline-slos';
import { ERROR_BUDGET_WINDOW, freshnessCompliance, successCompliance } from '../../lib/observability/slo-compliance';
import { testStack } from '../support/cdk';
import { propsOf } from './fixtures';
import { alarmValue, Sample } from './metric-math';

const DAY = 24 * 3600;
const END = 100 * DAY;

/**
 * The value CloudWatch would compute for each expression at `END`: each is made an alarm in a
 * scratch stack (only to render its metric-math queries as CloudFormation does; CloudFormation
 * would refuse a 30-day alarm period) and evaluated by the test evaluator over the samples.
 */
function evaluate(samples: Sample[], slosProps: Partial<PipelineSlosProps> = {}, window: Duration = ERROR_BUDGET_WINDOW) {
  const stack = testStack();
  const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing: new AlarmRouting(stack, 'Routing'), ...slosProps });
  const success = successCompliance(slos, window);
  const fresh = freshnessCompliance(slos, window);
  const expressions: Record<string, cloudwatch.MathExpression> = {
    success: success.compliance,
    successBudget: success.budgetRemaining,
    fresh: fresh.compliance,
    freshBudget: fresh.budgetRemaining,
  };
  const alarms = Object.fromEntries(Object.entries(expressions).map(([k, e]) => [k, e.createAlarm(stack, `Probe${k}`, { threshold: 0, evaluationPeriods: 1 })]));
  const template = Template.fromStack(stack);
  return Object.fromEntries(
    Object.entries(alarms).map(([k, alarm]) => [k, alarmValue(propsOf(template, alarm), samples, END, { fillEmptyWindow: true })]),
  ) as Record<keyof typeof expressions, number | undefined>;
}

/** The runtime publishes every count of each batch, zeros included. */
const ZERO_COUNTS = { RecordsIn: 0, RecordsOut: 0, RecordsQuarantined: 0, RecordsDropped: 0, DuplicatesSkipped: 0 };

/** One day of counts and freshness lags, published at the end of day `d` before END. */
function day(d: number, counts: Record<string, number>, lags: number[] = []): Sample {
  return { time: END - d * DAY, values: { ...ZERO_COUNTS, ...counts, ...(lags.length > 0 ? { FreshnessLagSeconds: lags } : {}) } };
}

describe('30-day compliance and error budget left', () => {
  test('the window is 30 days, as the burn rates of the default alerts assume', () => {
    expect(ERROR_BUDGET_WINDOW.toDays()).toBe(30);
  });

  test('success: errors over the 30 days count against the 0.5% budget; half of it spent leaves 0.5', () => {
    // 30 days × 1,000 records: 975 curated, 10 quarantined (good by default), 5 dropped, 5 duplicates, 5 lost (retried).
    const samples = Array.from({ length: 30 }, (_, d) => day(d, { RecordsIn: 1000, RecordsOut: 975, RecordsQuarantined: 10, RecordsDropped: 5, DuplicatesSkipped: 5 }));
    const v = evaluate(samples);
    expect(v.success).toBeCloseTo(0.995, 10);
    expect(v.successBudget).toBeCloseTo(0, 10);
    const better = evaluate(samples.map((s, i) => (i % 2 === 0 ? day(i, { RecordsIn: 1000, RecordsOut: 985, RecordsQuarantined: 10, RecordsDropped: 5 }) : s)));
    // Half the days lose 5 per 1,000 (duplicates not counted there): errors 0.0025 → half the budget left.
    expect(better.success).toBeCloseTo(0.9975, 10);
    expect(better.successBudget).toBeCloseTo(0.5, 10);
  });

  test('success: records older than 30 days are outside the window', () => {
    const old = Array.from({ length: 5 }, (_, d) => day(31 + d, { RecordsIn: 1000, RecordsOut: 0 }));
    const recent = Array.from({ length: 30 }, (_, d) => day(d, { RecordsIn: 1000, RecordsOut: 1000 }));
    const v = evaluate([...old, ...recent]);
    expect(v.success).toBe(1);
    expect(v.successBudget).toBe(1);
  });

  test('freshness: the share of records within the target over 30 days; an overspent budget is negative', () => {
    // 100 lags a day: 96 within 300 s → fresh 0.96, budget (5%) 80% spent.
    const lags = [...Array(96).fill(60), ...Array(4).fill(900)];
    const v = evaluate(Array.from({ length: 30 }, (_, d) => day(d, {}, lags)));
    expect(v.fresh).toBeCloseTo(0.96, 10);
    expect(v.freshBudget).toBeCloseTo(0.2, 10);
    const late = evaluate(Array.from({ length: 30 }, (_, d) => day(d, {}, [...Array(80).fill(60), ...Array(20).fill(900)])));
    expect(late.fresh).toBeCloseTo(0.8, 10);
    expect(late.freshBudget).toBeCloseTo(-3, 10);
  });

  test('freshness: 30 days with nothing curated is all stale when silence is stale, all fresh when not', () => {
    expect(evaluate([]).fresh).toBe(0);
    expect(evaluate([], { silenceIsStale: false }).fresh).toBe(1);
  });

  test('the objectives set the budget: 99.9% success leaves 0.001 of errors', () => {
    const samples = Array.from({ length: 30 }, (_, d) => day(d, { RecordsIn: 10000, RecordsOut: 9995 }));
    const v = evaluate(samples, { successRate: 0.999 });
    expect(v.success).toBeCloseTo(0.9995, 10);
    expect(v.successBudget).toBeCloseTo(0.5, 10);
  });
});
