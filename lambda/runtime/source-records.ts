import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { isEventBridgeEvent } from './parse-record';
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
  /**
   * The body's bytes are not valid UTF-8: `body` is then their lossy decoding (U+FFFD for each bad
   * sequence), kept only to be quarantined as `INVALID_UTF8` (never parsed: records differing only
   * in their bad bytes would collide on one id).
   * @default false
   */
  readonly invalidUtf8?: boolean;
  /**
   * The event (delivered already parsed) nests too deep to serialise: `body` is empty and the
   * record is quarantined as `TOO_DEEP` instead of failing the invocation.
   * @default false
   */
  readonly tooDeep?: boolean;
  /**
   * The reprocess run re-deriving the record (a batch workflow execution of `replay --reprocess`);
   * an event replayed by one names it in its own `replay-name`.
   * @default - none: a first processing, or a plain replay
   */
  readonly reprocessRun?: string;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes bytes as UTF-8 strictly: `valid` is false when they are not UTF-8, and `text` is then the
 * lossy decoding (for quarantine only).
 */
export function decodeUtf8(bytes: Uint8Array): { readonly text: string; readonly valid: boolean } {
  try {
    return { text: STRICT_UTF8.decode(bytes), valid: true };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), valid: false };
  }
}

/** Lines of an S3 JSON Lines object, as a batch workflow hands them to the function. */
export interface S3JsonLinesBatch {
  readonly s3JsonLines: {
    readonly bucket: string;
    readonly key: string;
    /** When the object was created (ISO-8601), used as the receive time. */
    readonly createdAt?: string;
    /** The ETag of the object version read: part of each record's position. */
    readonly etag?: string;
    /** `invalidUtf8`: the line's bytes are not UTF-8 (see {@link SourceRecord.invalidUtf8}). */
    readonly lines: ReadonlyArray<{ readonly line: number; readonly body: string; readonly invalidUtf8?: boolean }>;
  };
}

/** An EventBridge event delivered straight to the function by a rule. */
export interface EventBridgeEventInput {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: unknown;
  readonly 'event-bus-name'?: string;
}

/** The event shapes a transform handler accepts. */
export type BatchEvent = KinesisStreamEvent | SQSEvent | EventBridgeEventInput | S3JsonLinesBatch;

/** What delivered a batch: decides retry reporting and how the idempotency store writes. */
export type BatchKind = 'kinesis' | 'sqs' | 'eventbridge' | 's3';

/** A batch as source records, in delivery order. */
export interface SourceBatch {
  readonly kind: BatchKind;
  readonly records: SourceRecord[];
}

/** Turns a Kinesis, SQS, EventBridge or S3 JSON Lines event into source records, in delivery order. */
export function toSourceBatch(event: BatchEvent): SourceBatch {
  if (isEventBridgeEvent(event)) return { kind: 'eventbridge', records: [fromEventBridge(event as EventBridgeEventInput)] };
  if (isS3JsonLines(event)) return { kind: 's3', records: fromS3JsonLines(event) };
  const records = (event as { Records?: unknown[] }).Records;
  if (!Array.isArray(records)) {
    throw new Error('cdk-serverless-etl runtime: unsupported event (expected a Kinesis or SQS batch, an EventBridge event or s3JsonLines)');
  }
  if (records.length === 0) return { kind: 'sqs', records: [] };
  const kinds = new Set(records.map((r) => (r as { eventSource?: string }).eventSource));
  if (kinds.size !== 1) throw new Error(`cdk-serverless-etl runtime: mixed event sources in one batch: ${[...kinds].join(', ')}`);
  const [eventSource] = kinds;
  if (eventSource === 'aws:kinesis') {
    return { kind: 'kinesis', records: records.map((r) => fromKinesis(r as KinesisStreamEvent['Records'][number])) };
  }
  if (eventSource === 'aws:sqs') return { kind: 'sqs', records: records.map((r) => fromSqs(r as SQSEvent['Records'][number])) };
  throw new Error(`cdk-serverless-etl runtime: unsupported event source ${JSON.stringify(eventSource)}`);
}

/** The records of a batch (see {@link toSourceBatch}). */
export function toSourceRecords(event: BatchEvent): SourceRecord[] {
  return toSourceBatch(event).records;
}

function fromKinesis(record: KinesisStreamEvent['Records'][number]): SourceRecord {
  const shardId = record.eventID.split(':')[0];
  const { text, valid } = decodeUtf8(Buffer.from(record.kinesis.data, 'base64'));
  return {
    itemId: record.kinesis.sequenceNumber,
    position: { kind: 'kinesis', streamArn: record.eventSourceARN, shardId, sequenceNumber: record.kinesis.sequenceNumber },
    body: text,
    receivedAtMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
    ...(valid ? {} : { invalidUtf8: true }),
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

function fromEventBridge(event: EventBridgeEventInput): SourceRecord {
  let body = '';
  try {
    body = JSON.stringify(event);
  } catch {
    // Only a stack overflow can get here (Lambda parsed the event from JSON): nested far too deep.
  }
  return {
    itemId: event.id,
    position: { kind: 'eventbridge', eventBusName: event['event-bus-name'], eventId: event.id },
    body,
    receivedAtMs: new Date(event.time).getTime() || Date.now(),
    ...(body === '' ? { tooDeep: true } : {}),
  };
}

function fromS3JsonLines(event: S3JsonLinesBatch): SourceRecord[] {
  const { bucket, key, lines, createdAt, etag } = event.s3JsonLines;
  const receivedAtMs = (createdAt && new Date(createdAt).getTime()) || Date.now();
  return lines.map(({ line, body, invalidUtf8 }) => ({
    itemId: `${key}#${line}`,
    position: { kind: 's3', bucket, key, line, ...(etag ? { etag } : {}) },
    body,
    receivedAtMs,
    ...(invalidUtf8 ? { invalidUtf8: true } : {}),
  }));
}

function isS3JsonLines(event: unknown): event is S3JsonLinesBatch {
  return typeof event === 'object' && event !== null && 's3JsonLines' in event;
}

/** A short unique text for a source position. */
export function positionId(p: SourcePosition): string {
  switch (p.kind) {
    case 'kinesis':
      return `${p.shardId}/${p.sequenceNumber}`;
    case 'sqs':
      return p.messageId;
    case 'eventbridge':
      return `eb/${p.eventId}`;
    case 's3':
      // The object version is part of the position: a line of a new upload under the same key is
      // another input (its records are duplicates or new), not a redelivery of the old one.
      return `s3/${p.bucket}/${p.key}${p.etag ? `@${p.etag.replace(/"/g, '')}` : ''}#${p.line}`;
  }
}
