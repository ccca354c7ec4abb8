/**
 * Lambda entry point of the BatchWorkflow's own steps (one small function, four actions):
 *
 * - `check`: HeadObject (size limit), then one streaming pass over the object (gzip too, its
 *   decompressed bytes bounded as well) that counts its lines and parses a sample of them; returns the line ranges the workflow maps over.
 *   Deterministic rejections throw named errors (`ObjectTooLarge`, `NotJsonLines`,
 *   `TooManyBatches`, `EmptyObject`) that the state machine routes to quarantine.
 * - `summarize`: sums the batch summaries of the Map and decides whether the schema drifted.
 * - `quarantine`: records a rejected or drifted object in the quarantine bucket: a pointer to it
 *   (bucket, key, version, ETag, size) with the reason, never a copy of its bytes (raw PII).
 * - `resolveKey`: fills the date placeholders of a scheduled run's key template.
 * - `lineage`: writes the run-level lineage manifest (source object version, transform version,
 *   schema sample, counts), one per execution, named by the execution.
 *
 * It never reads a record's content beyond parsing the sample (no payload is logged or returned).
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runtimeClientConfig } from '../runtime/aws-clients';

/** Names of the deterministic rejections (the state machine catches them by name). */
export const CHECK_ERRORS = ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'] as const;

/**
 * A contiguous range of lines, processed by one invocation of the transform. For an uncompressed
 * object it also carries the range's bytes (inclusive), so the invocation reads only its part of
 * the object; for gzip they are `null` (the runtime decompresses from the start).
 */
export interface LineRange {
  readonly firstLine: number;
  readonly lineCount: number;
  readonly firstByte: number | null;
  readonly lastByte: number | null;
}

/** `check` input. */
export interface CheckObjectInput {
  readonly action: 'check';
  readonly bucket: string;
  readonly key: string;
  readonly linesPerBatch: number;
  readonly maxObjectBytes: number;
  /**
   * Bound on a gzip object's decompressed bytes: the check inflates and counts, and stops with
   * `ObjectTooLarge` past it (a small gzip can inflate to more than any batch can read).
   * @default - maxObjectBytes
   */
  readonly maxDecompressedBytes?: number;
  /** @default 1000 */
  readonly maxBatches?: number;
  /** Lines parsed as JSON to decide whether the object is JSON Lines. @default 100 */
  readonly sampleSize?: number;
  /** Lines of the schema sample (the workflow's `schemaSampleLines`) whose byte range to return. @default 0 */
  readonly schemaSampleLines?: number;
}

/** `check` output. */
export interface CheckObjectOutput {
  readonly bytes: number;
  readonly lineCount: number;
  /** The ETag the batches read with `If-Match` (a replaced object fails them instead of mixing versions). */
  readonly etag: string | null;
  readonly versionId: string | null;
  readonly ranges: LineRange[];
  /** Whether the object is gzip (then ranges carry no bytes). */
  readonly gzip: boolean;
  /** The range of the schema sample: the first `schemaSampleLines` lines (at least one line). */
  readonly sampleRange: LineRange;
}

/** Counts of one batch, as the transform's runtime returns them. */
export interface Counts {
  recordsIn: number;
  curated: number;
  quarantined: number;
  schemaMismatches: number;
  dropped: number;
  duplicates: number;
  retried: number;
}

/** `summarize` input: the Map's results. */
export interface SummarizeInput {
  readonly action: 'summarize';
  readonly batches: Array<{ summary?: Partial<Counts> } | null>;
  readonly maxDriftRate: number;
}

/** `summarize` output. */
export interface SummarizeOutput extends Counts {
  /** What the counts cover: the whole object (a drift verdict after loading). */
  readonly scope: 'object';
  readonly batches: number;
  readonly driftRate: number;
  readonly drifted: boolean;
}

/** `quarantine` input. */
export interface QuarantineInput {
  readonly action: 'quarantine';
  readonly bucket: string;
  readonly key: string;
  readonly quarantineBucket: string;
  readonly prefix: string;
  readonly reason: string;
  readonly cause?: string;
  readonly executionId?: string;
}

/** `lineage` input: what the state machine knows of the run when its batches are summarized. */
export interface LineageInput {
  readonly action: 'lineage';
  /** Bucket and key prefix of the run manifests (the curated bucket's `_lineage/<dataset>/runs/`). */
  readonly bucket: string;
  readonly prefix: string;
  readonly pipeline: string;
  readonly dataset: string;
  readonly executionId: string;
  readonly executionName: string;
  /** The execution's start time (ISO 8601). */
  readonly startedAt: string;
  readonly source: { readonly bucket: string; readonly key: string; readonly object: Partial<CheckObjectOutput> };
  readonly transform: { readonly functionName: string; readonly alias: string; readonly version: string };
  readonly schemaSample?: Record<string, unknown>;
  readonly counts: Partial<SummarizeOutput>;
}

/** `resolveKey` input: a scheduled run's key template, the schedule's fire time and an offset. */
export interface ResolveKeyInput {
  readonly action: 'resolveKey';
  readonly template: string;
  /** The scheduled event's `time` (ISO 8601, UTC). */
  readonly time: string;
  /** Seconds subtracted from `time` before the placeholders are filled. @default 0 */
  readonly offsetSeconds?: number;
}

/**
 * The key of a scheduled run: `{yyyy}`, `{MM}`, `{dd}`, `{HH}` and `{date}` (`yyyy-MM-dd`) of
 * `time - offsetSeconds`, in UTC. Unknown placeholders are an error (synth already rejects them).
 */
export function resolveKey(input: ResolveKeyInput): string {
  const at = new Date(Date.parse(input.time) - (input.offsetSeconds ?? 0) * 1000);
  if (Number.isNaN(at.getTime())) throw new Error(`resolveKey: time ${JSON.stringify(input.time)} is not an ISO 8601 date`);
  const iso = at.toISOString();
  const parts: Record<string, string> = {
    yyyy: iso.slice(0, 4),
    MM: iso.slice(5, 7),
    dd: iso.slice(8, 10),
    HH: iso.slice(11, 13),
    date: iso.slice(0, 10),
  };
  return input.template.replace(/\{([^}]*)\}/g, (placeholder: string, name: string) => {
    // Own placeholders only: "{constructor}" or "{toString}" is unknown, not an inherited member.
    const value = Object.prototype.hasOwnProperty.call(parts, name) ? parts[name] : undefined;
    if (value === undefined) throw new Error(`resolveKey: unknown placeholder ${placeholder} in ${JSON.stringify(input.template)}`);
    return value;
  });
}

/** A rejection the workflow handles deterministically (quarantine, never retried). */
export class CheckError extends Error {
  constructor(name: (typeof CHECK_ERRORS)[number], message: string) {
    super(message);
    this.name = name;
  }
}

const COUNT_FIELDS: Array<keyof Counts> = ['recordsIn', 'curated', 'quarantined', 'schemaMismatches', 'dropped', 'duplicates', 'retried'];

/** Sums the batch summaries; the drift rate is schema mismatches over records in. */
export function summarize(input: SummarizeInput): SummarizeOutput {
  const total = Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as unknown as Counts;
  for (const batch of input.batches) {
    for (const f of COUNT_FIELDS) total[f] += Number(batch?.summary?.[f] ?? 0);
  }
  const driftRate = total.recordsIn === 0 ? 0 : total.schemaMismatches / total.recordsIn;
  return { ...total, scope: 'object', batches: input.batches.length, driftRate, drifted: driftRate > input.maxDriftRate };
}

/**
 * Line ranges of `linesPerBatch` lines covering `lineCount` lines (1-based). With `lineStart`
 * (the byte offset of a line, known for the first line of every range) and the object's size,
 * each range also gets its bytes.
 */
export function lineRanges(
  lineCount: number,
  linesPerBatch: number,
  bytes?: { readonly lineStart: (line: number) => number; readonly size: number },
): LineRange[] {
  const ranges: LineRange[] = [];
  for (let first = 1; first <= lineCount; first += linesPerBatch) {
    const count = Math.min(linesPerBatch, lineCount - first + 1);
    const next = first + count;
    ranges.push({
      firstLine: first,
      lineCount: count,
      firstByte: bytes ? bytes.lineStart(first) : null,
      lastByte: bytes ? (next <= lineCount ? bytes.lineStart(next) : bytes.size) - 1 : null,
    });
  }
  return ranges;
}

/** What one pass over an object found. */
export interface LineScan {
  readonly lineCount: number;
  /** Up to `sampleSize` non-empty lines (for the format check). */
  readonly sample: string[];
  /** Byte offset of line `n` for every `n` that is 1 plus a multiple of `every` (key: line number). */
  readonly lineStarts: ReadonlyMap<number, number>;
}

/**
 * Counts the lines of a byte stream (a last line without "\n" counts), keeps up to `sampleSize`
 * non-empty lines and the byte offsets of every `every`-th line start, reading the stream once
 * without holding it in memory. Works on bytes: offsets are exact for any UTF-8 content.
 */
export async function scanLines(stream: AsyncIterable<Buffer | Uint8Array | string>, sampleSize: number, every = 0): Promise<LineScan> {
  let lineCount = 0;
  let offset = 0; // bytes before the current chunk
  let lineStart = 0; // byte offset of the current (unfinished) line
  let partial: Buffer[] = [];
  const sample: string[] = [];
  const lineStarts = new Map<number, number>();
  const startLine = (line: number, at: number) => {
    if (every > 0 && (line - 1) % every === 0) lineStarts.set(line, at);
  };
  const keep = (line: Buffer) => {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() !== '') sample.push(text);
  };
  startLine(1, 0);
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (chunk.length === 0) continue;
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      lineCount++;
      if (sample.length < sampleSize) keep(Buffer.concat([...partial, chunk.subarray(from, nl)]));
      partial = [];
      from = nl + 1;
      lineStart = offset + from;
      startLine(lineCount + 1, lineStart);
    }
    if (sample.length < sampleSize && from < chunk.length) partial.push(chunk.subarray(from));
    offset += chunk.length;
  }
  if (offset > lineStart) {
    lineCount++;
    if (sample.length < sampleSize) keep(Buffer.concat(partial));
  }
  return { lineCount, sample, lineStarts };
}

/**
 * The object's bytes, gunzipped when they are gzip (by their magic bytes, like the runtime reads
 * them). Inflated bytes are counted as they stream: past `maxBytes` the read stops and `tooLarge`
 * is thrown (a decompression bomb is never inflated beyond the bound).
 */
async function decompressed(body: Readable, maxBytes: number, tooLarge: () => Error): Promise<{ gzip: boolean; bytes: AsyncIterable<Buffer> }> {
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* rest(): AsyncGenerator<Buffer> {
    if (!first.done) yield Buffer.from(first.value);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const input = Readable.from(rest());
    const inflate = input.pipe(createGunzip());
    async function* bounded(): AsyncGenerator<Buffer> {
      let total = 0;
      try {
        for await (const chunk of inflate as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > maxBytes) throw tooLarge();
          yield chunk;
        }
      } finally {
        inflate.destroy();
        input.destroy();
        body.destroy?.();
      }
    }
    return { gzip: true, bytes: bounded() };
  }
  return { gzip: false, bytes: rest() };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The steps function's timeout, set by BatchWorkflow. */
const STEPS_FUNCTION_TIMEOUT_SECONDS = 300;

/**
 * The steps function's S3 client: connection and request timeouts and the standard retry mode,
 * sized against the function's 5-minute timeout (BatchWorkflow), like the transform's clients.
 */
export function stepsS3Client(): S3Client {
  return new S3Client(runtimeClientConfig(STEPS_FUNCTION_TIMEOUT_SECONDS));
}

/** Creates the handler; `s3` is injectable for tests. */
export function createHandler(s3: S3Client = stepsS3Client()) {
  async function check(input: CheckObjectInput): Promise<CheckObjectOutput> {
    const { bucket, key, linesPerBatch, maxObjectBytes } = input;
    const maxBatches = input.maxBatches ?? 1000;
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = head.ContentLength ?? 0;
    if (bytes > maxObjectBytes) {
      throw new CheckError('ObjectTooLarge', `s3://${bucket}/${key} is ${bytes} bytes; the limit is ${maxObjectBytes} (maxObjectBytes)`);
    }
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: head.ETag }));
    const maxInflated = input.maxDecompressedBytes ?? maxObjectBytes;
    const { gzip, bytes: content } = await decompressed(
      object.Body as Readable,
      maxInflated,
      () =>
        new CheckError(
          'ObjectTooLarge',
          `s3://${bucket}/${key} is gzip of more than ${maxInflated} bytes decompressed (${bytes} compressed); the limit is ${maxInflated} (maxObjectBytes)`,
        ),
    );
    const sampleLines = Math.max(1, input.schemaSampleLines ?? 0);
    const { lineCount, sample, lineStarts } = await scanLines(content, input.sampleSize ?? 100, gzip ? 0 : gcd(linesPerBatch, sampleLines));
    if (sample.length === 0) throw new CheckError('EmptyObject', `s3://${bucket}/${key} has no records`);
    const valid = sample.filter(isJsonObject).length;
    // Some bad lines are the runtime's business (quarantined with their line); a mostly-bad sample
    // means the object is not JSON Lines at all (CSV, a JSON array, binary).
    if (valid / sample.length < 0.5) {
      throw new CheckError('NotJsonLines', `s3://${bucket}/${key}: ${sample.length - valid} of the first ${sample.length} lines are not JSON objects`);
    }
    // Byte ranges let each invocation read only its part of an uncompressed object.
    const byteRanges = gzip ? undefined : { lineStart: (line: number) => lineStarts.get(line) as number, size: bytes };
    const ranges = lineRanges(lineCount, linesPerBatch, byteRanges);
    if (ranges.length > maxBatches) {
      throw new CheckError(
        'TooManyBatches',
        `s3://${bucket}/${key} has ${lineCount} lines: ${ranges.length} batches of ${linesPerBatch}, above ${maxBatches}; raise linesPerBatch or split the object`,
      );
    }
    const [sampleRange] = lineRanges(lineCount, sampleLines, byteRanges);
    return { bytes, lineCount, etag: head.ETag ?? null, versionId: head.VersionId ?? null, gzip, ranges, sampleRange };
  }

  /**
   * Writes `<prefix><key>.error.json`: where the object is (its version, ETag and size, so the
   * exact bytes can be found in the source bucket while it keeps them) and why it was rejected.
   * The object is not copied: its records are raw input (PII), which only the raw bucket holds by
   * design; a copy could not be masked (not JSON Lines, too large, unknown schema).
   */
  async function quarantine(input: QuarantineInput): Promise<{ bucket: string; key: string }> {
    const key = `${input.prefix}${input.key}.error.json`;
    let object: Record<string, unknown>;
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: input.key }));
      object = {
        versionId: head.VersionId ?? null,
        etag: head.ETag ?? null,
        bytes: head.ContentLength ?? null,
        lastModified: head.LastModified?.toISOString() ?? null,
      };
    } catch (error) {
      // Gone or unreadable: the pointer says so; the reason is still recorded.
      object = { headError: (error as { name?: string }).name ?? 'Error' };
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: input.quarantineBucket,
        Key: key,
        ContentType: 'application/json',
        Body: JSON.stringify({
          source: { bucket: input.bucket, key: input.key, ...object },
          reason: input.reason,
          cause: input.cause ?? null,
          executionId: input.executionId ?? null,
          quarantinedAt: new Date().toISOString(),
          note: 'A pointer, not a copy: the object holds raw input and stays in its source bucket. Rerun it from there once fixed.',
        }),
      }),
    );
    return { bucket: input.quarantineBucket, key };
  }

  /**
   * One manifest per execution at `<prefix>dt=<start date>/<execution name>.json`: a retry of the
   * step overwrites it with the same content. The per-batch manifests the runtime writes list the
   * curated objects and record positions; this one ties them to the source object's version.
   */
  async function lineage(input: LineageInput): Promise<{ bucket: string; key: string }> {
    const key = `${input.prefix}dt=${input.startedAt.slice(0, 10)}/${input.executionName}.json`;
    const { ranges, ...object } = input.source.object;
    const manifest = {
      kind: 'batch-run',
      pipeline: input.pipeline,
      dataset: input.dataset,
      executionId: input.executionId,
      startedAt: input.startedAt,
      recordedAt: new Date().toISOString(),
      source: { bucket: input.source.bucket, key: input.source.key, ...object, batches: ranges?.length ?? null },
      transform: input.transform,
      schemaSample: input.schemaSample ?? null,
      counts: input.counts,
    };
    await s3.send(new PutObjectCommand({ Bucket: input.bucket, Key: key, ContentType: 'application/json', Body: JSON.stringify(manifest) }));
    return { bucket: input.bucket, key };
  }

  return async (event: CheckObjectInput | SummarizeInput | QuarantineInput | LineageInput | ResolveKeyInput): Promise<unknown> => {
    switch (event.action) {
      case 'check':
        return check(event);
      case 'summarize':
        return summarize(event);
      case 'quarantine':
        return quarantine(event);
      case 'lineage':
        return lineage(event);
      case 'resolveKey':
        return resolveKey(event);
      default:
        throw new Error(`unknown action ${JSON.stringify((event as { action?: unknown }).action)}`);
    }
  };
}

export const handler = createHandler();
