import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { decimal } from './pipeline-metric';
import type { IPipelineSlos } from './pipeline-slos';

/**
 * Compliance with the objectives over the error-budget window, and the budget left: the same
 * ratios the burn-rate alerts read (`IPipelineSlos.metricSuccessErrorRatio` and
 * `metricFreshShare`), over one period as long as the window. Metric math only: nothing here
 * creates a resource.
 *
 * CloudWatch keeps 1-minute data for 15 days and 5-minute data for 63 days, so a 30-day period
 * spans both; sums and percentile ranks over it are computed by CloudWatch from what it keeps
 * (GetMetricData takes any period that is a multiple of 60 seconds). An alarm cannot evaluate
 * more than 7 days, so the window is for dashboards only.
 */

/** The error-budget window of the objectives (the SRE workbook's 30 days, as the burn rates assume). */
export const ERROR_BUDGET_WINDOW = Duration.days(30);

/** Compliance with one objective over a window, and the share of its error budget left. */
export interface SloCompliance {
  /** The good share over the window (0..1): success rate, or fresh share. */
  readonly compliance: cloudwatch.MathExpression;
  /** 1 − bad share ÷ (1 − objective): 1 with no error, 0 with the budget spent, negative when overspent. */
  readonly budgetRemaining: cloudwatch.MathExpression;
}

/** Success-rate compliance over `window` and the share of its error budget left. */
export function successCompliance(slos: IPipelineSlos, window: Duration = ERROR_BUDGET_WINDOW): SloCompliance {
  const errors = slos.metricSuccessErrorRatio(window);
  return compliance(`1 - errors`, `1 - errors / ${decimal(1 - slos.successRate)}`, { errors }, window, 'Success rate');
}

/** Freshness compliance over `window` and the share of its error budget left. */
export function freshnessCompliance(slos: IPipelineSlos, window: Duration = ERROR_BUDGET_WINDOW): SloCompliance {
  const fresh = slos.metricFreshShare(window);
  return compliance('fresh', `1 - (1 - fresh) / ${decimal(1 - slos.freshnessObjective)}`, { fresh }, window, 'Fresh share');
}

function compliance(good: string, budget: string, usingMetrics: Record<string, cloudwatch.IMetric>, window: Duration, name: string): SloCompliance {
  const days = window.toHumanString();
  return {
    compliance: new cloudwatch.MathExpression({ expression: good, usingMetrics, period: window, label: `${name} (${days})` }),
    budgetRemaining: new cloudwatch.MathExpression({ expression: budget, usingMetrics, period: window, label: `Error budget left (${days})` }),
  };
}
