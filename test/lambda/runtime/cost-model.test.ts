import { CostService, DEFAULT_COST_PRICES } from '../../../lib/contract/cost';
import { priceUsage, usageQueries } from '../../../lambda/runtime/cost-model';
import { exampleRequest } from './fixtures/cost-request';

const GB = 1024 ** 3;

describe('cost model (M6)', () => {
  test('a hand-worked hour: every service priced from its usage metric, USD per million records in', () => {
    const request = exampleRequest();
    const queries = usageQueries(request);
    const values = new Map<string, number>([
      ['l0d', 3_600_000], // 3,600,000 ms at 1 GB = 3,600 GB-s × 0.0000133334 = 0.04800024
      ['l0n', 10_000], // × 0.0000002 = 0.002
      ['b0', 730 * GB], // 730 GB × 0.023 per GB-month × 1/730 of a month = 0.023
      ['w0', 10_000], // one PUT per transform invocation × 0.000005 = 0.05
      ['t0w', 1_000_000], // × 0.000000625 = 0.625
      ['t0r', 2_000_000], // × 0.000000125 = 0.25
      ['k0i', 10 * GB], // × 0.08 per GB = 0.8
      ['k0o', 20 * GB], // × 0.04 per GB = 0.8 (+ the stream-hour, 0.04)
      ['f0', 10 * GB], // × 0.029 = 0.29
      ['q0s', 1_000_000], ['q0r', 1_000_000], ['q0d', 1_000_000], ['q0e', 500_000], // 3.5 M requests × 0.0000004 = 1.4
      ['m0', 100], // 100 executions × 20 transitions × 0.000025 = 0.05
      ['a0', 0.5 * 1024 ** 4], // 0.5 TB × 5 = 2.5
      ['g0', 2 * GB], // × 0.5 = 1
    ]);
    const cost = priceUsage(request, queries, values, 1_000_000);
    const expected: Record<string, number> = {
      [CostService.LAMBDA]: 0.05000024,
      [CostService.S3]: 0.073,
      [CostService.DYNAMODB]: 0.875,
      [CostService.KINESIS]: 1.64,
      [CostService.FIREHOSE]: 0.29,
      [CostService.SQS]: 1.4,
      [CostService.STEP_FUNCTIONS]: 0.05,
      [CostService.ATHENA]: 2.5,
      [CostService.CLOUDWATCH_LOGS]: 1,
    };
    expect(Object.keys(cost.byService).sort()).toEqual(Object.keys(expected).sort());
    for (const [service, usd] of Object.entries(expected)) expect({ service, usd: cost.byService[service] }).toEqual({ service, usd: expect.closeTo(usd, 9) });
    expect(cost.totalUsd).toBeCloseTo(7.87800024, 9);
    expect(cost.perMillionRecords).toBeCloseTo(7.87800024, 9);
  });

  test('the price table overrides, provisioned streams by shard-hour and PUT payload unit, no records in: no per-million figure', () => {
    const request = exampleRequest({
      prices: { ...DEFAULT_COST_PRICES, lambdaArmGbSecond: 0.00001 },
      streams: [{ name: 'orders-stream', shards: 4 }],
    });
    const queries = usageQueries(request);
    expect(queries.map((q) => q.id)).toContain('k0p');
    expect(queries.map((q) => q.id)).not.toContain('k0i');
    const cost = priceUsage(request, queries, new Map([['l0d', 1_000_000], ['k0p', 1_000_000]]), 0);
    expect(cost.byService[CostService.LAMBDA]).toBeCloseTo(0.01, 12); // 1,000 GB-s × 0.00001
    expect(cost.byService[CostService.KINESIS]).toBeCloseTo(4 * 0.015 + 0.014, 12); // 4 shard-hours + 1 M PUT payload units
    expect(cost.perMillionRecords).toBeUndefined();
  });

  test('the queries: dimensions as CloudWatch publishes them; storage daily; Athena by a search over its workgroup', () => {
    const queries = usageQueries(exampleRequest());
    const byId = Object.fromEntries(queries.map((q) => [q.id, q]));
    expect(byId.b0).toMatchObject({ daily: true, metric: { namespace: 'AWS/S3', name: 'BucketSizeBytes', dimensions: { BucketName: 'orders-curated', StorageType: 'StandardStorage' }, stat: 'Average' } });
    expect(byId.l0d.metric).toEqual({ namespace: 'AWS/Lambda', name: 'Duration', dimensions: { FunctionName: 'orders-transform' }, stat: 'Sum' });
    expect(byId.m0.metric?.dimensions).toEqual({ StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-batch' });
    expect(byId.a0.expression).toBe(`SUM(SEARCH('{AWS/Athena,QueryState,QueryType,WorkGroup} MetricName="ProcessedBytes" WorkGroup="orders"', 'Sum', 3600))`);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
    for (const q of queries) expect(q.id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
  });
});
