/**
 * The local Kinesis event source counts records it delivers again after a delivery handled them
 * (Kinesis retries from the lowest failed record, so records after it come back): the runtime counts
 * them a second time (dropped again, or skipped as a duplicate of itself), and a dead-letter range
 * may hold them too. The report counts each record once with these numbers.
 */
import { CreateStreamCommand, DescribeStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulators, type Emulators } from '../../../../local/services/emulators';
import { drainKinesis } from '../../../../local/services/event-sources/kinesis-event-source';
import type { BatchHandler } from '../../../../local/services/event-sources/types';
import { droppedItemsOf } from '../../../../local/run/wiring';

jest.setTimeout(60_000);

describe('Kinesis event source: records delivered again after they were handled', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  let n = 0;

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['kinesis'] });
    kinesis = emulators.clients.kinesis();
  });
  afterAll(async () => emulators?.stop());

  /** A one-shard stream holding records r1..r<count>; their sequence numbers by name. */
  async function stream(count: number): Promise<{ name: string; seq: Record<string, string> }> {
    const name = `redelivery-${++n}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    while ((await kinesis.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription?.StreamStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
    const ids = Array.from({ length: count }, (_, i) => `r${i + 1}`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: ids.map((id) => ({ Data: Buffer.from(id), PartitionKey: 'p' })) }));
    return { name, seq: Object.fromEntries(ids.map((id, i) => [id, out.Records?.[i].SequenceNumber as string])) };
  }

  const idsOf = (event: unknown) => (event as { Records: Array<{ kinesis: { data: string; sequenceNumber: string } }> }).Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());

  test('a partial failure: the records after the failed one come back and are counted as handled again', async () => {
    const { name, seq } = await stream(4);
    const deliveries: string[][] = [];
    const handler: BatchHandler = async (event) => {
      deliveries.push(idsOf(event));
      // r4 is dropped every time; r2 fails on its first delivery.
      return { batchItemFailures: deliveries.length === 1 ? [{ itemIdentifier: seq.r2 }] : [], droppedItems: [seq.r4] };
    };
    const stats = await drainKinesis(kinesis, undefined, { streamName: name, streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`, handler, batchSize: 10 });
    expect(deliveries).toEqual([
      ['r1', 'r2', 'r3', 'r4'],
      ['r2', 'r3', 'r4'],
    ]);
    expect(stats).toEqual(expect.objectContaining({ itemFailures: 1, redeliveredDropped: 1, redeliveredDuplicates: 1, deadLetteredHandled: 0 }));
  });

  test('a dead-letter range holding records a delivery handled: counted as such', async () => {
    const { name, seq } = await stream(3);
    let calls = 0;
    const handler: BatchHandler = async () => {
      calls++;
      return { batchItemFailures: [{ itemIdentifier: seq.r1 }] };
    };
    const stats = await drainKinesis(kinesis, undefined, { streamName: name, streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`, handler, batchSize: 10, retryAttempts: 1 });
    expect(calls).toBe(2);
    // r2 and r3 were handled by the first delivery, counted again by the second, and given up with r1.
    expect(stats).toEqual(expect.objectContaining({ recordsDeadLettered: 3, deadLetteredHandled: 2, redeliveredDuplicates: 2, redeliveredDropped: 0 }));
  });

  test('a whole-batch failure (the function threw) handles nothing', async () => {
    const { name } = await stream(2);
    let calls = 0;
    const handler: BatchHandler = async () => {
      if (++calls === 1) throw new Error('Sandbox.Timedout');
      return {};
    };
    const stats = await drainKinesis(kinesis, undefined, { streamName: name, streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`, handler, batchSize: 10, bisectBatchOnError: false });
    expect(stats).toEqual(expect.objectContaining({ functionErrors: 1, redeliveredDuplicates: 0, redeliveredDropped: 0 }));
  });

  test("the records a function dropped are read from the runtime's batch log line", () => {
    const log = JSON.stringify({ level: 'INFO', message: 'batch processed', droppedIds: ['seq-4', 'seq-9'], retriedIds: [] });
    expect(droppedItemsOf(['not json', '{"_aws":{}}', log])).toEqual(['seq-4', 'seq-9']);
    expect(droppedItemsOf(['{"message":"other","droppedIds":["x"]}'])).toBeUndefined();
    expect(droppedItemsOf([])).toBeUndefined();
  });
});
