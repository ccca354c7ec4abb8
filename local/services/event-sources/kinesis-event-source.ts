import { createHash } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConcurrencyGauge } from '../../functions/concurrency-gauge';
import { emptyStats, type BatchHandler, type PollStats } from './types';

/** The settings of a Kinesis event source mapping that the local run honours. */
export interface KinesisMappingOptions {
  readonly streamName: string;
  readonly streamArn: string;
  readonly handler: BatchHandler;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing batch before it goes to the on-failure destination. @default 3 */
  readonly retryAttempts?: number;
  /** Split a batch whose invocation throws and retry the halves. @default true */
  readonly bisectBatchOnError?: boolean;
  /** Records older than this (ms since arrival) go to the on-failure destination. @default 24 h */
  readonly maxRecordAgeMs?: number;
  /** On-failure destination: the SQS queue URL that receives the batch metadata. */
  readonly onFailureQueueUrl?: string;
  readonly region?: string;
  /**
   * Batches in flight at once per shard (the mapping's ParallelizationFactor, 1 to 10). Records
   * with the same partition key always go to the same one, so their order is kept.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where each shard was left (its last sequence number handled), kept between drains: a drain
   * with the same map reads only what arrived since, as a mapping's checkpoint does.
   * @default - every drain reads from TRIM_HORIZON
   */
  readonly checkpoints?: Map<string, string>;
  /**
   * Whether the mapping is enabled: checked before each batch; a disabled mapping reads nothing
   * more (its records stay in the stream, its checkpoint where it was), the batches in flight
   * finish. @default always
   */
  readonly active?: () => boolean;
}

/** Batch metadata Lambda sends to a Kinesis mapping's on-failure destination. */
export interface KinesisFailureRecord {
  readonly requestContext: { readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; readonly approximateInvokeCount: number };
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/**
 * Reads a Kinesis stream like a Lambda event source mapping and invokes the handler: every shard at
 * once, from TRIM_HORIZON (or its checkpoint), each shard with up to `parallelizationFactor`
 * batches in flight. A record goes to one of those concurrent batches by its partition key, so
 * records with the same key are delivered in order and never in two batches at once (what AWS
 * guarantees: order per partition key). Each concurrent batch has the mapping's error handling of
 * its own: ReportBatchItemFailures (retry from the lowest failed sequence number, everything after
 * it is delivered again), bounded retries, bisect on function error, maximum record age, and batch
 * metadata to the on-failure queue when retries run out. The shard's checkpoint advances past a
 * record only once it and every record before it in the shard are done, as Lambda checkpoints a
 * shard. Drains what is in the stream when called (after `checkpoints`, when given), then returns.
 */
export async function drainKinesis(kinesis: KinesisClient, sqs: SQSClient | undefined, options: KinesisMappingOptions): Promise<PollStats> {
  const stats = emptyStats();
  const gauge = new ConcurrencyGauge();
  const factor = Math.max(1, Math.floor(options.parallelizationFactor ?? 1));
  if (!(options.active?.() ?? true)) return stats;
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: options.streamName }))).Shards ?? [];
  await Promise.all(
    shards.map(async (shard) => {
      const shardId = shard.ShardId as string;
      const pending = await readShard(kinesis, options.streamName, shardId, options.checkpoints?.get(shardId));
      const checkpoint = new ShardCheckpoint(pending, (sequenceNumber) => options.checkpoints?.set(shardId, sequenceNumber));
      const lanes = Array.from({ length: factor }, (): LaneRecord[] => []);
      pending.forEach((record, index) => lanes[laneOf(record.PartitionKey ?? '', factor)].push({ record, index }));
      await Promise.all(lanes.filter((lane) => lane.length > 0).map((lane) => deliverLane(lane, shardId, sqs, options, stats, gauge, checkpoint)));
    }),
  );
  stats.peakConcurrentInvocations = gauge.peak;
  return stats;
}

async function readShard(kinesis: KinesisClient, streamName: string, shardId: string, after?: string): Promise<KinesisRecord[]> {
  const records: KinesisRecord[] = [];
  const position = after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' as const };
  let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...position }))).ShardIterator;
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
    records.push(...(out.Records ?? []));
    if ((out.Records ?? []).length === 0 || out.MillisBehindLatest === 0) break;
    iterator = out.NextShardIterator;
  }
  return records;
}

/**
 * Which of a shard's `factor` concurrent batches a partition key goes to. AWS does not document
 * its assignment, only that records with the same key stay in order: any fixed function of the
 * key keeps that (here an MD5 of the key, as Kinesis hashes keys to shards).
 */
export function laneOf(partitionKey: string, factor: number): number {
  if (factor <= 1) return 0;
  return createHash('md5').update(partitionKey).digest().readUInt32BE(12) % factor;
}

/** A record of a shard and its place in the shard. */
interface LaneRecord {
  readonly record: KinesisRecord;
  readonly index: number;
}

/**
 * A shard's checkpoint: the last sequence number before which every record is done (delivered
 * successfully or given up on), whichever concurrent batch it was in.
 */
class ShardCheckpoint {
  private readonly done: boolean[];
  private next = 0;

  constructor(
    private readonly records: readonly KinesisRecord[],
    private readonly save: (sequenceNumber: string) => void,
  ) {
    this.done = records.map(() => false);
  }

  /** Marks records (by their place in the shard) done and moves the checkpoint as far as it can. */
  public complete(records: readonly LaneRecord[]): void {
    for (const r of records) this.done[r.index] = true;
    const before = this.next;
    while (this.next < this.done.length && this.done[this.next]) this.next++;
    if (this.next > before) this.save(this.records[this.next - 1].SequenceNumber as string);
  }
}

/** Delivers the records of one concurrent batch of a shard, in order, batch after batch. */
async function deliverLane(
  lane: readonly LaneRecord[],
  shardId: string,
  sqs: SQSClient | undefined,
  options: KinesisMappingOptions,
  stats: PollStats,
  gauge: ConcurrencyGauge,
  checkpoint: ShardCheckpoint,
): Promise<void> {
  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.retryAttempts ?? 3;
  const maxAge = options.maxRecordAgeMs ?? 24 * 3600 * 1000;
  let position = 0;
  let attempts = 0;
  // Sequence numbers a delivery handled (not reported failed): a redelivery counts them again.
  const handled = new Set<string>();
  const advance = (count: number) => {
    checkpoint.complete(lane.slice(position, position + count));
    position += count;
  };
  while (position < lane.length && (options.active?.() ?? true)) {
    const batch = lane.slice(position, position + batchSize).map((r) => r.record);
    const expired = batch.filter((r) => Date.now() - (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) > maxAge);
    if (expired.length > 0) {
      await deadLetter(sqs, options, shardId, expired, 'RecordAgeExceeded', attempts + 1, stats, handled);
      advance(expired.length);
      continue;
    }
    const failedAt = await invoke(batch, shardId, options, stats, handled, gauge);
    if (failedAt === undefined) {
      advance(batch.length);
      attempts = 0;
      continue;
    }
    // Checkpoint before the lowest failed record: the next batch starts there, and everything
    // after it is delivered again.
    advance(failedAt);
    attempts++;
    if (attempts > maxRetries) {
      const rest = batch.slice(failedAt);
      await deadLetter(sqs, options, shardId, rest, 'RetryAttemptsExhausted', attempts, stats, handled);
      advance(rest.length);
      attempts = 0;
    }
  }
}

/**
 * One delivery of a batch; returns the index of its lowest failed record, if any. When the
 * handler throws, the batch is bisected (if enabled) until the failing record is isolated.
 */
async function invoke(
  batch: KinesisRecord[],
  shardId: string,
  options: KinesisMappingOptions,
  stats: PollStats,
  handled: Set<string>,
  gauge: ConcurrencyGauge,
): Promise<number | undefined> {
  stats.invocations++;
  stats.recordsDelivered += batch.length;
  try {
    const response = await gauge.track(() => options.handler(kinesisEvent(batch, shardId, options)));
    const failures = (response && response.batchItemFailures) || [];
    const failed = new Set(failures.map((f) => f.itemIdentifier));
    const known = batch.some((r) => failed.has(r.SequenceNumber as string));
    if (failures.length === 0 || known) {
      const dropped = new Set(response ? (response.droppedItems ?? []) : []);
      for (const r of batch) {
        const sequence = r.SequenceNumber as string;
        if (failed.has(sequence)) continue;
        if (!handled.has(sequence)) handled.add(sequence);
        else if (dropped.has(sequence)) stats.redeliveredDropped++;
        else stats.redeliveredDuplicates++;
      }
    }
    if (failures.length === 0) return undefined;
    stats.itemFailures += failures.length;
    const index = batch.findIndex((r) => failed.has(r.SequenceNumber as string));
    return index < 0 ? 0 : index; // an unknown identifier fails the whole batch, as on AWS
  } catch {
    stats.functionErrors++;
    if (!(options.bisectBatchOnError ?? true) || batch.length === 1) return 0;
    stats.batchesBisected++;
    const half = Math.ceil(batch.length / 2);
    const first = await invoke(batch.slice(0, half), shardId, options, stats, handled, gauge);
    if (first !== undefined) return first;
    const second = await invoke(batch.slice(half), shardId, options, stats, handled, gauge);
    return second === undefined ? undefined : half + second;
  }
}

async function deadLetter(
  sqs: SQSClient | undefined,
  options: KinesisMappingOptions,
  shardId: string,
  records: KinesisRecord[],
  condition: KinesisFailureRecord['requestContext']['condition'],
  invokeCount: number,
  stats: PollStats,
  handled: ReadonlySet<string>,
): Promise<void> {
  stats.recordsDeadLettered += records.length;
  stats.deadLetteredHandled += records.filter((r) => handled.has(r.SequenceNumber as string)).length;
  if (!sqs || !options.onFailureQueueUrl) return;
  const body: KinesisFailureRecord = {
    requestContext: { condition, approximateInvokeCount: invokeCount },
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: records[0].SequenceNumber as string,
      endSequenceNumber: records[records.length - 1].SequenceNumber as string,
      batchSize: records.length,
      streamArn: options.streamArn,
    },
  };
  await sqs.send(new SendMessageCommand({ QueueUrl: options.onFailureQueueUrl, MessageBody: JSON.stringify(body) }));
}

function kinesisEvent(records: KinesisRecord[], shardId: string, options: KinesisMappingOptions) {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey,
        sequenceNumber: r.SequenceNumber,
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
      awsRegion: options.region ?? 'us-east-1',
      eventSourceARN: options.streamArn,
    })),
  };
}
