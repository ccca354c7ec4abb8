/**
 * Pipeline metrics in CloudWatch Embedded Metric Format (EMF): one structured log line per
 * invocation, turned into metrics by CloudWatch Logs with no API call and no added latency.
 *
 * Namespace, names and dimensions are the contract's (lib/contract/metrics.ts): `Pipeline` and
 * `Stage` only (never a per-record value: cost and cardinality). Alarms and dashboards use them.
 * (Powertools Metrics always adds a `service` dimension, which would change the dimension set the
 * alarms are defined on; see docs/decisions.md.)
 */
import { COUNT_METRICS, METRIC_DIMENSION, METRIC_NAMESPACE, PipelineMetricName, type CountMetricName } from '../../lib/contract/metrics';
import { SOURCE_DIMENSION, WatermarkMetricName, type PipelineSource } from '../../lib/contract/watermarks';

/** Collects one invocation's metrics and writes them as one EMF line. */
export class PipelineMetrics {
  private readonly counts = new Map<CountMetricName, number>();
  private readonly freshness: number[] = [];
  private watermark?: { source: PipelineSource; epochSeconds: number };

  constructor(
    private readonly pipeline: string,
    private readonly stage: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Adds `value` to a count metric. */
  public count(name: CountMetricName, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  /** Records the lag from a record's event time to its sink write, in seconds. */
  public freshnessLag(seconds: number): void {
    if (Number.isFinite(seconds)) this.freshness.push(Math.max(0, seconds));
  }

  /**
   * Records the newest event time curated from `source` (epoch ms): published as
   * `CuratedEventTime` with the `Source` dimension, the watermark the publisher reads back.
   */
  public curatedEventTime(source: PipelineSource, epochMs: number): void {
    if (!Number.isFinite(epochMs)) return;
    const epochSeconds = Math.floor(epochMs / 1000);
    if (this.watermark === undefined || this.watermark.source !== source || epochSeconds > this.watermark.epochSeconds) {
      this.watermark = { source, epochSeconds };
    }
  }

  /** The current value of a count metric (for logs and tests). */
  public value(name: CountMetricName): number {
    return this.counts.get(name) ?? 0;
  }

  /** Writes every collected metric as one EMF line and resets. Counts of zero are written too. */
  public publish(now = Date.now()): void {
    const definitions: Array<{ Name: string; Unit: string }> = [];
    const values: Record<string, number | number[]> = {};
    for (const name of COUNT_METRICS) {
      definitions.push({ Name: name, Unit: 'Count' });
      values[name] = this.counts.get(name) ?? 0;
    }
    if (this.freshness.length > 0) {
      definitions.push({ Name: PipelineMetricName.FRESHNESS_LAG_SECONDS, Unit: 'Seconds' });
      // EMF accepts up to 100 values per metric in one line; CloudWatch computes percentiles from them.
      values[PipelineMetricName.FRESHNESS_LAG_SECONDS] = sample(this.freshness, 100);
    }
    const directives: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> = [{ Namespace: METRIC_NAMESPACE, Dimensions: [[METRIC_DIMENSION.pipeline, METRIC_DIMENSION.stage]], Metrics: definitions }];
    const watermark = this.watermark;
    if (watermark) {
      // A directive of its own: the watermark is per source, the counts are per stage.
      directives.push({
        Namespace: METRIC_NAMESPACE,
        Dimensions: [[METRIC_DIMENSION.pipeline, METRIC_DIMENSION.stage, SOURCE_DIMENSION]],
        Metrics: [{ Name: WatermarkMetricName.CURATED_EVENT_TIME, Unit: 'None' }],
      });
    }
    this.write(
      JSON.stringify({
        _aws: { Timestamp: now, CloudWatchMetrics: directives },
        [METRIC_DIMENSION.pipeline]: this.pipeline,
        [METRIC_DIMENSION.stage]: this.stage,
        ...values,
        ...(watermark ? { [SOURCE_DIMENSION]: watermark.source, [WatermarkMetricName.CURATED_EVENT_TIME]: watermark.epochSeconds } : {}),
      }),
    );
    this.counts.clear();
    this.freshness.length = 0;
    this.watermark = undefined;
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
