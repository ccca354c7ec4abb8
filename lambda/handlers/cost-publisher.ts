/**
 * Lambda entry point of the cost publisher (M6): its hourly schedule sends it a `CostRequestInput` (the
 * pipeline's resources and the prices overridden; the defaults complete them); it reads the usage of the last whole period with
 * GetMetricData, prices it (lambda/runtime/cost-model.ts) and publishes `CostUsd` (in total and per
 * `Service`) and `CostPerMillionRecords` with PutMetricData, timestamped at the period's start.
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDataQuery, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { withDefaultPrices, type CostRequest, type CostRequestInput } from '../../lib/contract/cost';
import { METRIC_DIMENSION, METRIC_NAMESPACE, OPERATIONS_DIMENSION, OPERATIONS_ENV, OperationsMetricName, PipelineMetricName } from '../../lib/contract/metrics';
import { runtimeClientConfig } from '../runtime/aws-clients';
import { DAILY_SECONDS, priceUsage, usageQueries, type CostBreakdown, type UsageQuery } from '../runtime/cost-model';

/** GetMetricData takes at most 500 queries per call. */
const MAX_QUERIES = 500;
const RECORDS_IN_ID = 'recordsIn';

/** Creates the handler; the client, clock and log writer are injectable for tests. */
export function createHandler(
  cloudwatch: Pick<CloudWatchClient, 'send'> = new CloudWatchClient(runtimeClientConfig(Number(process.env[OPERATIONS_ENV.functionTimeoutSeconds] ?? 60))),
  now: () => number = Date.now,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): (input: CostRequestInput) => Promise<CostBreakdown & { periodStart: string }> {
  return async (input) => {
    if (!input?.pipeline || !(input.periodSeconds >= 60) || !Array.isArray(input.functions)) {
      throw new Error(`not a cost request (pipeline, periodSeconds of at least 60, functions): ${JSON.stringify(input)?.slice(0, 300)}`);
    }
    const request = withDefaultPrices(input);
    const period = request.periodSeconds;
    const end = Math.floor(now() / 1000 / period) * period;
    const start = end - period;
    const queries = usageQueries(request);
    const values = new Map<string, number>();
    const hourly = [...queries.filter((q) => !q.daily).map((q) => toQuery(q, period)), recordsInQuery(request, period)];
    await read(cloudwatch, hourly, start, end, values);
    // Storage metrics are daily: the latest value of the last two days.
    const daily = queries.filter((q) => q.daily).map((q) => toQuery(q, DAILY_SECONDS));
    if (daily.length > 0) await read(cloudwatch, daily, end - 2 * DAILY_SECONDS, end, values);
    const cost = priceUsage(request, queries, values, values.get(RECORDS_IN_ID) ?? 0);
    await cloudwatch.send(new PutMetricDataCommand({ Namespace: METRIC_NAMESPACE, MetricData: datums(request.pipeline, cost, new Date(start * 1000)) }));
    const periodStart = new Date(start * 1000).toISOString();
    write(JSON.stringify({ message: 'cost published', pipeline: request.pipeline, periodStart, periodSeconds: period, ...cost }));
    return { ...cost, periodStart };
  };
}

function toQuery(q: UsageQuery, period: number): MetricDataQuery {
  if (q.expression) return { Id: q.id, Expression: q.expression, Period: period, ReturnData: true };
  const m = q.metric!;
  return {
    Id: q.id,
    MetricStat: {
      Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: period,
      Stat: m.stat,
    },
    ReturnData: true,
  };
}

function recordsInQuery(request: CostRequest, period: number): MetricDataQuery {
  return {
    Id: RECORDS_IN_ID,
    MetricStat: {
      Metric: {
        Namespace: METRIC_NAMESPACE,
        MetricName: PipelineMetricName.RECORDS_IN,
        Dimensions: [
          { Name: METRIC_DIMENSION.pipeline, Value: request.pipeline },
          { Name: METRIC_DIMENSION.stage, Value: request.stage },
        ],
      },
      Period: period,
      Stat: 'Sum',
    },
    ReturnData: true,
  };
}

/** Reads the newest value of each query into `values` (all pages, at most 500 queries per call). */
async function read(cloudwatch: Pick<CloudWatchClient, 'send'>, queries: MetricDataQuery[], start: number, end: number, values: Map<string, number>): Promise<void> {
  for (let i = 0; i < queries.length; i += MAX_QUERIES) {
    let token: string | undefined;
    do {
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + MAX_QUERIES),
          StartTime: new Date(start * 1000),
          EndTime: new Date(end * 1000),
          ScanBy: 'TimestampDescending',
          NextToken: token,
        }),
      );
      for (const r of out.MetricDataResults ?? []) {
        if (r.Id && r.Values && r.Values.length > 0 && !values.has(r.Id)) values.set(r.Id, r.Values[0]);
      }
      token = out.NextToken;
    } while (token);
  }
}

/** `CostUsd` in total and per service, and `CostPerMillionRecords` when records came in. */
function datums(pipeline: string, cost: CostBreakdown, timestamp: Date): MetricDatum[] {
  const pipelineDimension = { Name: METRIC_DIMENSION.pipeline, Value: pipeline };
  const out: MetricDatum[] = [
    { MetricName: OperationsMetricName.COST_USD, Dimensions: [pipelineDimension], Timestamp: timestamp, Value: round(cost.totalUsd), Unit: 'None' },
    ...Object.entries(cost.byService).map(([service, usd]) => ({
      MetricName: OperationsMetricName.COST_USD,
      Dimensions: [pipelineDimension, { Name: OPERATIONS_DIMENSION.service, Value: service }],
      Timestamp: timestamp,
      Value: round(usd),
      Unit: 'None' as const,
    })),
  ];
  if (cost.perMillionRecords !== undefined) {
    out.push({ MetricName: OperationsMetricName.COST_PER_MILLION_RECORDS, Dimensions: [pipelineDimension], Timestamp: timestamp, Value: round(cost.perMillionRecords), Unit: 'None' });
  }
  return out;
}

function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

export const handler = createHandler();
