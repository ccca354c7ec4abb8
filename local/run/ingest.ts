/**
 * Sends input lines into a pipeline the way its sources would: Kinesis `PutRecords` to the
 * stream, EventBridge `PutEvents` to the bus, or a JSON Lines object put into the raw bucket.
 * Lines are sent as they are (not necessarily JSON). Optionally paced to a rate.
 */
import { createHash } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_EVENT_ENTRY_BYTES, type BusEnvironment, type LocalEventBridge } from '../services/event-bus';

/** Where a line was sent. */
export type IngestPath = 'stream' | 'bus' | 'bus-raw' | 's3';

/** What a send did. */
export interface IngestResult {
  /** Lines the source accepted, by path (`bus-raw`: lines that are not a JSON object, sent to the buffer queue as they are). */
  readonly accepted: Record<IngestPath, number>;
  /** Lines the source rejected (never entered the pipeline), with the reason. */
  readonly rejected: Array<{ index: number; reason: string }>;
}

/** Paces sends to `rate` lines per second (no pacing when undefined). */
export class Pacer {
  private readonly started = Date.now();
  private sent = 0;
  constructor(private readonly rate?: number) {}
  /** Waits until `count` more lines may be sent. */
  public async take(count: number): Promise<void> {
    this.sent += count;
    if (!this.rate) return;
    const due = this.started + (this.sent / this.rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  /** Lines per call that keep pacing smooth: about ten sends per second, within `max`. */
  public chunkSize(max: number): number {
    return this.rate ? Math.max(1, Math.min(max, Math.floor(this.rate / 10))) : max;
  }
}

/** Empty {@link IngestResult} counters. */
export function emptyIngestResult(): IngestResult {
  return { accepted: { stream: 0, bus: 0, 'bus-raw': 0, s3: 0 }, rejected: [] };
}

/** `PutRecords` of lines to a stream, 500 records (and at most ~4.5 MB) per call, retrying failed records. */
export async function sendToStream(
  kinesis: KinesisClient,
  streamName: string,
  lines: ReadonlyArray<{ index: number; line: string }>,
  pacer: Pacer,
  result: IngestResult,
): Promise<void> {
  const max = pacer.chunkSize(500);
  let i = 0;
  while (i < lines.length) {
    const chunk: Array<{ index: number; line: string }> = [];
    let bytes = 0;
    while (i < lines.length && chunk.length < max && (chunk.length === 0 || bytes + Buffer.byteLength(lines[i].line) < 4_500_000)) {
      bytes += Buffer.byteLength(lines[i].line);
      chunk.push(lines[i++]);
    }
    await pacer.take(chunk.length);
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: pending.map((l) => ({ Data: Buffer.from(l.line), PartitionKey: partitionKey(l.line) })),
        }),
      );
      const failed = pending.filter((_, j) => !out.Records?.[j]?.SequenceNumber);
      if (failed.length > 0 && attempt >= 5) {
        for (const f of failed) result.rejected.push({ index: f.index, reason: 'PutRecords failed after 5 attempts' });
        result.accepted.stream += pending.length - failed.length;
        break;
      }
      result.accepted.stream += pending.length - failed.length;
      pending = failed;
    }
  }
}

/** Where {@link sendToBus} puts events: a bus, the entries' source and detail type, and who puts them. */
export interface BusIngestTarget {
  readonly busName: string;
  readonly source: string;
  readonly detailType: string;
  /** The account and region the events are put from (the bus's stack's); default: the event bridge's own. */
  readonly environment?: BusEnvironment;
  /** Where lines that are not a JSON object go instead (the rule's target queue), if anywhere. */
  readonly rawQueueUrl?: string;
  readonly sqs: SQSClient;
}

/**
 * `PutEvents` of lines to a bus, ten entries per call, with `source` and `detailType`. A line
 * that is not a JSON object cannot be an event's detail: it is sent as it is to `rawQueueUrl`
 * (the rule's target queue), as a source writing to the queue directly would; without one it is
 * rejected. Entries the bus rejects (e.g. larger than 256 KiB) are reported as rejected.
 */
export async function sendToBus(
  bus: LocalEventBridge,
  target: BusIngestTarget,
  lines: ReadonlyArray<{ index: number; line: string }>,
  pacer: Pacer,
  result: IngestResult,
): Promise<void> {
  const max = pacer.chunkSize(10);
  const chunks: Array<typeof lines> = [];
  for (let i = 0; i < lines.length; i += max) chunks.push(lines.slice(i, i + max));
  // Several producers at once (as a fleet of clients would), each sending one chunk at a time.
  const producers = Array.from({ length: Math.min(8, chunks.length) }, async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) await sendChunkToBus(bus, target, chunk, pacer, result);
  });
  await Promise.all(producers);
}

async function sendChunkToBus(
  bus: LocalEventBridge,
  target: BusIngestTarget,
  chunk: ReadonlyArray<{ index: number; line: string }>,
  pacer: Pacer,
  result: IngestResult,
): Promise<void> {
  await pacer.take(chunk.length);
  const events = chunk.filter((l) => isJsonObject(l.line));
  const raw = chunk.filter((l) => !isJsonObject(l.line));
  if (events.length > 0) {
    const out = await bus.putEvents(
      events.map((l) => ({ EventBusName: target.busName, Source: target.source, DetailType: target.detailType, Detail: l.line })),
      target.environment,
    );
    out.entries.forEach((e, j) => {
      if (e.EventId) result.accepted.bus++;
      else result.rejected.push({ index: events[j].index, reason: `PutEvents: ${e.ErrorCode}: ${e.ErrorMessage}` });
    });
  }
  if (raw.length === 0) return;
  if (!target.rawQueueUrl) {
    for (const l of raw) result.rejected.push({ index: l.index, reason: 'not a JSON object: cannot be put on a bus' });
    return;
  }
  const out = await target.sqs.send(
    new SendMessageBatchCommand({ QueueUrl: target.rawQueueUrl, Entries: raw.map((l, j) => ({ Id: String(j), MessageBody: l.line })) }),
  );
  result.accepted['bus-raw'] += out.Successful?.length ?? 0;
  for (const f of out.Failed ?? []) result.rejected.push({ index: raw[Number(f.Id)].index, reason: `SendMessage: ${f.Code}: ${f.Message}` });
}

/** Puts the lines as one JSON Lines object into a bucket (under `key`, default `local-run/<time>.jsonl`); returns its key and size. */
export async function sendToBucket(
  s3: S3Client,
  bucket: string,
  lines: ReadonlyArray<{ line: string }>,
  result: IngestResult,
  key = `local-run/${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`,
): Promise<{ key: string; size: number }> {
  const body = `${lines.map((l) => l.line).join('\n')}\n`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
  result.accepted.s3 += lines.length;
  return { key, size: Buffer.byteLength(body) };
}

/** True when a line fits on an EventBridge bus: a JSON object within the entry size limit. */
export function fitsOnBus(line: string): boolean {
  return Buffer.byteLength(line) <= MAX_EVENT_ENTRY_BYTES - 1024;
}

function isJsonObject(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The partition key a producer would use: the event id when there is one, else a hash of the line. */
function partitionKey(line: string): string {
  try {
    const value = JSON.parse(line) as { eventId?: unknown; id?: unknown };
    const id = value?.eventId ?? value?.id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 256) return id;
  } catch {
    // not JSON: hash it
  }
  return createHash('sha256').update(line).digest('hex').slice(0, 32);
}
