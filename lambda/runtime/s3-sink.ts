import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RuntimeConfig } from './config';
import type { BatchOutcome, CuratedOutput, QuarantinedRecord } from './process-batch';
import type { SourcePosition } from './transform-contract';

/** Item ids whose outputs could not be written (transient failures, to be retried by the source). */
export type FailedItems = Set<string>;

/**
 * Writes a batch's curated records (one gzip JSON Lines object per partition) and quarantined
 * records (one object per batch). Object keys are derived from the input positions, so a
 * retried batch overwrites its own objects instead of adding new ones.
 *
 * Never throws for a failed write: the items whose output was not stored are returned.
 */
export async function writeOutcome(s3: S3Client, config: RuntimeConfig, outcome: BatchOutcome): Promise<FailedItems> {
  const writes: Array<{ itemIds: string[]; put: Promise<unknown> }> = [];
  for (const [partition, outputs] of groupByPartition(outcome.curated)) {
    const lines = outputs.flatMap((o) => o.lines);
    if (lines.length === 0) continue;
    const key = `${config.dataset}/${partition}/${batchObjectId(config, outputs.map((o) => o.source))}.jsonl.gz`;
    writes.push({
      itemIds: outputs.map((o) => o.itemId),
      put: putGzipLines(s3, config.curatedBucket, key, lines, {
        'record-count': String(lines.length),
        'input-count': String(outputs.length),
        'transform-version': config.transformVersion,
        stage: config.stage,
      }),
    });
  }
  if (outcome.quarantined.length > 0) {
    writes.push(quarantineWrite(s3, config, outcome.quarantined));
  }

  const results = await Promise.allSettled(writes.map((w) => w.put));
  const failed: FailedItems = new Set();
  results.forEach((result, i) => {
    if (result.status === 'rejected') writes[i].itemIds.forEach((id) => failed.add(id));
  });
  return failed;
}

function quarantineWrite(s3: S3Client, config: RuntimeConfig, records: QuarantinedRecord[]) {
  const receivedAt = records[0].receivedAt;
  const partition = `dt=${receivedAt.slice(0, 10)}/hr=${receivedAt.slice(11, 13)}`;
  const key = `${config.dataset}/${partition}/${batchObjectId(config, records.map((r) => r.source))}.jsonl.gz`;
  const lines = records.map((r) =>
    JSON.stringify({
      pipeline: config.pipeline,
      stage: config.stage,
      recordId: r.recordId,
      reason: r.reason,
      error: r.error,
      source: r.source,
      receivedAt: r.receivedAt,
      transformVersion: config.transformVersion,
      input: r.input,
    }),
  );
  return {
    itemIds: records.map((r) => r.itemId),
    put: putGzipLines(s3, config.quarantineBucket, key, lines, { 'record-count': String(lines.length), stage: config.stage }),
  };
}

function groupByPartition(outputs: CuratedOutput[]): Map<string, CuratedOutput[]> {
  const groups = new Map<string, CuratedOutput[]>();
  for (const output of outputs) {
    const group = groups.get(output.partition);
    if (group) group.push(output);
    else groups.set(output.partition, [output]);
  }
  return groups;
}

/** A stable id for a set of inputs: the same inputs always give the same object key. */
export function batchObjectId(config: RuntimeConfig, positions: SourcePosition[]): string {
  const hash = createHash('sha256').update(config.stage);
  for (const p of positions) {
    hash.update(p.kind === 'kinesis' ? `\n${p.shardId}/${p.sequenceNumber}` : `\n${p.messageId}`);
  }
  return hash.digest('hex').slice(0, 32);
}

function putGzipLines(s3: S3Client, bucket: string, key: string, lines: string[], metadata: Record<string, string>) {
  return s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: gzipSync(`${lines.join('\n')}\n`),
      ContentType: 'application/x-ndjson',
      ContentEncoding: 'gzip',
      Metadata: metadata,
    }),
  );
}
