import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import type { SourcePosition } from './transform-contract';

/** One input item of a Lambda batch, before parsing. */
export interface SourceRecord {
  /** The id Lambda expects in `batchItemFailures` (Kinesis sequence number or SQS message id). */
  readonly itemId: string;
  /** Where the record came from. */
  readonly position: SourcePosition;
  /** The record body as the source delivered it (decoded from base64 for Kinesis). */
  readonly body: string;
  /** When the source received the record, in epoch milliseconds. */
  readonly receivedAtMs: number;
}

/** The event shapes a transform handler accepts. */
export type BatchEvent = KinesisStreamEvent | SQSEvent;

/** Turns a Kinesis or SQS batch into source records, in delivery order. */
export function toSourceRecords(event: BatchEvent): SourceRecord[] {
  const records = (event as { Records?: unknown[] }).Records;
  if (!Array.isArray(records)) {
    throw new Error('cdk-serverless-etl runtime: the event has no Records array (expected a Kinesis or SQS batch)');
  }
  return records.map((record) => {
    const r = record as { eventSource?: string };
    if (r.eventSource === 'aws:kinesis') return fromKinesis(record as KinesisStreamEvent['Records'][number]);
    if (r.eventSource === 'aws:sqs') return fromSqs(record as SQSEvent['Records'][number]);
    throw new Error(`cdk-serverless-etl runtime: unsupported event source ${JSON.stringify(r.eventSource)}`);
  });
}

function fromKinesis(record: KinesisStreamEvent['Records'][number]): SourceRecord {
  const shardId = record.eventID.split(':')[0];
  return {
    itemId: record.kinesis.sequenceNumber,
    position: {
      kind: 'kinesis',
      streamArn: record.eventSourceARN,
      shardId,
      sequenceNumber: record.kinesis.sequenceNumber,
    },
    body: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
    receivedAtMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  };
}

function fromSqs(record: SQSEvent['Records'][number]): SourceRecord {
  return {
    itemId: record.messageId,
    position: { kind: 'sqs', queueArn: record.eventSourceARN, messageId: record.messageId },
    body: record.body,
    receivedAtMs: Number(record.attributes.SentTimestamp) || Date.now(),
  };
}
