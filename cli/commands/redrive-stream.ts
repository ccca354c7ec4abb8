/**
 * `redrive-stream`: redrives a Kinesis event source's DLQ. Its messages are Lambda's on-failure
 * invocation records: metadata, not records (`KinesisBatchInfo: { shardId, startSequenceNumber,
 * endSequenceNumber, approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord, batchSize,
 * streamArn }`). For each message the range is read back from the stream (GetShardIterator
 * AT_SEQUENCE_NUMBER, GetRecords until past the end) and its records are put on the stream again
 * (PutRecords, same partition key and data, failed entries retried with backoff), at most `rate`
 * records per second; the message is deleted once every record of its range was put. The
 * runtime's idempotency store skips the records already curated, so a redrive never duplicates.
 *
 * A range that can no longer be read whole (past the stream's retention: trimmed, or its shard
 * gone) is reported and its message left in the DLQ: its records are in the raw bucket's
 * `stream-archive/` when the pipeline archives the stream.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import { confirm } from '../confirm';
import { CliError, errorName, EXIT, RateLimiter, realSleep, type CommandContext } from '../context';
import { scopeOf } from '../outputs';
import { dlqDepth, resolveQueue, streamDlqs, workDlq } from '../queues';

export interface StreamRedriveOptions {
  /** The Kinesis DLQ: an output name (`KinesisDlq1Url`) or a queue URL. @default the only Kinesis DLQ */
  readonly queue?: string;
  /** Records put per second at most. @default 500 */
  readonly rate?: number;
  /** Messages (ranges) to handle at most. @default all */
  readonly max?: number;
  /** Long-poll seconds of the receive that decides the DLQ is empty. @default 2 */
  readonly emptyWaitSeconds?: number;
  /** Attempts of each PutRecords entry before giving up. @default 6 */
  readonly putAttempts?: number;
  /** GetRecords calls in a row that may return nothing before the range is given up. @default 10 */
  readonly maxEmptyReads?: number;
}

/** A range of one shard, from a `KinesisBatchInfo`. */
export interface BatchRange {
  readonly streamName: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  /** Absent in some records of one-record batches: then `batchSize` records from the start. */
  readonly endSequenceNumber?: string;
  readonly batchSize?: number;
}

export interface RangeOutcome {
  readonly messageId: string;
  readonly range?: BatchRange;
  readonly status: 'redriven' | 'would redrive' | 'gone' | 'not understood';
  readonly records: number;
  readonly reason?: string;
}

export interface StreamRedriveResult {
  readonly dlqUrl: string;
  readonly outcomes: RangeOutcome[];
  /** Records put back on the stream. */
  readonly recordsPut: number;
}

const DEFAULT_RATE = 500;
const PUT_RECORDS_MAX_ENTRIES = 500;
const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** Errors meaning the range cannot be read (any more) from the stream. */
const GONE = /TrimmedDataAccessException|ResourceNotFoundException|InvalidArgumentException|ExpiredIteratorException/;

export async function redriveStream(ctx: CommandContext, options: StreamRedriveOptions): Promise<StreamRedriveResult> {
  const rate = options.rate ?? DEFAULT_RATE;
  const sleep = ctx.sleep ?? realSleep;
  const dlqUrl = options.queue ? resolveQueue(ctx.pipeline, options.queue) : defaultDlq(ctx);
  const { sqs, toHandle } = await dlqDepth(ctx, 'Kinesis DLQ', dlqUrl, options.max);
  ctx.io.out(`each range goes back onto the stream it came from; rate ≤ ${rate} records/s${options.max !== undefined ? `; at most ${options.max} range(s)` : ''}`);
  if (toHandle === 0) {
    ctx.io.out('nothing to redrive');
    return { dlqUrl, outcomes: [], recordsPut: 0 };
  }
  if (!ctx.dryRun) await confirm(ctx.io, ctx.yes, `put the records of the Kinesis ranges of ${toHandle} message(s) from ${dlqUrl} back on their stream`);

  const kinesis = ctx.clients.kinesis();
  const limiter = new RateLimiter(rate, sleep);
  const outcomes: RangeOutcome[] = [];
  let recordsPut = 0;
  const visibilitySeconds = 120;
  await workDlq(sqs, dlqUrl, { max: options.max, batch: 1, visibilitySeconds, emptyWaitSeconds: options.emptyWaitSeconds }, async (message, extend) => {
    const messageId = message.MessageId ?? '';
    const parsed = parseBatchInfo(message.Body);
    if ('problem' in parsed) {
      ctx.io.err(`message ${messageId}: not understood: ${parsed.problem}; left in the DLQ`);
      outcomes.push({ messageId, status: 'not understood', records: 0, reason: parsed.problem });
      return { leave: parsed.problem };
    }
    const range = parsed;
    const label = describeRange(range);
    const needed = Math.ceil((range.batchSize ?? 0) / rate) + 60;
    if (!ctx.dryRun && needed > visibilitySeconds) await extend(needed);
    const read = await readRange(kinesis, range, sleep, options.maxEmptyReads ?? 10);
    if ('gone' in read) {
      ctx.io.err(`${label}: cannot be read whole any more: ${read.gone}; message ${messageId} left in the DLQ (its records may be in the raw bucket's stream-archive/)`);
      outcomes.push({ messageId, range, status: 'gone', records: 0, reason: read.gone });
      return { leave: read.gone };
    }
    const note = range.batchSize !== undefined && read.records.length !== range.batchSize ? ` (the batch had ${range.batchSize}: other partition keys share the range)` : '';
    if (ctx.dryRun) {
      ctx.io.out(`  would re-put ${read.records.length} record(s) of ${label}${note}`);
      outcomes.push({ messageId, range, status: 'would redrive', records: read.records.length });
      return { leave: 'dry run' };
    }
    await putRecords(kinesis, range.streamName, read.records, limiter, sleep, options.putAttempts ?? 6);
    recordsPut += read.records.length;
    outcomes.push({ messageId, range, status: 'redriven', records: read.records.length });
    ctx.io.out(`re-put ${read.records.length} record(s) of ${label}${note}; message deleted`);
    return { done: true };
  });

  const count = (status: RangeOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const leftBehind = count('gone') + count('not understood');
  ctx.io.out(
    ctx.dryRun
      ? `dry run: ${count('would redrive')} range(s) readable (${outcomes.reduce((n, o) => n + (o.status === 'would redrive' ? o.records : 0), 0)} records), ${count('gone')} gone, ${count('not understood')} not understood; nothing put`
      : `redrive-stream done: ${count('redriven')} range(s), ${recordsPut} record(s) put back; ${count('gone')} range(s) gone and ${count('not understood')} message(s) not understood, left in the DLQ`,
  );
  if (leftBehind > 0) {
    throw new CliError(`${leftBehind} message(s) of ${dlqUrl} could not be redriven (listed above) and were left in the DLQ`, EXIT.partial);
  }
  return { dlqUrl, outcomes, recordsPut };
}

function defaultDlq(ctx: CommandContext): string {
  const dlqs = streamDlqs(ctx.pipeline);
  if (dlqs.length === 1) return dlqs[0].url;
  throw new CliError(
    dlqs.length === 0
      ? `${scopeOf(ctx.pipeline)} has no Kinesis DLQ output (KinesisDlq<n>Url); give the queue with --queue`
      : `several Kinesis DLQs (${dlqs.map((d) => d.name).join(', ')}); choose one with --queue`,
    EXIT.usage,
  );
}

function describeRange(r: BatchRange): string {
  return `${r.streamName} ${r.shardId} ${r.startSequenceNumber}..${r.endSequenceNumber ?? `(${r.batchSize} record(s))`}`;
}

/** The range of an on-failure invocation record, or why the body is not one. */
export function parseBatchInfo(body: string | undefined): BatchRange | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { problem: `the body is not JSON: ${JSON.stringify((body ?? '').slice(0, 80))}` };
  }
  const info = (parsed as { KinesisBatchInfo?: unknown } | null)?.KinesisBatchInfo as Record<string, unknown> | undefined;
  if (typeof info !== 'object' || info === null) return { problem: 'no KinesisBatchInfo (not a Kinesis on-failure record)' };
  const { shardId, startSequenceNumber, endSequenceNumber, streamArn, batchSize } = info;
  const sequence = (v: unknown) => typeof v === 'string' && /^\d+$/.test(v);
  const streamName = typeof streamArn === 'string' ? /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(streamArn)?.[1] : undefined;
  if (typeof shardId !== 'string' || !shardId || !sequence(startSequenceNumber) || !streamName) {
    return { problem: 'KinesisBatchInfo needs shardId, startSequenceNumber and a stream ARN in streamArn' };
  }
  const size = typeof batchSize === 'number' && Number.isInteger(batchSize) && batchSize > 0 ? batchSize : undefined;
  if (endSequenceNumber !== undefined && !sequence(endSequenceNumber)) return { problem: `endSequenceNumber is not a sequence number: ${String(endSequenceNumber)}` };
  if (endSequenceNumber === undefined && size === undefined) return { problem: 'KinesisBatchInfo has neither endSequenceNumber nor batchSize' };
  if (endSequenceNumber !== undefined && BigInt(endSequenceNumber as string) < BigInt(startSequenceNumber as string)) {
    return { problem: 'endSequenceNumber is before startSequenceNumber' };
  }
  return {
    streamName,
    shardId,
    startSequenceNumber: startSequenceNumber as string,
    endSequenceNumber: endSequenceNumber as string | undefined,
    batchSize: size,
  };
}

/**
 * The records of the range, read from the stream; `gone` when the range is not there whole:
 * its first record is not the range's start (trimmed), its last is missing, or the stream says
 * the shard or position is gone.
 */
export async function readRange(
  kinesis: KinesisClient,
  range: BatchRange,
  sleep: (ms: number) => Promise<void>,
  maxEmptyReads = 10,
): Promise<{ records: KinesisRecord[] } | { gone: string }> {
  const start = BigInt(range.startSequenceNumber);
  const end = range.endSequenceNumber === undefined ? undefined : BigInt(range.endSequenceNumber);
  const records: KinesisRecord[] = [];
  const complete = () => (end === undefined ? records.length >= (range.batchSize ?? 1) : records.length > 0 && BigInt(records[records.length - 1].SequenceNumber ?? '0') === end);
  const iteratorAfter = async (after?: string) =>
    (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: range.streamName,
          ShardId: range.shardId,
          ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: after ?? range.startSequenceNumber,
        }),
      )
    ).ShardIterator;
  let iterator: string | undefined;
  let empty = 0;
  let refreshed = 0;
  try {
    iterator = await iteratorAfter();
    let passed = false;
    while (iterator && !passed && !complete()) {
      let out;
      try {
        out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      } catch (error) {
        // An iterator lives 5 minutes: take a new one after the last record read, twice at most.
        if (!/ExpiredIteratorException/.test(errorName(error)) || refreshed >= 2) throw error;
        refreshed++;
        iterator = await iteratorAfter(records[records.length - 1]?.SequenceNumber);
        continue;
      }
      for (const record of out.Records ?? []) {
        const seq = BigInt(record.SequenceNumber ?? '0');
        if (seq < start) continue;
        if ((end !== undefined && seq > end) || complete()) {
          passed = true;
          break;
        }
        records.push(record);
      }
      if ((out.Records ?? []).length === 0) {
        // Nothing more at the tip of the shard; elsewhere, GetRecords may return nothing for a while.
        if (out.MillisBehindLatest === 0 || ++empty >= maxEmptyReads) break;
        await sleep(200);
      } else {
        empty = 0;
      }
      iterator = out.NextShardIterator;
    }
  } catch (error) {
    if (!GONE.test(errorName(error))) throw error;
    const e = error as { name?: string; message?: string };
    return { gone: `${e.name ?? 'Error'}: ${e.message ?? ''}`.trim() };
  }
  if (records.length === 0) return { gone: 'no record of the range is in the stream (past its retention)' };
  if (BigInt(records[0].SequenceNumber ?? '0') !== start) {
    return { gone: `its first record is not in the stream any more (the oldest found is ${records[0].SequenceNumber}): trimmed by the stream's retention` };
  }
  if (!complete()) {
    return {
      gone:
        end === undefined
          ? `only ${records.length} of its ${range.batchSize} record(s) are in the stream`
          : `its last record ${range.endSequenceNumber} is not in the stream (read ${records.length} record(s) up to ${records[records.length - 1].SequenceNumber})`,
    };
  }
  return { records };
}

/**
 * Puts the records on the stream in PutRecords requests of at most 500 entries, 5 MB and a
 * second's worth of records, paced by `limiter` (one slot per record). Entries that fail
 * (throttling, internal errors) are put again with exponential backoff, `attempts` times in all;
 * then the redrive stops with an error.
 */
export async function putRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly KinesisRecord[],
  limiter: RateLimiter,
  sleep: (ms: number) => Promise<void>,
  attempts = 6,
): Promise<void> {
  // No bigger than a second's worth of records, so no second sees more than the rate.
  const maxEntries = Math.max(1, Math.min(PUT_RECORDS_MAX_ENTRIES, Math.floor(limiter.ratePerSecond)));
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    let pending = chunk;
    chunk = [];
    bytes = 0;
    await limiter.take(pending.length);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      if (!out.FailedRecordCount) return;
      const failed = pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
      if (attempt >= attempts) {
        const codes = [...new Set((out.Records ?? []).map((r) => r.ErrorCode).filter(Boolean))].join(', ');
        throw new CliError(`PutRecords to ${streamName}: ${failed.length} record(s) still failing after ${attempts} attempts (${codes}); the message stays in the DLQ (records already put are skipped as duplicates when it is redriven again)`);
      }
      await sleep(Math.min(5000, 100 * 2 ** (attempt - 1)));
      pending = failed;
    }
  };
  for (const record of records) {
    const entry: PutRecordsRequestEntry = { Data: record.Data, PartitionKey: record.PartitionKey };
    const size = (record.Data?.length ?? 0) + Buffer.byteLength(record.PartitionKey ?? '');
    if (chunk.length >= maxEntries || (chunk.length > 0 && bytes + size > PUT_RECORDS_MAX_BYTES)) await flush();
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) await flush();
}
