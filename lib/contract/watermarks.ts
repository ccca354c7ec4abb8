/**
 * The per-source watermark: what the runtime publishes when it curates records (the newest event
 * time it stored, per source), what the watermark publisher reads back and republishes every minute
 * as an age (so a silent source still has a data point), and what the alarms and SLOs read.
 * Namespace and the `Pipeline`/`Stage` dimensions are those of ./metrics.
 */

/** The kind of source a record came through: one watermark each. */
export enum PipelineSource {
  /** The Kinesis stream. */
  STREAM = 'stream',
  /** The EventBridge bus (through its SQS buffer), or any SQS queue feeding the transform. */
  BUS = 'bus',
  /** The batch workflow (JSON Lines objects in the raw bucket). */
  BATCH = 'batch',
}

/** The dimension naming the source, added to `Pipeline` and `Stage` on the watermark metrics. */
export const SOURCE_DIMENSION = 'Source';

/** The watermark metrics (namespace `ServerlessEtl`, dimensions `Pipeline`, `Stage`, `Source`). */
export enum WatermarkMetricName {
  /**
   * Runtime, per invocation that curated records: the newest event time among them, in epoch
   * seconds (never later than the write). Read with the `Maximum` statistic.
   */
  CURATED_EVENT_TIME = 'CuratedEventTime',
  /**
   * Publisher, every minute: seconds from the newest event time curated (within the lookback) to
   * now; the whole lookback when nothing was curated in it.
   */
  WATERMARK_AGE_SECONDS = 'WatermarkAgeSeconds',
  /**
   * Publisher, every minute, batch source with a deadline: seconds since the last deadline passed
   * while the export it was for is not loaded; 0 when it is.
   */
  BATCH_OVERDUE_SECONDS = 'BatchOverdueSeconds',
}

/** Environment variables of the watermark publisher function. */
export const WATERMARK_ENV = Object.freeze({
  /** The pipeline (`Pipeline` dimension). */
  pipeline: 'WATERMARK_PIPELINE',
  /** The stage (`Stage` dimension). */
  stage: 'WATERMARK_STAGE',
  /** Comma-separated {@link PipelineSource} values to publish. */
  sources: 'WATERMARK_SOURCES',
  /** How far back (seconds) the publisher looks for the newest curated event time. */
  lookbackSeconds: 'WATERMARK_LOOKBACK_SECONDS',
  /** `HH:MM`: the export of day D is loaded by this local time on day D+1 (batch deadline; unset: none). */
  batchLoadedBy: 'WATERMARK_BATCH_LOADED_BY',
  /** IANA time zone of the batch deadline and of day boundaries. */
  batchTimeZone: 'WATERMARK_BATCH_TIME_ZONE',
} as const);

/** How far back the publisher looks: within CloudWatch's 15-day retention of 1-minute data. */
export const WATERMARK_LOOKBACK_SECONDS = 14 * 24 * 3600;

/** The publisher function's timeout in seconds (the construct sets it, the function sizes its client's timeouts by it). */
export const WATERMARK_PUBLISHER_TIMEOUT_SECONDS = 30;
