/**
 * The bare limit: the record's own work and nothing else. base64 → JSON.parse → PII masking (HMAC
 * of userId, email/ip removed) → the clickstream transform (URL parse, SHA-256) → JSON.stringify,
 * gzip per 1,000 lines. No validation, no idempotency, no AWS calls.
 */
import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent } from 'aws-lambda';
import { transform } from '../../examples/clickstream/transform';

const CONTEXT = {
  pipeline: 'clickstream',
  stage: 'transform',
  recordId: '',
  eventTime: '',
  source: { kind: 'kinesis' as const, streamArn: '', shardId: '', sequenceNumber: '' },
  receivedAt: '',
};

/** Processes every record of the batches; returns the gzip bytes written (so nothing is optimized away). */
export function bareLoop(batches: readonly KinesisStreamEvent[], key: string): number {
  let lines: string[] = [];
  let bytes = 0;
  for (const batch of batches) {
    for (const r of batch.Records) {
      const payload = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as Record<string, unknown>;
      const { email: _email, ip: _ip, ...masked } = payload;
      masked.userId = createHmac('sha256', key).update(String(payload.userId)).digest('hex');
      const out = transform(masked, CONTEXT);
      if (out) lines.push(JSON.stringify(out));
      if (lines.length === 1000) {
        bytes += gzipSync(lines.join('\n')).length;
        lines = [];
      }
    }
  }
  if (lines.length > 0) bytes += gzipSync(lines.join('\n')).length;
  return bytes;
}
