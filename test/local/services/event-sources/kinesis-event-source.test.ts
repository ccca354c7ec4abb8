import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { drainKinesis, laneOf, type KinesisFailureRecord } from '../../../../local/services/event-sources/kinesis-event-source';
import { startEmulators, type Emulators } from '../../../../local/services/emulators';

/** A Kinesis record as the handler gets it. */
interface DeliveredRecord {
  readonly key: string;
  readonly sequenceNumber: bigint;
  readonly shardId: string;
  readonly data: { key: string; n: number };
}

/** The records of a Kinesis event. */
function recordsOf(event: unknown): DeliveredRecord[] {
  return (event as { Records: Array<{ eventID: string; kinesis: { partitionKey: string; sequenceNumber: string; data: string } }> }).Records.map((r) => ({
    key: r.kinesis.partitionKey,
    sequenceNumber: BigInt(r.kinesis.sequenceNumber),
    shardId: r.eventID.split(':')[0],
    data: JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { key: string; n: number },
  }));
}

/** A promise and its resolve, to hold invocations until enough are in flight. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Kinesis as a Lambda event source mapping runs it: every shard at once, ParallelizationFactor
 * batches per shard at once, records of a partition key in order and never in two batches at once,
 * error handling per concurrent batch, and a shard checkpoint that never passes a record not done.
 * No timing: invocations are held until the expected number are in flight.
 */
describe('drainKinesis with ParallelizationFactor', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['sqs', 'kinesis'] });
    kinesis = emulators.clients.kinesis();
    sqs = emulators.clients.sqs();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  async function stream(name: string, shards: number, keys: string[], perKey: number): Promise<string> {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    for (let i = 0; i < 100; i++) {
      const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // One record per key and round, rounds in order: each key's records are n = 0, 1, 2, ...
    for (let n = 0; n < perKey; n++) {
      await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(JSON.stringify({ key, n })) })) }));
    }
    return `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`;
  }

  test('shards × ParallelizationFactor batches at once, never more; each key in order, never in two batches at once; checkpoints behind what is in flight', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const streamArn = await stream('parallel', 2, keys, 4);
    const cap = 2 * 3;
    const delivered: DeliveredRecord[] = [];
    const keysInFlight = new Set<string>();
    const overlaps: string[] = [];
    const checkpointViolations: string[] = [];
    const checkpoints = new Map<string, string>();
    let inFlight = 0;
    let most = 0;
    const all = gate();
    const stats = await drainKinesis(kinesis, sqs, {
      streamName: 'parallel',
      streamArn,
      batchSize: 3,
      parallelizationFactor: 3,
      checkpoints,
      handler: async (event) => {
        const records = recordsOf(event);
        inFlight++;
        most = Math.max(most, inFlight);
        for (const r of records) {
          const checkpoint = checkpoints.get(r.shardId);
          if (checkpoint !== undefined && BigInt(checkpoint) >= r.sequenceNumber) checkpointViolations.push(`${r.shardId} ${r.sequenceNumber} at checkpoint ${checkpoint}`);
        }
        const keysHere = new Set(records.map((r) => r.key));
        for (const key of keysHere) if (keysInFlight.has(key)) overlaps.push(key);
        keysHere.forEach((key) => keysInFlight.add(key));
        delivered.push(...records);
        // Hold every batch until all shards' concurrent batches are in flight at once.
        if (inFlight === cap) all.open();
        await all.opened;
        keysHere.forEach((key) => keysInFlight.delete(key));
        inFlight--;
        return { batchItemFailures: [] };
      },
    });

    expect(most).toBe(cap);
    expect(stats.peakConcurrentInvocations).toBe(cap);
    expect(overlaps).toEqual([]);
    expect(checkpointViolations).toEqual([]);
    expect(delivered).toHaveLength(keys.length * 4);
    for (const key of keys) {
      const mine = delivered.filter((r) => r.key === key);
      expect({ key, n: mine.map((r) => r.data.n) }).toEqual({ key, n: [0, 1, 2, 3] });
      const sequence = mine.map((r) => r.sequenceNumber);
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    }
    // Every record done: each shard's checkpoint is its last record.
    const lastOf = new Map<string, bigint>();
    for (const r of delivered) if ((lastOf.get(r.shardId) ?? -1n) < r.sequenceNumber) lastOf.set(r.shardId, r.sequenceNumber);
    expect(new Map([...checkpoints].map(([shard, s]) => [shard, BigInt(s)]))).toEqual(lastOf);

    // A drain after the checkpoints reads nothing.
    const again = await drainKinesis(kinesis, sqs, { streamName: 'parallel', streamArn, parallelizationFactor: 3, checkpoints, handler: async () => ({ batchItemFailures: [] }) });
    expect(again.invocations).toBe(0);
  });

  test('a failing record retries, bisects and dead-letters within its own concurrent batch; the others go on', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k-${i}`);
    const poisonKey = keys[0];
    const streamArn = await stream('failing', 1, keys, 3);
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'failing-dlq' }))).QueueUrl as string;
    const deliveries: DeliveredRecord[][] = [];
    const succeededBatches: DeliveredRecord[][] = [];
    let inFlight = 0;
    let most = 0;
    const checkpoints = new Map<string, string>();
    const stats = await drainKinesis(kinesis, sqs, {
      streamName: 'failing',
      streamArn,
      batchSize: 4,
      parallelizationFactor: 2,
      retryAttempts: 1,
      bisectBatchOnError: true,
      onFailureQueueUrl: dlq,
      checkpoints,
      handler: async (event) => {
        const records = recordsOf(event);
        inFlight++;
        most = Math.max(most, inFlight);
        deliveries.push(records);
        await Promise.resolve();
        inFlight--;
        if (records.some((r) => r.key === poisonKey && r.data.n === 1)) throw new Error('poison');
        succeededBatches.push(records);
        return { batchItemFailures: [] };
      },
    });

    expect(most).toBeLessThanOrEqual(2);
    const poisonLane = laneOf(poisonKey, 2);
    const otherLane = keys.filter((k) => laneOf(k, 2) !== poisonLane);
    expect(otherLane.length).toBeGreaterThan(0);
    // The other concurrent batch: every record once, in order per key, whatever happened next to it.
    for (const key of otherLane) expect(succeededBatches.flat().filter((r) => r.key === key).map((r) => r.data.n)).toEqual([0, 1, 2]);
    // The poison record was isolated by bisecting and retried; when retries ran out it and the rest of
    // its batch (same concurrent batch only) went to the on-failure destination.
    expect(stats.functionErrors).toBeGreaterThan(1);
    const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }))).Messages ?? [];
    expect(messages).toHaveLength(1);
    const failure = JSON.parse(messages[0].Body as string) as KinesisFailureRecord;
    expect(failure.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(failure.KinesisBatchInfo.batchSize).toBe(stats.recordsDeadLettered);
    const poison = deliveries.flat().find((r) => r.key === poisonKey && r.data.n === 1) as DeliveredRecord;
    expect(failure.KinesisBatchInfo.startSequenceNumber).toBe(String(poison.sequenceNumber));
    // Every record of the poison's concurrent batch succeeded once or was given up on, never both.
    const start = BigInt(failure.KinesisBatchInfo.startSequenceNumber);
    const end = BigInt(failure.KinesisBatchInfo.endSequenceNumber);
    const succeeded = new Set(succeededBatches.flat().map((r) => r.sequenceNumber));
    const poisonLaneRecords = [...new Map(deliveries.flat().filter((r) => laneOf(r.key, 2) === poisonLane).map((r) => [r.sequenceNumber, r])).values()];
    const givenUp = poisonLaneRecords.filter((r) => r.sequenceNumber >= start && r.sequenceNumber <= end && !succeeded.has(r.sequenceNumber));
    expect(givenUp).toHaveLength(stats.recordsDeadLettered);
    expect(poisonLaneRecords.filter((r) => !succeeded.has(r.sequenceNumber))).toEqual(givenUp);
    // Everything is done: the checkpoint is the shard's last record.
    const last = deliveries.flat().reduce((m, r) => (r.sequenceNumber > m ? r.sequenceNumber : m), 0n);
    expect([...checkpoints.values()].map((s) => BigInt(s))).toEqual([last]);
  });
});
