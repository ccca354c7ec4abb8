import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
   * Where each shard was left (its last sequence number handled), kept between drains: a drain
   * with the same map reads only what arrived since, as a mapping's checkpoint does.
   * @default - every drain reads from TRIM_HORIZON
   */
  readonly checkpoints?: Map<string, string>;
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
 * Reads a Kinesis stream like a Lambda event source mapping and invokes the handler: per shard,
 * in order, from TRIM_HORIZON; with ReportBatchItemFailures (checkpoint at the lowest failed
 * sequence number, everything after it is delivered again), bounded retries, bisect on function
 * error, maximum record age, and batch metadata to the on-failure queue when retries run out.
 * Drains what is in the stream when called (after `checkpoints`, when given), then returns.
 */
export async function drainKinesis(kinesis: KinesisClient, sqs: SQSClient | undefined, options: KinesisMappingOptions): Promise<PollStats> {
  const stats = emptyStats();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: options.streamName }))).Shards ?? [];
  for (const shard of shards) {
    const shardId = shard.ShardId as string;
    const pending = await readShard(kinesis, options.streamName, shardId, options.checkpoints?.get(shardId));
    await deliverShard(pending, shardId, kinesis, sqs, options, stats);
    if (pending.length > 0) options.checkpoints?.set(shardId, pending[pending.length - 1].SequenceNumber as string);
  }
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

async function deliverShard(
  records: KinesisRecord[],
  shardId: string,
  _kinesis: KinesisClient,
  sqs: SQSClient | undefined,
  options: KinesisMappingOptions,
  stats: PollStats,
): Promise<void> {
  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.retryAttempts ?? 3;
  const maxAge = options.maxRecordAgeMs ?? 24 * 3600 * 1000;
  let position = 0;
  let attempts = 0;
  // Sequence numbers a delivery handled (not reported failed): a redelivery counts them again.
  const handled = new Set<string>();
  while (position < records.length) {
    const batch = records.slice(position, position + batchSize);
    const expired = batch.filter((r) => Date.now() - (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) > maxAge);
    if (expired.length > 0) {
      await deadLetter(sqs, options, shardId, expired, 'RecordAgeExceeded', attempts + 1, stats, handled);
      position += expired.length;
      continue;
    }
    const failedAt = await invoke(batch, shardId, options, stats, handled);
    if (failedAt === undefined) {
      position += batch.length;
      attempts = 0;
      continue;
    }
    // Checkpoint before the lowest failed record: the next batch starts there, and everything
    // after it is delivered again.
    position += failedAt;
    attempts++;
    if (attempts > maxRetries) {
      const rest = batch.slice(failedAt);
      await deadLetter(sqs, options, shardId, rest, 'RetryAttemptsExhausted', attempts, stats, handled);
      position += rest.length;
      attempts = 0;
    }
  }
}

/**
 * One delivery of a batch; returns the index of its lowest failed record, if any. When the
 * handler throws, the batch is bisected (if enabled) until the failing record is isolated.
 */
async function invoke(batch: KinesisRecord[], shardId: string, options: KinesisMappingOptions, stats: PollStats, handled: Set<string>): Promise<number | undefined> {
  stats.invocations++;
  stats.recordsDelivered += batch.length;
  try {
    const response = await options.handler(kinesisEvent(batch, shardId, options));
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
    const first = await invoke(batch.slice(0, half), shardId, options, stats, handled);
    if (first !== undefined) return first;
    const second = await invoke(batch.slice(half), shardId, options, stats, handled);
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
