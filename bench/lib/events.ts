/**
 * Benchmark input: deterministic ~1 KB clickstream records (examples/clickstream/generate-events.ts,
 * valid events only, padded with realistic properties) as Kinesis batches.
 */
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { generateClickstreamEvents } from '../../examples/clickstream/generate-events';

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream-in';
export const RECORD_BYTES = 1024;
const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

/** `count` JSON lines of exactly RECORD_BYTES bytes (valid clickstream events, unique ids per `prefix`). */
export function clickstreamLines(count: number, prefix = 'evt', seed = 11): string[] {
  const events = generateClickstreamEvents({
    count,
    seed,
    mix: { bot: 0, malformed: 0, schemaViolation: 0, missingId: 0, oversize: 0, duplicate: 0 },
  });
  return events.map((e) => {
    const record = JSON.parse(e.line) as Record<string, unknown> & { eventId: string; properties: Record<string, unknown> };
    record.eventId = record.eventId.replace(/^evt/, prefix);
    record.properties = { ...record.properties, userAgent: USER_AGENT, screen: '1512x982', locale: 'en-GB', pad: '' };
    const missing = RECORD_BYTES - Buffer.byteLength(JSON.stringify(record));
    record.properties.pad = 'x'.repeat(Math.max(0, missing));
    return JSON.stringify(record);
  });
}

/** Splits lines into Kinesis events of `batchSize` records (one shard, increasing sequence numbers). */
export function kinesisBatches(lines: readonly string[], batchSize: number, firstSequence = 0): KinesisStreamEvent[] {
  const batches: KinesisStreamEvent[] = [];
  // After the event times of the runtime's 10,000 records (08:00 to 12:10): an event time more
  // than the runtime's skew past its arrival falls back to the arrival hour (EventTimeOutOfBounds).
  const arrival = Date.UTC(2026, 10, 24, 13, 0) / 1000;
  for (let i = 0; i < lines.length; i += batchSize) {
    const Records: KinesisStreamRecord[] = lines.slice(i, i + batchSize).map((line, j) => {
      const sequenceNumber = String(49650000000000000000000000000000000000000000000000000000n + BigInt(firstSequence + i + j));
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${(i + j) % 64}`,
          sequenceNumber,
          data: Buffer.from(line).toString('base64'),
          approximateArrivalTimestamp: arrival + (i + j) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/transform',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    });
    batches.push({ Records });
  }
  return batches;
}

/** A Lambda context good enough for both handlers. */
export function lambdaContext(requestId: string) {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'clickstream-transform',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:clickstream-transform:live',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/clickstream-transform',
    logStreamName: '2026/11/24/[1]abc',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * gzip ratio of curated-object-sized chunks (`linesPerObject` lines) of the example generator's
 * valid events as generated (not padded: the padding compresses to nothing and would flatter it).
 */
export function gzipRatioOfEvents(count = 10_000, linesPerObject = 100): number {
  const lines = generateClickstreamEvents({
    count,
    seed: 7,
    mix: { bot: 0, malformed: 0, schemaViolation: 0, missingId: 0, oversize: 0, duplicate: 0 },
  }).map((e) => e.line);
  let raw = 0;
  let packed = 0;
  for (let i = 0; i < lines.length; i += linesPerObject) {
    const chunk = Buffer.from(lines.slice(i, i + linesPerObject).join('\n'));
    raw += chunk.length;
    packed += gzipSync(chunk).length;
  }
  return raw / packed;
}
