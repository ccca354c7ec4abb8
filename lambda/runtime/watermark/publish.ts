import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../../../lib/contract/metrics';
import { PipelineSource, SOURCE_DIMENSION, WATERMARK_ENV, WatermarkMetricName } from '../../../lib/contract/watermarks';
import { batchOverdueSeconds, parseLoadedBy, watermarkAgeSeconds, type DailyDeadline } from './watermark-age';

/** What the publisher publishes for: read from its environment (see {@link WATERMARK_ENV}). */
export interface PublisherConfig {
  readonly pipeline: string;
  readonly stage: string;
  readonly sources: readonly PipelineSource[];
  readonly lookbackSeconds: number;
  /** The batch source's deadline, when it has one. */
  readonly batchDeadline?: DailyDeadline;
}

/** The values published at one tick, by source (for the log line and tests). */
export interface PublishedWatermarks {
  readonly ages: Partial<Record<PipelineSource, number>>;
  readonly watermarks: Partial<Record<PipelineSource, string | null>>;
  readonly batchOverdueSeconds?: number;
}

/** Reads the publisher's configuration, naming any variable missing or malformed. */
export function readPublisherConfig(env: NodeJS.ProcessEnv = process.env): PublisherConfig {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`watermark publisher: environment variable ${name} is not set`);
    return value;
  };
  const known = new Set<string>(Object.values(PipelineSource));
  const sources = required(WATERMARK_ENV.sources).split(',');
  const unknown = sources.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new Error(`watermark publisher: ${WATERMARK_ENV.sources} has unknown sources ${unknown.join(', ')}`);
  const lookbackSeconds = Number(required(WATERMARK_ENV.lookbackSeconds));
  if (!Number.isInteger(lookbackSeconds) || lookbackSeconds < 60) {
    throw new Error(`watermark publisher: ${WATERMARK_ENV.lookbackSeconds} must be a whole number of seconds, at least 60`);
  }
  const loadedBy = env[WATERMARK_ENV.batchLoadedBy];
  if (loadedBy) parseLoadedBy(loadedBy);
  return {
    pipeline: required(WATERMARK_ENV.pipeline),
    stage: required(WATERMARK_ENV.stage),
    sources: sources as PipelineSource[],
    lookbackSeconds,
    batchDeadline: loadedBy ? { loadedBy, timeZone: env[WATERMARK_ENV.batchTimeZone] || 'UTC' } : undefined,
  };
}

/**
 * One tick: reads each source's watermark (the `Maximum` of `CuratedEventTime` over the lookback)
 * and publishes its age, and the batch deadline's overdue seconds, as of `nowMs`. A source with
 * nothing curated in the lookback has no watermark: its age is the whole lookback.
 */
export async function publishWatermarks(cloudwatch: CloudWatchClient, config: PublisherConfig, nowMs: number): Promise<PublishedWatermarks> {
  const dimensions = (source: PipelineSource) => [
    { Name: METRIC_DIMENSION.pipeline, Value: config.pipeline },
    { Name: METRIC_DIMENSION.stage, Value: config.stage },
    { Name: SOURCE_DIMENSION, Value: source },
  ];
  const newest = new Map<PipelineSource, number>();
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(nowMs - config.lookbackSeconds * 1000),
        EndTime: new Date(nowMs + 60_000),
        MetricDataQueries: config.sources.map((source, i) => ({
          Id: `s${i}`,
          MetricStat: {
            Metric: { Namespace: METRIC_NAMESPACE, MetricName: WatermarkMetricName.CURATED_EVENT_TIME, Dimensions: dimensions(source) },
            Period: 3600,
            Stat: 'Maximum',
          },
          ReturnData: true,
        })),
        NextToken: nextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      const source = config.sources[Number(result.Id?.slice(1))];
      for (const value of result.Values ?? []) {
        if (source !== undefined && Number.isFinite(value) && value > (newest.get(source) ?? -Infinity)) newest.set(source, value);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);

  const timestamp = new Date(nowMs);
  const data: MetricDatum[] = [];
  const ages: Partial<Record<PipelineSource, number>> = {};
  const watermarks: Partial<Record<PipelineSource, string | null>> = {};
  for (const source of config.sources) {
    const seconds = newest.get(source);
    const watermarkMs = seconds === undefined ? undefined : seconds * 1000;
    ages[source] = watermarkAgeSeconds(watermarkMs, nowMs, config.lookbackSeconds);
    watermarks[source] = watermarkMs === undefined ? null : new Date(watermarkMs).toISOString();
    data.push({ MetricName: WatermarkMetricName.WATERMARK_AGE_SECONDS, Dimensions: dimensions(source), Value: ages[source], Unit: 'Seconds', Timestamp: timestamp });
  }
  let overdue: number | undefined;
  if (config.batchDeadline && config.sources.includes(PipelineSource.BATCH)) {
    const seconds = newest.get(PipelineSource.BATCH);
    overdue = batchOverdueSeconds(seconds === undefined ? undefined : seconds * 1000, nowMs, config.batchDeadline);
    data.push({
      MetricName: WatermarkMetricName.BATCH_OVERDUE_SECONDS,
      Dimensions: dimensions(PipelineSource.BATCH),
      Value: overdue,
      Unit: 'Seconds',
      Timestamp: timestamp,
    });
  }
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: METRIC_NAMESPACE, MetricData: data }));
  return { ages, watermarks, ...(overdue === undefined ? {} : { batchOverdueSeconds: overdue }) };
}
