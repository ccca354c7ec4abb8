/**
 * `redrive-stream` against kinesalite (the stream) and fauxqs (the Kinesis DLQ, holding Lambda's
 * on-failure invocation records): ranges read back and put again exactly, ranges past the
 * stream's retention reported and kept, PutRecords partial failures retried, the rate cap.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseBatchInfo } from '../../cli/commands/redrive-stream';
import { main } from '../../cli/main';
import { startEmulators, type Emulators } from '../../local/services/emulators';
import { captureIo, clientsOf, writeOutputsFile } from './support';

jest.setTimeout(60_000);

interface Put {
  readonly data: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
}

/** Lambda's on-failure invocation record of a Kinesis batch (as sent to an SQS destination). */
function invocationRecord(streamArn: string, records: readonly Put[], overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    requestContext: { requestId: 'c9b8fa9f-0000-4000-8000-0c604cde93a5', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:transform', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
    responseContext: { statusCode: 200, executedVersion: '1', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId: records[0].shardId,
      startSequenceNumber: records[0].sequenceNumber,
      endSequenceNumber: records[records.length - 1].sequenceNumber,
      approximateArrivalOfFirstRecord: new Date().toISOString(),
      approximateArrivalOfLastRecord: new Date().toISOString(),
      batchSize: records.length,
      streamArn,
      ...overrides,
    },
  });
}

describe('redrive-stream on kinesalite and emulated SQS', () => {
  let emulators: Emulators;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let n = 0;

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['sqs', 'kinesis'] });
    sqs = emulators.clients.sqs();
    kinesis = emulators.clients.kinesis();
  });
  afterAll(async () => emulators?.stop());

  /** A one-shard stream (kinesalite needs ShardCount) and its ARN. */
  async function createStream(): Promise<{ name: string; arn: string }> {
    n++;
    const name = `clickstream-${n}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    for (;;) {
      const d = (await kinesis.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
      if (d?.StreamStatus === 'ACTIVE') return { name, arn: d.StreamARN as string };
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function put(stream: string, from: number, count: number): Promise<Put[]> {
    const entries = Array.from({ length: count }, (_, i) => ({ data: JSON.stringify({ eventId: `evt-${stream}-${from + i}` }), partitionKey: `user-${(from + i) % 3}` }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries.map((e) => ({ Data: Buffer.from(e.data), PartitionKey: e.partitionKey })) }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
    return entries.map((e, i) => ({ ...e, sequenceNumber: out.Records?.[i].SequenceNumber as string, shardId: out.Records?.[i].ShardId as string }));
  }

  /** Every record of the stream's shard, oldest first. */
  async function readAll(stream: string): Promise<Array<{ data: string; partitionKey: string; sequenceNumber: string }>> {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const all: Array<{ data: string; partitionKey: string; sequenceNumber: string }> = [];
    while (iterator) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      if (!out.Records?.length) break;
      for (const r of out.Records) all.push({ data: Buffer.from(r.Data ?? []).toString(), partitionKey: r.PartitionKey ?? '', sequenceNumber: r.SequenceNumber ?? '' });
      iterator = out.NextShardIterator;
    }
    return all;
  }

  /** Records put after `last` (the redriven ones), as data and partition key. */
  async function putAfter(stream: string, last: Put) {
    return (await readAll(stream)).filter((r) => BigInt(r.sequenceNumber) > BigInt(last.sequenceNumber)).map(({ data, partitionKey }) => ({ data, partitionKey }));
  }

  /** The stream's DLQ holding `bodies`; an outputs file naming it (and another DLQ) like EtlPipeline does. */
  async function setup(stream: { name: string; arn: string }, bodies: string[]) {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `kinesis-dlq-${n}` }))).QueueUrl as string;
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlqUrl, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })) }));
    }
    const file = writeOutputsFile({
      EtlStack: {
        PipelineStreamName00684A1A: stream.name,
        PipelineStreamArn0994E262: stream.arn,
        PipelineKinesisDlq1UrlCC911075: dlqUrl,
        PipelineBufferDlqUrl9BA9DAB0: dlqUrl.replace(/kinesis-dlq-\d+$/, 'buffer-dlq'),
      },
    });
    return { dlqUrl, file };
  }

  async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
  }

  const pick = (records: Put[]) => records.map(({ data, partitionKey }) => ({ data, partitionKey }));

  test('a range redriven puts exactly its records back (same data and partition keys, in order) and its message is deleted', async () => {
    const stream = await createStream();
    const records = await put(stream.name, 0, 10);
    const { dlqUrl, file } = await setup(stream, [invocationRecord(stream.arn, records.slice(3, 8))]);
    const io = captureIo();
    expect(await main(['redrive-stream', '--outputs', file, '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis }) })).toBe(0);
    expect(await putAfter(stream.name, records[9])).toEqual(pick(records.slice(3, 8)));
    expect(await counts(dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const out = io.lines.join('\n');
    expect(out).toContain(`re-put 5 record(s) of ${stream.name} shardId-000000000000 ${records[3].sequenceNumber}..${records[7].sequenceNumber}; message deleted`);
    expect(out).toContain('redrive-stream done: 1 range(s), 5 record(s) put back; 0 range(s) gone and 0 message(s) not understood, left in the DLQ');
  });

  test('a range past the stream retention stays in the DLQ and is reported, as do a gone shard and a foreign message (exit 4); --dry-run first puts nothing', async () => {
    // The old records were written 25 hours ago: past the stream's 24-hour retention now.
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 25 * 3600 * 1000);
    let stream: { name: string; arn: string };
    let old: Put[];
    try {
      stream = await createStream();
      old = await put(stream.name, 0, 4);
    } finally {
      clock.mockRestore();
    }
    const fresh = await put(stream.name, 100, 6);
    const goneShard = invocationRecord(stream.arn, fresh.slice(0, 2), { shardId: 'shardId-000000000009' });
    const { dlqUrl, file } = await setup(stream, [invocationRecord(stream.arn, old.slice(1, 3)), invocationRecord(stream.arn, fresh.slice(2, 4)), goneShard, '{"detail":{"eventId":"x"}}']);

    const dry = captureIo();
    expect(await main(['redrive-stream', '--outputs', file, '--dry-run'], { io: dry, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis }) })).toBe(4);
    expect(dry.lines).toContain(`  would re-put 2 record(s) of ${stream.name} shardId-000000000000 ${fresh[2].sequenceNumber}..${fresh[3].sequenceNumber}`);
    expect(dry.lines).toContain('dry run: 1 range(s) readable (2 records), 2 gone, 1 not understood; nothing put');
    expect(await putAfter(stream.name, fresh[5])).toEqual([]);
    expect(await counts(dlqUrl)).toEqual({ visible: 4, inFlight: 0 });

    const io = captureIo();
    expect(await main(['redrive-stream', '--outputs', file, '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis }) })).toBe(4);
    expect(await putAfter(stream.name, fresh[5])).toEqual(pick(fresh.slice(2, 4)));
    expect(await counts(dlqUrl)).toEqual({ visible: 3, inFlight: 0 });
    const err = io.errors.join('\n');
    expect(err).toContain(
      `${stream.name} shardId-000000000000 ${old[1].sequenceNumber}..${old[2].sequenceNumber}: cannot be read whole any more: no record of the range is in the stream (past its retention); message`,
    );
    expect(err).toMatch(/shardId-000000000009 \d+\.\.\d+: cannot be read whole any more: ResourceNotFoundException: .*left in the DLQ/);
    expect(err).toMatch(/not understood: no KinesisBatchInfo \(not a Kinesis on-failure record\); left in the DLQ/);
    expect(err).toMatch(/^incomplete: 3 message\(s\) of .*kinesis-dlq-\d+ could not be redriven/m);
    expect(io.lines).toContain('redrive-stream done: 1 range(s), 2 record(s) put back; 2 range(s) gone and 1 message(s) not understood, left in the DLQ');
  });

  test('PutRecords entries that fail are put again; entries that keep failing stop the redrive (exit 1) and keep the message', async () => {
    const stream = await createStream();
    const records = await put(stream.name, 0, 6);
    const { dlqUrl, file } = await setup(stream, [invocationRecord(stream.arn, records)]);
    let calls = 0;
    const throttling = (failAlways: boolean) => ({
      send: async (command: { constructor: { name: string }; input: { Records?: PutRecordsRequestEntry[]; StreamName?: string } }) => {
        if (command.constructor.name !== 'PutRecordsCommand' || (calls++ > 0 && !failAlways)) return kinesis.send(command as never);
        const entries = command.input.Records ?? [];
        // Every other entry the first time; with failAlways, every entry of partition key user-1, each time.
        const failed = (i: number) => (failAlways ? entries[i].PartitionKey === 'user-1' : i % 2 === 1);
        const passed = entries.filter((_, i) => !failed(i));
        const out = passed.length ? await kinesis.send(new PutRecordsCommand({ StreamName: command.input.StreamName, Records: passed })) : { Records: [] };
        let next = 0;
        return {
          FailedRecordCount: entries.filter((_, i) => failed(i)).length,
          Records: entries.map((_, i) => (failed(i) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' } : out.Records?.[next++])),
        };
      },
    });
    const io = captureIo();
    expect(await main(['redrive-stream', '--outputs', file, '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis: throttling(false) }), sleep: async () => undefined })).toBe(0);
    const again = await putAfter(stream.name, records[5]);
    expect([...again].sort((a, b) => a.data.localeCompare(b.data))).toEqual(pick(records));
    expect(await counts(dlqUrl)).toEqual({ visible: 0, inFlight: 0 });

    const stuck = await setup(stream, [invocationRecord(stream.arn, records.slice(0, 2))]);
    const failing = captureIo();
    expect(await main(['redrive-stream', '--outputs', stuck.file, '--yes'], { io: failing, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis: throttling(true) }), sleep: async () => undefined })).toBe(1);
    expect(failing.errors.join('\n')).toMatch(/PutRecords to clickstream-\d+: 1 record\(s\) still failing after 6 attempts \(ProvisionedThroughputExceededException\); the message stays in the DLQ/);
    expect(await counts(stuck.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  test('never puts more than --rate records per second', async () => {
    const stream = await createStream();
    const records = await put(stream.name, 0, 25);
    const { file } = await setup(stream, [invocationRecord(stream.arn, records)]);
    const puts: Array<{ at: number; entries: number }> = [];
    const timed = {
      send: (command: { constructor: { name: string }; input: { Records?: unknown[] } }) => {
        if (command.constructor.name === 'PutRecordsCommand') puts.push({ at: performance.now(), entries: command.input.Records?.length ?? 0 });
        return kinesis.send(command as never);
      },
    };
    const started = performance.now();
    expect(await main(['redrive-stream', '--outputs', file, '--yes', '--rate', '20'], { io: captureIo(), emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis: timed }) })).toBe(0);
    // 25 records at 20/s: requests of at most 20, the last record's slot ≥ 24/20 s after the first.
    expect(puts.map((p) => p.entries)).toEqual([20, 5]);
    expect(puts[1].at - started).toBeGreaterThanOrEqual((24 / 20) * 1000 - 15);
  });

  test('without a terminal and without --yes it refuses (exit 3); several Kinesis DLQs need --queue', async () => {
    const stream = await createStream();
    const records = await put(stream.name, 0, 2);
    const { dlqUrl, file } = await setup(stream, [invocationRecord(stream.arn, records)]);
    const io = captureIo();
    expect(await main(['redrive-stream', '--outputs', file], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis }) })).toBe(3);
    expect(io.errors.join('\n')).toMatch(/refusing to put the records of the Kinesis ranges of 1 message\(s\) from .*kinesis-dlq-\d+ back on their stream without confirmation/);
    expect(await counts(dlqUrl)).toEqual({ visible: 1, inFlight: 0 });

    const two = writeOutputsFile({ S: { PipelineKinesisDlq1UrlCC911075: dlqUrl, PipelineKinesisDlq2Url12345678: dlqUrl } });
    const usage = captureIo();
    expect(await main(['redrive-stream', '--outputs', two, '--yes'], { io: usage, emptyWaitSeconds: 0, clients: clientsOf({ sqs, kinesis }) })).toBe(2);
    expect(usage.errors.join('\n')).toMatch(/several Kinesis DLQs \(PipelineKinesisDlq1Url, PipelineKinesisDlq2Url\); choose one with --queue/);
  });
});

describe('parseBatchInfo', () => {
  const arn = 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream';
  const info = { shardId: 'shardId-000000000001', startSequenceNumber: '49601189658422359378836298521827638475320189012309704722', endSequenceNumber: '49601189658422359378836298522902373528957594348623495186', batchSize: 500, streamArn: arn };

  test('reads the range of an on-failure invocation record', () => {
    expect(parseBatchInfo(JSON.stringify({ version: '1.0', KinesisBatchInfo: info }))).toEqual({
      streamName: 'mystream',
      shardId: info.shardId,
      startSequenceNumber: info.startSequenceNumber,
      endSequenceNumber: info.endSequenceNumber,
      batchSize: 500,
    });
    // One-record batches may come without an end: then batchSize records from the start.
    expect(parseBatchInfo(JSON.stringify({ KinesisBatchInfo: { ...info, endSequenceNumber: undefined, batchSize: 1 } }))).toEqual(expect.objectContaining({ endSequenceNumber: undefined, batchSize: 1 }));
  });

  test.each([
    ['not json', /not JSON/],
    [JSON.stringify({ DDBStreamBatchInfo: info }), /no KinesisBatchInfo/],
    [JSON.stringify({ KinesisBatchInfo: { ...info, streamArn: 'mystream' } }), /needs shardId, startSequenceNumber and a stream ARN/],
    [JSON.stringify({ KinesisBatchInfo: { ...info, endSequenceNumber: 'x' } }), /endSequenceNumber is not a sequence number/],
    [JSON.stringify({ KinesisBatchInfo: { ...info, endSequenceNumber: '1' } }), /endSequenceNumber is before startSequenceNumber/],
    [JSON.stringify({ KinesisBatchInfo: { ...info, endSequenceNumber: undefined, batchSize: undefined } }), /neither endSequenceNumber nor batchSize/],
  ])('%s is not understood', (body, problem) => expect(parseBatchInfo(body)).toEqual({ problem: expect.stringMatching(problem) }));
});
