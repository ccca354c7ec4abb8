/**
 * The prices the benchmark's cost model uses, with where each comes from. One home: every price
 * the cost publisher also applies is read from `DEFAULT_COST_PRICES` (lib/contract/cost.ts, the
 * `CostPerUnit` defaults), so the two never disagree. The few prices the publisher does not apply
 * (it prices usage metrics; these have none it reads) are added here: S3 GETs, KMS, Glue Data
 * Catalog requests and CloudWatch alarms and custom metrics. `CostPrices` is the publisher's
 * public contract: a field nothing in the library applies would be API without an effect, so they
 * stay with the benchmark.
 */
import { DEFAULT_COST_PRICES } from '../lib/contract/cost';

/** When the prices below were checked against the AWS pricing pages (us-east-1). */
export const PRICES_CHECKED = '2026-12-07';

/** Prices the cost publisher does not apply, used by the benchmark only (USD, us-east-1). */
export const BENCH_ONLY_PRICES = {
  /** S3 Standard per GET or HEAD request ($0.0004 per 1,000). */
  s3GetRequest: 0.0000004,
  /** KMS per symmetric-key request ($0.03 per 10,000), beyond 20,000 free a month. */
  kmsRequest: 0.000003,
  /** KMS per customer managed key per month (rotation adds $1 per rotated version; not counted). */
  kmsKeyMonth: 1,
  /** Glue Data Catalog per request beyond the first million a month ($1 per million). */
  glueRequest: 0.000001,
  /** CloudWatch per standard-resolution alarm metric per month. */
  cloudWatchAlarmMetricMonth: 0.1,
  /** CloudWatch per composite alarm per month. */
  cloudWatchCompositeAlarmMonth: 0.5,
  /** CloudWatch per custom metric per month (first 10,000 metrics). */
  cloudWatchMetricMonth: 0.3,
};

/** Every price the model uses: the publisher's defaults and the benchmark's own. */
export const PRICES = { ...DEFAULT_COST_PRICES, ...BENCH_ONLY_PRICES };

/** A price key of {@link PRICES}. */
export type PriceKey = keyof typeof PRICES;

/** One row of the price table in BENCHMARKS.md: unit, value, where it comes from. */
export interface PriceSource {
  readonly unit: string;
  readonly source: string;
}

const PROJECT = 'lib/contract/cost.ts default';
const CHECKED = `checked ${PRICES_CHECKED}`;

/** The source of each price the model uses (the ones it does not use are left out). */
export const PRICE_SOURCES: Partial<Record<PriceKey, PriceSource>> = {
  lambdaArmGbSecond: { unit: 'GB-second, arm64 (first 7.5 billion a month)', source: `${PROJECT}; aws.amazon.com/lambda/pricing, ${CHECKED}` },
  lambdaRequest: { unit: 'request ($0.20 per million)', source: `${PROJECT}; aws.amazon.com/lambda/pricing, ${CHECKED}` },
  s3PutRequest: { unit: 'PUT, COPY, POST or LIST ($0.005 per 1,000)', source: `${PROJECT}; assumption (S3 pricing page not in the searched corpus; the same figure is quoted by athena.guide)` },
  s3GetRequest: { unit: 'GET or HEAD ($0.0004 per 1,000)', source: `bench; athena.guide "Athena Basics: Pricing Model" ($0.4 per million GETs), ${CHECKED}` },
  s3StorageGbMonth: { unit: 'GB-month, S3 Standard (first 50 TB)', source: `${PROJECT}; assumption (not re-checked)` },
  dynamoDbWriteUnit: { unit: 'on-demand write request unit ($0.625 per million, since Nov 2024)', source: `${PROJECT}; assumption (not re-checked)` },
  dynamoDbReadUnit: { unit: 'on-demand read request unit ($0.125 per million)', source: `${PROJECT}; assumption (not re-checked)` },
  kinesisShardHour: { unit: 'provisioned shard-hour', source: `${PROJECT}; aws.amazon.com/kinesis/data-streams/pricing names the unit, its price table did not come through the search: assumption` },
  kinesisPutPayloadUnit: { unit: 'PUT payload unit (25 KB; a 1 KB record is 1 unit)', source: `${PROJECT}; unit from aws.amazon.com/kinesis/pricing, price an assumption` },
  kinesisOnDemandStreamHour: { unit: 'on-demand stream-hour (sensitivity row only)', source: `${PROJECT}; assumption` },
  kinesisOnDemandIngestGb: { unit: 'on-demand GB written, records rounded up to 1 KB (sensitivity row only)', source: `${PROJECT}; rounding from aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}` },
  kinesisOnDemandRetrievalGb: { unit: 'on-demand GB read (sensitivity row only)', source: `${PROJECT}; assumption` },
  firehoseIngestGb: { unit: 'GB ingested, Direct PUT or Kinesis source, each record rounded up to 5 KB', source: `${PROJECT}; 5 KB rounding from aws.amazon.com/kinesis/data-firehose/pricing, ${CHECKED}` },
  sqsRequest: { unit: 'standard queue request ($0.40 per million)', source: `${PROJECT}; assumption (not re-checked)` },
  stepFunctionsTransition: { unit: 'standard workflow state transition ($0.025 per 1,000)', source: `${PROJECT}; aws.amazon.com/step-functions/pricing (US East (N. Virginia) $0.0250 per 1,000), ${CHECKED}` },
  athenaTbScanned: { unit: 'TB scanned (SQL, DML and OPTIMIZE alike), 10 MB minimum per query', source: `${PROJECT}; $5/TB and 10 MB minimum per athena.guide and the Stanford RC pages, ${CHECKED}` },
  logsIngestGb: { unit: 'GB of CloudWatch Logs ingested (standard class)', source: `${PROJECT}; assumption (not re-checked)` },
  kmsRequest: { unit: 'symmetric-key request ($0.03 per 10,000)', source: `bench; aws.amazon.com/kms/pricing (free tier 20,000 a month), ${CHECKED}` },
  kmsKeyMonth: { unit: 'customer managed key-month', source: `bench; aws.amazon.com/kms/pricing, ${CHECKED}` },
  glueRequest: { unit: 'Data Catalog request beyond 1 million a month ($1 per million)', source: `bench; aws.amazon.com/lake-formation/pricing Glue example, ${CHECKED}` },
  cloudWatchAlarmMetricMonth: { unit: 'standard-resolution alarm metric-month (an anomaly-detection alarm is 3)', source: `bench; aws.amazon.com/cloudwatch/pricing (c3x.dev quotes $0.10), ${CHECKED}` },
  cloudWatchCompositeAlarmMonth: { unit: 'composite alarm-month', source: `bench; c3x.dev CloudWatch alarm pricing summary, ${CHECKED}; assumption` },
  cloudWatchMetricMonth: { unit: 'custom metric-month (EMF metric × dimension set)', source: 'bench; assumption (CloudWatch pricing page lists it; figure not seen in the search)' },
};
