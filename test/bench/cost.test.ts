import { byService, costPerMillion, mergeLoad, waitsPerBatchMs, WORKLOAD, type Inventory } from '../../bench/cost';
import { PRICES } from '../../bench/cost-prices';
import { perRecord } from './fixtures';

const INVENTORY: Inventory = { alarmMetrics: 50, compositeAlarms: 4, kmsKeys: 3, customMetrics: 27, scheduledInvocationsPerMonth: 44_640 };
const puts = perRecord({ s3Puts: 0.02, byOperation: { PutObject: 0.02 } });
const item = (b: ReturnType<typeof costPerMillion>, service: string, line: string) => b.items.find((i) => i.service === service && i.item.startsWith(line))?.usd;

describe('cost model', () => {
  it('waits per batch follow each contender\'s call pattern', () => {
    // Claims: BatchGetItem 10 ms, ⌈100/32⌉ = 4 waves of claims at 5 ms, lineage then curated PUTs at 25 ms.
    expect(waitsPerBatchMs('claims')).toBe(10 + 4 * 5 + 2 * 25);
    expect(waitsPerBatchMs('table')).toBe(2 * 25);
    expect(waitsPerBatchMs('alternative')).toBe(2 * 5 + 25);
  });

  it('prices the transform from measured CPU plus the round trips', () => {
    const b = costPerMillion('table', { recordsPerSecond: 10_000, perRecord: puts, emfBytesPerBatch: 0 }, INVENTORY);
    // 100 records at 10,000/s = 10 ms of one core, × 1769/1024 at 1 GB, + 50 ms of PUTs → 68 ms.
    expect(b.billedMsPerBatch).toBe(Math.ceil(10 * (1769 / 1024) + 50));
    expect(item(b, 'Lambda', 'transform GB-seconds')).toBeCloseTo(10_000 * 0.068 * PRICES.lambdaArmGbSecond, 6);
    expect(item(b, 'Lambda', 'transform requests')).toBeCloseTo(10_000 * PRICES.lambdaRequest, 6);
    expect(item(b, 'S3', 'PUTs by the transform')).toBeCloseTo(20_000 * PRICES.s3PutRequest, 6);
  });

  it('bills Firehose 5 KB per 1 KB record and provisioned Kinesis by shard-hours and payload units', () => {
    const b = costPerMillion('table', { recordsPerSecond: 10_000, perRecord: puts, emfBytesPerBatch: 0 }, INVENTORY);
    expect(item(b, 'Firehose', 'raw archive')).toBeCloseTo(((1e6 * 5120) / 1024 ** 3) * PRICES.firehoseIngestGb, 6);
    // 1,000 records/s of 1 KB: one shard's record limit, at 50 % utilisation two shards, for 1,000 s.
    expect(item(b, 'Kinesis', 'shard-hours')).toBeCloseTo(((2 * 1000) / 3600) * PRICES.kinesisShardHour, 6);
    expect(item(b, 'Kinesis', 'PUT payload units')).toBeCloseTo(1e6 * PRICES.kinesisPutPayloadUnit, 6);
  });

  it('counts one MERGE per maxObjectsPerMerge objects per tick, each scanning the table', () => {
    const load = mergeLoad(10_000);
    // 1e6 records at 1,000/s: 1,000 s, 1.11 ticks of 15 minutes; 9,000 objects a tick → 45 statements.
    expect(load.ticks).toBeCloseTo(1e6 / 900_000, 9);
    expect(load.statements).toBeCloseTo(45 * load.ticks, 6);
    expect(load.bytesPerStatement).toBeCloseTo((200 * 100 * 1024) / WORKLOAD.gzipRatio + 10_000_000 * 100, 0);
    expect(mergeLoad(10_000, { ...WORKLOAD, maxObjectsPerMerge: 10_000 }).statements).toBeCloseTo(load.ticks, 9);
  });

  it('bills a small MERGE at Athena\'s 10 MB minimum', () => {
    expect(mergeLoad(10_000, { ...WORKLOAD, tableRows: 0 }).bytesPerStatement).toBe(10 * 1024 ** 2);
  });

  it('prices the Athena MERGE from statements × bytes, growing with the table', () => {
    const m = { recordsPerSecond: 10_000, perRecord: puts, emfBytesPerBatch: 0 };
    const small = costPerMillion('table', m, INVENTORY);
    const large = costPerMillion('table', m, INVENTORY, { ...WORKLOAD, tableRows: 100_000_000 });
    const bytes = (small.merge?.statements ?? 0) * (small.merge?.bytesPerStatement ?? 0);
    expect(item(small, 'Athena', 'MERGE')).toBeCloseTo((bytes / 1024 ** 4) * PRICES.athenaTbScanned, 6);
    expect(item(large, 'Athena', 'MERGE')).toBeGreaterThan(9 * (item(small, 'Athena', 'MERGE') ?? 0));
  });

  it('charges DynamoDB by the measured units, and the alternative nothing it does not run', () => {
    const alt = costPerMillion('alternative', { recordsPerSecond: 2000, perRecord: perRecord({ writeUnits: 2, s3Puts: 0.01 }), emfBytesPerBatch: 300 }, INVENTORY);
    expect(byService(alt).DynamoDB).toBeCloseTo(2 * 1e6 * PRICES.dynamoDbWriteUnit, 6);
    expect(Object.keys(byService(alt)).sort()).toEqual(['CloudWatch', 'DynamoDB', 'Kinesis', 'Lambda', 'S3']);
    const claims = costPerMillion('claims', { recordsPerSecond: 4000, perRecord: perRecord({ writeUnits: 1, readUnits: 1, s3Puts: 0.02 }), emfBytesPerBatch: 2000 }, INVENTORY);
    expect(byService(claims).DynamoDB).toBeCloseTo(1e6 * (PRICES.dynamoDbWriteUnit + PRICES.dynamoDbReadUnit), 6);
  });

  it('amortises monthly charges over a month of records at the stated rate', () => {
    const b = costPerMillion('table', { recordsPerSecond: 10_000, perRecord: puts, emfBytesPerBatch: 0 }, INVENTORY);
    const months = 1e6 / (1000 * 30 * 86_400);
    expect(item(b, 'CloudWatch', 'alarms')).toBeCloseTo((50 * 0.1 + 4 * 0.5) * months, 6);
    expect(item(b, 'KMS', 'keys')).toBeCloseTo(3 * months, 6);
  });

  it('totals its lines, and archiving from the transform trades Firehose for one PUT per batch', () => {
    const m = { recordsPerSecond: 10_000, perRecord: puts, emfBytesPerBatch: 0 };
    const b = costPerMillion('table', m, INVENTORY);
    expect(b.total).toBeCloseTo(b.items.reduce((s, i) => s + i.usd, 0), 5);
    const raw = costPerMillion('table', m, INVENTORY, { ...WORKLOAD, archive: 'transform' });
    expect(byService(raw).Firehose).toBeUndefined();
    expect(item(raw, 'S3', 'PUTs by the transform')).toBeCloseTo(30_000 * PRICES.s3PutRequest, 6);
  });
});
