import { Duration } from 'aws-cdk-lib';
import { AlarmSeverity } from './alarm-routing';
import { PropValidator } from '../core/prop-validator';

/** One multi-window burn-rate alert: fires when both windows burn the error budget this fast. */
export interface BurnRateAlert {
  /** The long window: how much budget is at stake (e.g. 1 hour). */
  readonly longWindow: Duration;
  /** The short window: is it still burning now (e.g. 5 minutes); also what resets the alert. */
  readonly shortWindow: Duration;
  /** Burn rate that fires the alert: the error rate as a multiple of the error budget (1 − objective). */
  readonly burnRate: number;
  /** Who is told. */
  readonly severity: AlarmSeverity;
}

/**
 * The multi-window, multi-burn-rate alerts of the Google SRE workbook for a 30-day budget: page
 * at 14.4× over 1 h and 5 min (2% of the budget in an hour) or 6× over 6 h and 30 min (5% in six
 * hours); ticket at 3× over 1 day and 2 h (10% in a day).
 */
export const DEFAULT_BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  { longWindow: Duration.hours(1), shortWindow: Duration.minutes(5), burnRate: 14.4, severity: AlarmSeverity.PAGE },
  { longWindow: Duration.hours(6), shortWindow: Duration.minutes(30), burnRate: 6, severity: AlarmSeverity.PAGE },
  { longWindow: Duration.days(1), shortWindow: Duration.hours(2), burnRate: 3, severity: AlarmSeverity.TICKET },
];

/** CloudWatch: an alarm evaluates at most 7 days, and at most 1 day when its period is under 1 hour. */
const MAX_ALARM_RANGE = Duration.days(7);

/**
 * Checks burn-rate alerts against CloudWatch's limits and, when the objective is known to be
 * valid, against the highest burn rate it allows; adds problems to `v`.
 */
export function validateBurnRateAlerts(v: PropValidator, prop: string, alerts: readonly BurnRateAlert[], objective: number | undefined): void {
  const maxBurn = objective === undefined ? Infinity : 1 / (1 - objective);
  alerts.forEach((a, i) => {
    const name = v.path(`${prop}[${i}]`);
    for (const [field, window] of [
      ['longWindow', a.longWindow],
      ['shortWindow', a.shortWindow],
    ] as const) {
      if (window.isUnresolved()) continue;
      const s = window.toSeconds();
      v.check(
        s < 60 || s % 60 !== 0 || s > MAX_ALARM_RANGE.toSeconds(),
        `${name}.${field} is ${window.toHumanString()}; CloudWatch alarm periods must be a whole number of minutes from 1 minute to 7 days`,
      );
    }
    if (!a.longWindow.isUnresolved() && !a.shortWindow.isUnresolved()) {
      v.check(
        a.shortWindow.toSeconds() >= a.longWindow.toSeconds(),
        `${name}.shortWindow is ${a.shortWindow.toHumanString()}; it must be shorter than longWindow (${a.longWindow.toHumanString()})`,
      );
    }
    v.check(
      !(a.burnRate > 1) || a.burnRate > maxBurn * (1 + 1e-9),
      objective === undefined
        ? `${name}.burnRate is ${a.burnRate}; it must be above 1`
        : `${name}.burnRate is ${a.burnRate}; it must be above 1 and at most ${round(maxBurn)} (the burn rate of a 100% error rate with objective ${objective})`,
    );
  });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
