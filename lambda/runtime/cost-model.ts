/**
 * The cost model of the cost publisher: which CloudWatch usage metrics price each resource of a
 * {@link CostRequest}, and the dollars a period's values come to. Pure: the handler
 * (lambda/handlers/cost-publisher.ts) reads the values with GetMetricData and publishes the result.
 *
 * Approximations (docs/decisions.md): S3 PUTs are one per invocation of the functions that write
 * objects (a lower bound: one object per partition per batch); Step Functions transitions are an
 * estimate per execution (no metric counts them); Firehose ingestion ignores its 5 KB rounding;
 * storage is Standard only, from the daily `BucketSizeBytes`; free tiers, KMS requests, data
 * transfer, EventBridge events, custom metrics and the bus archive are not priced.
 */
import { CostService, type CostRequest } from '../../lib/contract/cost';

const GB = 1024 ** 3;
const TB = 1024 ** 4;
/** Hours in a month as AWS prices storage. */
const HOURS_PER_MONTH = 730;
/** The period of S3's storage metrics. */
export const DAILY_SECONDS = 86_400;

/** One usage metric and what one unit of its value costs. */
export interface UsageQuery {
  /** Query id (lower-case first letter, unique). */
  readonly id: string;
  readonly service: CostService;
  /** USD per unit of the metric's value over the period. */
  readonly usdPerUnit: number;
  /** A daily metric (S3 storage): read its latest daily value. */
  readonly daily: boolean;
  /** A metric (namespace, name, dimensions, statistic), or a metric-math expression. */
  readonly metric?: { readonly namespace: string; readonly name: string; readonly dimensions: Record<string, string>; readonly stat: string };
  readonly expression?: string;
}

/** The usage queries of a request, one or more per resource. */
export function usageQueries(request: CostRequest): UsageQuery[] {
  const p = request.prices;
  const q: UsageQuery[] = [];
  const metric = (namespace: string, name: string, dimensions: Record<string, string>, stat = 'Sum') => ({ namespace, name, dimensions, stat });
  const add = (id: string, service: CostService, usdPerUnit: number, m: UsageQuery['metric'], daily = false) => q.push({ id, service, usdPerUnit, daily, metric: m });
  request.functions.forEach((f, i) => {
    const gbSecond = f.arm ? p.lambdaArmGbSecond : p.lambdaX86GbSecond;
    // Duration is in milliseconds: GB-seconds = ms / 1000 × memory in GB.
    add(`l${i}d`, CostService.LAMBDA, ((f.memoryMb / 1024) * gbSecond) / 1000, metric('AWS/Lambda', 'Duration', { FunctionName: f.name }));
    add(`l${i}n`, CostService.LAMBDA, p.lambdaRequest, metric('AWS/Lambda', 'Invocations', { FunctionName: f.name }));
  });
  const periodShareOfMonth = request.periodSeconds / 3600 / HOURS_PER_MONTH;
  request.buckets.forEach((b, i) =>
    add(`b${i}`, CostService.S3, (p.s3StorageGbMonth / GB) * periodShareOfMonth, metric('AWS/S3', 'BucketSizeBytes', { BucketName: b, StorageType: 'StandardStorage' }, 'Average'), true),
  );
  request.s3Writers.forEach((name, i) => add(`w${i}`, CostService.S3, p.s3PutRequest, metric('AWS/Lambda', 'Invocations', { FunctionName: name })));
  request.tables.forEach((t, i) => {
    add(`t${i}w`, CostService.DYNAMODB, p.dynamoDbWriteUnit, metric('AWS/DynamoDB', 'ConsumedWriteCapacityUnits', { TableName: t }));
    add(`t${i}r`, CostService.DYNAMODB, p.dynamoDbReadUnit, metric('AWS/DynamoDB', 'ConsumedReadCapacityUnits', { TableName: t }));
  });
  request.streams.forEach((s, i) => {
    if (s.shards > 0) {
      // Provisioned: one PUT payload unit per record of up to 25 KB (larger records count more: a lower bound).
      add(`k${i}p`, CostService.KINESIS, p.kinesisPutPayloadUnit, metric('AWS/Kinesis', 'IncomingRecords', { StreamName: s.name }));
    } else {
      add(`k${i}i`, CostService.KINESIS, p.kinesisOnDemandIngestGb / GB, metric('AWS/Kinesis', 'IncomingBytes', { StreamName: s.name }));
      add(`k${i}o`, CostService.KINESIS, p.kinesisOnDemandRetrievalGb / GB, metric('AWS/Kinesis', 'GetRecords.Bytes', { StreamName: s.name }));
    }
  });
  request.deliveryStreams.forEach((d, i) => add(`f${i}`, CostService.FIREHOSE, p.firehoseIngestGb / GB, metric('AWS/Firehose', 'IncomingBytes', { DeliveryStreamName: d })));
  request.queues.forEach((name, i) => {
    for (const [suffix, m] of [['s', 'NumberOfMessagesSent'], ['r', 'NumberOfMessagesReceived'], ['d', 'NumberOfMessagesDeleted'], ['e', 'NumberOfEmptyReceives']]) {
      add(`q${i}${suffix}`, CostService.SQS, p.sqsRequest, metric('AWS/SQS', m, { QueueName: name }));
    }
  });
  request.stateMachines.forEach((m, i) =>
    add(`m${i}`, CostService.STEP_FUNCTIONS, p.stepFunctionsTransition * m.transitionsPerExecution, metric('AWS/States', 'ExecutionsStarted', { StateMachineArn: m.arn })),
  );
  request.workGroups.forEach((w, i) =>
    q.push({
      id: `a${i}`,
      service: CostService.ATHENA,
      usdPerUnit: p.athenaTbScanned / TB,
      daily: false,
      expression: `SUM(SEARCH('{AWS/Athena,QueryState,QueryType,WorkGroup} MetricName="ProcessedBytes" WorkGroup="${w.replace(/"/g, '')}"', 'Sum', ${request.periodSeconds}))`,
    }),
  );
  request.logGroups.forEach((g, i) => add(`g${i}`, CostService.CLOUDWATCH_LOGS, p.logsIngestGb / GB, metric('AWS/Logs', 'IncomingBytes', { LogGroupName: g })));
  return q;
}

/** The cost of one period. */
export interface CostBreakdown {
  /** USD over the period, all services. */
  readonly totalUsd: number;
  /** USD per service (every service of the request, zero included). */
  readonly byService: Readonly<Record<string, number>>;
  /** Records in over the period. */
  readonly recordsIn: number;
  /** USD per million records in; undefined when nothing came in. */
  readonly perMillionRecords?: number;
}

/**
 * The cost of a period from the usage values by query id (a missing value is no usage) and the
 * records in: each query's value × its unit price, plus the hours of the streams (stream-hours
 * on demand, shard-hours provisioned), summed by service.
 */
export function priceUsage(request: CostRequest, queries: readonly UsageQuery[], values: ReadonlyMap<string, number>, recordsIn: number): CostBreakdown {
  const byService: Record<string, number> = {};
  const charge = (service: CostService, usd: number) => {
    byService[service] = (byService[service] ?? 0) + usd;
  };
  for (const query of queries) charge(query.service, (values.get(query.id) ?? 0) * query.usdPerUnit);
  const hours = request.periodSeconds / 3600;
  for (const s of request.streams) {
    charge(CostService.KINESIS, s.shards > 0 ? s.shards * request.prices.kinesisShardHour * hours : request.prices.kinesisOnDemandStreamHour * hours);
  }
  const totalUsd = Object.values(byService).reduce((a, b) => a + b, 0);
  return { totalUsd, byService, recordsIn, perMillionRecords: recordsIn > 0 ? (totalUsd / recordsIn) * 1_000_000 : undefined };
}
