/**
 * What the cost model prices per month, read from a synthesized pipeline template: alarm metrics,
 * composite alarms, KMS keys and the scheduled operations functions. Pure: test/bench/cost-inventory.test.ts.
 */
import { PipelineMetricName } from '../lib/contract/metrics';
import type { Inventory } from './cost';

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** A CloudFormation template, as far as the inventory reads it. */
export interface TemplateLike {
  readonly Resources: Record<string, Resource>;
}

/**
 * Custom metrics besides the runtime's (`PipelineMetricName`, one set of dimensions each): the
 * operations metrics (watermark ages, cost per service and per million records, incident timing).
 * An assumption: their dimension sets depend on the pipeline's sources and services.
 */
export const OPERATIONS_METRICS = 15;

/** Metrics an alarm is billed for: one per metric it reads; an anomaly-detection band adds two. */
export function alarmMetricCount(properties: Record<string, unknown>): number {
  const metrics = properties.Metrics as Array<{ MetricStat?: unknown; Expression?: string }> | undefined;
  if (!metrics) return 1;
  const read = metrics.filter((m) => m.MetricStat !== undefined).length;
  const band = metrics.some((m) => typeof m.Expression === 'string' && m.Expression.includes('ANOMALY_DETECTION_BAND')) ? 2 : 0;
  return Math.max(1, read) + band;
}

/** Invocations a month of a `rate(…)` schedule; 0 for anything else (cron schedules run daily or less). */
export function invocationsPerMonth(expression: unknown): number {
  const match = typeof expression === 'string' ? /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression) : null;
  if (!match) return 0;
  const minutes = Number(match[1]) * (match[2].startsWith('minute') ? 1 : match[2].startsWith('hour') ? 60 : 1440);
  return (30 * 1440) / minutes;
}

/** Logical ids a value references (`Ref`, `Fn::GetAtt`), searched through nested objects and arrays. */
function references(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else references(v, out);
    }
  }
  return out;
}

/** The inventory of one pipeline's template. */
export function inventoryOf(template: TemplateLike): Inventory {
  const resources = Object.values(template.Resources);
  const of = (type: string) => resources.filter((r) => r.Type === type);
  const functions = new Set(Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id));
  const scheduled = of('AWS::Events::Rule')
    .filter((r) => [...references(r.Properties?.Targets)].some((id) => functions.has(id)))
    .reduce((n, r) => n + invocationsPerMonth(r.Properties?.ScheduleExpression), 0);
  return {
    alarmMetrics: of('AWS::CloudWatch::Alarm').reduce((n, r) => n + alarmMetricCount(r.Properties ?? {}), 0),
    compositeAlarms: of('AWS::CloudWatch::CompositeAlarm').length,
    kmsKeys: of('AWS::KMS::Key').length,
    customMetrics: Object.values(PipelineMetricName).length + OPERATIONS_METRICS,
    scheduledInvocationsPerMonth: scheduled,
  };
}
