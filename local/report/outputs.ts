/**
 * Reads what a local run left behind, the way a user would inspect it on AWS: curated objects
 * (gzip JSON Lines; fauxqs drops Content-Encoding, so gzip is recognised by its magic bytes) and
 * `_lineage/` manifests, quarantine objects, and the messages of every dead-letter queue. Writes
 * them as files under a directory (`--out`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LINEAGE_ROOT } from '../../lib/contract/storage-layout';

/** An object with its body as text (decompressed). */
export interface ObjectText {
  readonly bucket: string;
  readonly key: string;
  readonly text: string;
}

/** A dead-letter queue and the messages it holds. */
export interface DeadLetterContents {
  readonly path: string;
  readonly queueName: string;
  /** What feeds it: Kinesis on-failure destination, a queue's redrive, or a rule target's DLQ. */
  readonly kind: 'on-failure' | 'redrive' | 'rule-target';
  readonly messages: Array<{ readonly body: string; readonly attributes: Record<string, string> }>;
}

/** Everything a run wrote. */
export interface RunOutputs {
  /** Curated data objects (not the manifests). */
  readonly curated: ObjectText[];
  /** `_lineage/` manifests of the curated buckets. */
  readonly lineage: ObjectText[];
  readonly quarantine: ObjectText[];
  readonly deadLetters: DeadLetterContents[];
}

/** Where to read from. */
export interface OutputLocations {
  readonly curatedBuckets: string[];
  readonly quarantineBuckets: string[];
  readonly deadLetterQueues: Array<{ path: string; queueName: string; url: string; kind: DeadLetterContents['kind'] }>;
}

/**
 * Reads the buckets and the dead-letter queues: their messages are received (hidden for 15
 * minutes), or with `keepDeadLetters` made visible again once read (a redrive may follow).
 */
export async function readOutputs(s3: S3Client, sqs: SQSClient, where: OutputLocations, options: { keepDeadLetters?: boolean } = {}): Promise<RunOutputs> {
  const curated: ObjectText[] = [];
  const lineage: ObjectText[] = [];
  for (const bucket of where.curatedBuckets) {
    for (const object of await readBucket(s3, bucket)) (object.key.startsWith(LINEAGE_ROOT) ? lineage : curated).push(object);
  }
  const quarantine = (await Promise.all(where.quarantineBuckets.map((b) => readBucket(s3, b)))).flat();
  const deadLetters: DeadLetterContents[] = [];
  for (const q of where.deadLetterQueues) {
    deadLetters.push({ path: q.path, queueName: q.queueName, kind: q.kind, messages: await drainQueue(sqs, q.url, options.keepDeadLetters ?? false) });
  }
  return { curated, lineage, quarantine, deadLetters };
}

/**
 * Writes the outputs under `dir`: `curated/<bucket>/<key>` and `quarantine/<bucket>/<key>` (one
 * file per object, decompressed: `.jsonl.gz` becomes `.jsonl`), and `dlq/<queue>.jsonl` (one
 * message body per line). Returns the files written.
 */
export function writeOutputs(dir: string, outputs: RunOutputs): string[] {
  const files: string[] = [];
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    files.push(file);
  };
  for (const o of [...outputs.curated, ...outputs.lineage]) write(path.join(dir, 'curated', o.bucket, stripGz(o.key)), o.text);
  for (const o of outputs.quarantine) write(path.join(dir, 'quarantine', o.bucket, stripGz(o.key)), o.text);
  for (const q of outputs.deadLetters) {
    write(path.join(dir, 'dlq', `${q.queueName}.jsonl`), q.messages.map((m) => `${m.body.replace(/\n/g, '\\n')}\n`).join(''));
  }
  return files;
}

/** Lines of a JSON Lines text, without empty ones. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

function stripGz(key: string): string {
  return key.replace(/\.gz$/, '');
}

async function readBucket(s3: S3Client, bucket: string): Promise<ObjectText[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((c) => c.Key as string));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  const objects: ObjectText[] = [];
  for (let i = 0; i < keys.length; i += 16) {
    const chunk = await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
        const gzip = body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
        return { bucket, key, text: (gzip ? gunzipSync(body) : body).toString('utf8') };
      }),
    );
    objects.push(...chunk);
  }
  return objects.sort((a, b) => a.key.localeCompare(b.key));
}

async function drainQueue(sqs: SQSClient, url: string, keep: boolean): Promise<DeadLetterContents['messages']> {
  const messages: Array<{ body: string; attributes: Record<string, string> }> = [];
  const handles: string[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 900, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    if (!out.Messages || out.Messages.length === 0) break;
    for (const m of out.Messages) {
      if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
      const attributes = Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']));
      messages.push({ body: m.Body ?? '', attributes });
    }
  }
  if (keep) {
    for (let i = 0; i < handles.length; i += 10) {
      const entries = handles.slice(i, i + 10).map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 }));
      await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  }
  return messages;
}
