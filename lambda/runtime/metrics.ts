/**
 * Pipeline metrics in CloudWatch Embedded Metric Format (EMF): one structured log line per
 * invocation, turned into metrics by CloudWatch Logs with no API call and no added latency.
 *
 * Namespace `ServerlessEtl`, dimensions `Pipeline` and `Stage` only (never a per-record value:
 * cost and cardinality). Metric names are part of the library's API: alarms and dashboards use them.
 * (Powertools Metrics always adds a `service` dimension, which would change the dimension set the
 * alarms are defined on; see docs/decisions.md.)
 */

/** The metrics the runtime publishes. */
export const METRIC_NAMES = [
  'RecordsIn',
  'RecordsOut',
  'RecordsQuarantined',
  'RecordsDropped',
  'DuplicatesSkipped',
  'SchemaMismatches',
  'TransformErrors',
  'RecordsRetried',
  'ClaimChecked',
  'ColdStarts',
  // Records whose event time fell outside the warehouse's bounds and fell back to the receive time.
  'EventTimeOutOfBounds',
] as const;

/** A metric name of the runtime. */
export type MetricName = (typeof METRIC_NAMES)[number] | 'FreshnessLagSeconds';

/** The CloudWatch namespace of every pipeline metric. */
export const METRICS_NAMESPACE = 'ServerlessEtl';

/** Collects one invocation's metrics and writes them as one EMF line. */
export class PipelineMetrics {
  private readonly counts = new Map<MetricName, number>();
  private readonly freshness: number[] = [];

  constructor(
    private readonly pipeline: string,
    private readonly stage: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Adds `value` to a count metric. */
  public count(name: Exclude<MetricName, 'FreshnessLagSeconds'>, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  /** Records the lag from a record's event time to its sink write, in seconds. */
  public freshnessLag(seconds: number): void {
    if (Number.isFinite(seconds)) this.freshness.push(Math.max(0, seconds));
  }

  /** The current value of a count metric (for logs and tests). */
  public value(name: Exclude<MetricName, 'FreshnessLagSeconds'>): number {
    return this.counts.get(name) ?? 0;
  }

  /** Writes every collected metric as one EMF line and resets. Counts of zero are written too. */
  public publish(now = Date.now()): void {
    const definitions: Array<{ Name: string; Unit: string }> = [];
    const values: Record<string, number | number[]> = {};
    for (const name of METRIC_NAMES) {
      definitions.push({ Name: name, Unit: 'Count' });
      values[name] = this.counts.get(name) ?? 0;
    }
    if (this.freshness.length > 0) {
      definitions.push({ Name: 'FreshnessLagSeconds', Unit: 'Seconds' });
      // EMF accepts up to 100 values per metric in one line; CloudWatch computes percentiles from them.
      values.FreshnessLagSeconds = sample(this.freshness, 100);
    }
    this.write(
      JSON.stringify({
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Pipeline', 'Stage']], Metrics: definitions }],
        },
        Pipeline: this.pipeline,
        Stage: this.stage,
        ...values,
      }),
    );
    this.counts.clear();
    this.freshness.length = 0;
  }
}

/** At most `max` values spread evenly over the sorted input, so percentiles stay representative. */
function sample(values: number[], max: number): number[] {
  if (values.length <= max) return values.map(round);
  const sorted = [...values].sort((a, b) => a - b);
  return Array.from({ length: max }, (_, i) => round(sorted[Math.floor((i * (sorted.length - 1)) / (max - 1))]));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
