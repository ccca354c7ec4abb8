import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../lambda/handlers/cost-publisher';
import { exampleRequest } from '../runtime/fixtures/cost-request';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());
afterAll(() => cloudwatch.restore());

const NOW = Date.UTC(2026, 11, 7, 10, 10, 0); // the schedule runs 10 minutes past the hour

describe('cost publisher', () => {
  test('prices the last whole hour and publishes CostUsd (total and per service) and CostPerMillionRecords at its start', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: Array<{ Id: string }> }) => ({
      MetricDataResults: input.MetricDataQueries.map((q) => ({
        Id: q.Id,
        Values: q.Id === 'recordsIn' ? [2_000_000] : q.Id === 'l0n' ? [10_000] : q.Id === 'b0' ? [730 * 1024 ** 3, 1] : [],
      })),
    }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const lines: string[] = [];
    const result = await createHandler(new CloudWatchClient({ region: 'us-east-1' }), () => NOW, (l) => lines.push(l))(exampleRequest());

    const [hourly, daily] = cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(hourly.StartTime).toEqual(new Date(Date.UTC(2026, 11, 7, 9)));
    expect(hourly.EndTime).toEqual(new Date(Date.UTC(2026, 11, 7, 10)));
    expect(hourly.MetricDataQueries!.map((q) => q.Id)).toContain('recordsIn');
    expect(hourly.MetricDataQueries!.find((q) => q.Id === 'recordsIn')!.MetricStat).toEqual({
      Metric: { Namespace: 'ServerlessEtl', MetricName: 'RecordsIn', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }, { Name: 'Stage', Value: 'transform' }] },
      Period: 3600,
      Stat: 'Sum',
    });
    expect(daily.MetricDataQueries!.map((q) => q.Id)).toEqual(['b0']);
    expect(daily.StartTime).toEqual(new Date(Date.UTC(2026, 11, 5, 10)));

    // Lambda requests 0.002 + storage 0.023 (the newest daily value) + the stream-hour 0.04.
    expect(result.totalUsd).toBeCloseTo(0.065, 9);
    expect(result.perMillionRecords).toBeCloseTo(0.0325, 9);
    const put = cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(put.Namespace).toBe('ServerlessEtl');
    const data = put.MetricData!;
    for (const d of data) expect(d.Timestamp).toEqual(new Date(Date.UTC(2026, 11, 7, 9)));
    expect(data.find((d) => d.MetricName === 'CostPerMillionRecords')).toMatchObject({ Dimensions: [{ Name: 'Pipeline', Value: 'orders' }], Value: 0.0325 });
    expect(data.find((d) => d.MetricName === 'CostUsd' && d.Dimensions!.length === 1)).toMatchObject({ Value: 0.065 });
    expect(data.filter((d) => d.MetricName === 'CostUsd' && d.Dimensions!.length === 2).map((d) => d.Dimensions![1].Value).sort()).toEqual(
      ['Athena', 'CloudWatchLogs', 'DynamoDB', 'Firehose', 'Kinesis', 'Lambda', 'S3', 'SQS', 'StepFunctions'],
    );
    expect(JSON.parse(lines[0])).toMatchObject({ message: 'cost published', periodStart: '2026-12-07T09:00:00.000Z' });
  });

  test('a request without period or resources is refused with what is missing; nothing is published', async () => {
    const handler = createHandler(new CloudWatchClient({ region: 'us-east-1' }), () => NOW, () => undefined);
    await expect(handler({ ...exampleRequest(), periodSeconds: 0 })).rejects.toThrow(/not a cost request/);
    await expect(handler({ ...exampleRequest(), functions: undefined } as never)).rejects.toThrow(/functions/);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  test('the schedule sends only the prices overridden: the defaults price the rest', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: Array<{ Id: string }> }) => ({
      MetricDataResults: input.MetricDataQueries.map((q) => ({ Id: q.Id, Values: q.Id === 'recordsIn' ? [2_000_000] : q.Id === 'l0n' ? [10_000] : [] })),
    }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const { prices: _all, ...withoutPrices } = exampleRequest();
    const handler = createHandler(new CloudWatchClient({ region: 'us-east-1' }), () => NOW, () => undefined);
    // Defaults: 10,000 requests at 2e-7 and one stream-hour at 0.04.
    expect((await handler(withoutPrices)).totalUsd).toBeCloseTo(0.042, 9);
    // An override of one price changes that charge only.
    expect((await handler({ ...withoutPrices, prices: { kinesisOnDemandStreamHour: 0.1 } })).totalUsd).toBeCloseTo(0.102, 9);
  });
});
