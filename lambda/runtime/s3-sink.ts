import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import { claimCheckPrefix, lineagePrefix } from '../../lib/contract/storage-layout';
import { claimObjects, type ConflictedRecord } from './claim-objects';
import { idempotencyKey } from './idempotency-key';
import { SINK_ITEM_REJECTED, sinkItemKey, type TableWriteOutcome } from './dynamodb-sink';
import type { RuntimeConfig } from './config';
import type { IdempotencyStore } from './idempotency-store';
import { partitionOf, type BatchOutcome, type CuratedOutput, type QuarantinedRecord } from './process-batch';
import { positionId, type BatchKind } from './source-records';
import type { SourcePosition } from './transform-contract';

/** What the sink needs besides the outcome. */
export interface SinkContext {
  readonly s3: S3Client;
  /** The idempotency store; without it curated objects are still idempotent per input range. */
  readonly store?: IdempotencyStore;
  /** What delivered the batch (every source claims with conditional writes). */
  readonly kind: BatchKind;
  /** The Lambda request id, for lineage. */
  readonly requestId?: string;
  /** The batch workflow execution that invoked the runtime (its run manifest), for lineage. */
  readonly workflowRun?: string;
  /** The clock (tests). */
  readonly now?: () => number;
  /** Whether a quarantine object exists (HeadObject); a claim to a missing object is stale. */
  readonly quarantineObjectExists?: (key: string) => Promise<boolean>;
  /** Writes curated records to the optional DynamoDB sink; returns the ids not written (to retry) and refused (to quarantine). */
  readonly tableSink?: (records: Array<{ id: string; record: Record<string, unknown> }>) => Promise<TableWriteOutcome>;
}

/** A curated object written (or attempted) for one partition. */
export interface CuratedObject {
  readonly key: string;
  readonly partition: string;
  readonly outputs: CuratedOutput[];
}

/** What the sink did. */
export interface WriteResult {
  /** Item ids whose output was not stored: the source must retry them (transient failures). */
  readonly failed: Set<string>;
  /** Curated objects written. */
  readonly objects: CuratedObject[];
  /** Input records whose output reached curated. */
  readonly curatedInputs: number;
  /** Output records written to curated. */
  readonly curatedRecords: number;
  /** Output records stored in the raw bucket and referenced from curated. */
  readonly claimChecked: number;
  /** Lag from event time to write, in seconds, of each curated input with its own event time. */
  readonly freshnessLagSeconds: number[];
  /**
   * The newest event time (epoch ms) among the curated inputs, never later than the write (a
   * clock-skewed producer cannot move the watermark into the future); undefined when none was curated.
   */
  readonly newestEventTimeMs?: number;
  /** Whether the lineage manifest was written. */
  readonly lineageWritten: boolean;
  /** Quarantined records written now. */
  readonly quarantined: QuarantinedRecord[];
  /** Item ids of quarantined records already in quarantine from an earlier delivery (skipped). */
  readonly alreadyQuarantined: Set<string>;
  /** Records (in `failed`) another invocation claimed first: a concurrent duplicate was being stored. */
  readonly conflicted: ConflictedRecord[];
}

/**
 * Writes a batch: claims each curated record's id in the idempotency store, then writes one gzip
 * JSON Lines object per partition (keys derived from the input positions, so a retried batch
 * overwrites its own objects), one quarantine object, and one lineage manifest.
 *
 * Never throws for a failed write: the items whose output was not stored are returned.
 */
export async function writeOutcome(ctx: SinkContext, config: RuntimeConfig, outcome: BatchOutcome): Promise<WriteResult> {
  const now = ctx.now ?? Date.now;
  const failed = new Set<string>();
  let objects = planObjects(config, outcome.curated);

  let conflicted: ConflictedRecord[] = [];
  if (ctx.store && objects.length > 0) {
    // All or nothing per object (see claimObjects): a claim never points to an object that
    // exists without its record.
    const claimed = await claimObjects(ctx.store, objects, (outputs) => planObjects(config, outputs));
    objects = claimed.objects;
    claimed.failed.forEach((id) => failed.add(id));
    conflicted = claimed.conflicted;
  }

  const { toWrite: quarantined, already: alreadyQuarantined } = await claimQuarantine(ctx, config, outcome.quarantined, failed);

  // The lineage manifest goes first, like a write-ahead log: every curated object that exists is
  // listed in a manifest. If it cannot be written, nothing is, and the whole batch is retried.
  const writtenAt = now();
  if (objects.length > 0 && !(await writeLineage(ctx, config, outcome, objects, writtenAt, quarantined.length))) {
    objects.forEach((o) => o.outputs.forEach((out) => failed.add(out.itemId)));
    quarantined.forEach((q) => failed.add(q.itemId));
    return emptyResult(failed, alreadyQuarantined, false, conflicted);
  }

  let claimChecked = 0;
  // Records the sink table refused for good: quarantined instead of curated (see below).
  const sinkRejected = new Map<string, QuarantinedRecord>();
  const curatedWrites = objects.map(async (object) => {
    let lines: string[] = [];
    let kept = object.outputs;
    let checked = 0;
    for (const out of object.outputs) {
      for (let i = 0; i < out.lines.length; i++) {
        const line = out.lines[i];
        if (config.rawBucket && Buffer.byteLength(line) > config.maxRecordBytes) {
          lines.push(await claimCheck(ctx.s3, config, out, i, line));
          checked++;
        } else {
          lines.push(line);
        }
      }
    }
    if (ctx.tableSink) {
      // Table items first: the curated object is the commit marker, so a retry (which sees a
      // missing object as a stale claim) rewrites them, and conditional puts keep that idempotent.
      // Items hold exactly what the curated lines hold (JSON values; a claim-check reference for
      // an oversize record, which could not fit in an item anyway).
      let n = 0;
      const owner = new Map<string, CuratedOutput>();
      const items = object.outputs.flatMap((out) =>
        out.lines.map((_, i) => {
          const id = sinkItemKey(out.recordId, i, out.version ?? undefined);
          owner.set(id, out);
          return { id, record: JSON.parse(lines[n++]) as Record<string, unknown> };
        }),
      );
      const { failed: notWritten, rejected } = await ctx.tableSink(items);
      if (notWritten.size > 0) throw new Error(`${notWritten.size} item(s) not written to the sink table`);
      if (rejected.size > 0) {
        // Deterministic (over 400 KB, a number DynamoDB cannot hold): retrying would fail forever.
        const refused = await quarantineSinkRejections(ctx, config, owner, rejected);
        refused.forEach((q) => sinkRejected.set(q.itemId, q));
        kept = object.outputs.filter((out) => !sinkRejected.has(out.itemId));
        let at = 0;
        const ranges = object.outputs.map((out) => [at, (at += out.lines.length)] as const);
        lines = object.outputs.flatMap((out, i) => (sinkRejected.has(out.itemId) ? [] : lines.slice(ranges[i][0], ranges[i][1])));
      }
    }
    const objectRun = object.outputs.every((out) => out.run === object.outputs[0].run) ? object.outputs[0].run : undefined;
    // Written even when every record was refused by the sink table: it is the commit marker the
    // records' claims point to (so a redelivery is a duplicate, not a second quarantine entry).
    await putGzipLines(ctx.s3, config.curatedBucket, object.key, lines, {
      'record-count': String(lines.length),
      'input-count': String(kept.length),
      'transform-version': config.transformVersion,
      stage: config.stage,
      ...(objectRun === undefined ? {} : { 'reprocess-run': objectRun }),
    });
    claimChecked += checked;
  });
  const quarantineWrite = quarantined.length > 0 ? quarantineObject(ctx.s3, config, quarantined) : undefined;

  const results = await Promise.allSettled([...curatedWrites, ...(quarantineWrite ? [quarantineWrite.put] : [])]);
  const written: CuratedObject[] = [];
  results.forEach((result, i) => {
    if (i < objects.length) {
      if (result.status === 'rejected') objects[i].outputs.forEach((out) => failed.add(out.itemId));
      else written.push(objects[i]);
    } else if (result.status === 'rejected') {
      quarantineWrite?.itemIds.forEach((id) => failed.add(id));
    }
  });

  const curatedOf = (o: CuratedObject) => o.outputs.filter((out) => !sinkRejected.has(out.itemId));
  const freshnessLagSeconds = written.flatMap((o) =>
    curatedOf(o).filter((out) => out.eventTimeFromRecord).map((out) => (writtenAt - Date.parse(out.eventTime)) / 1000),
  );
  const newestEventTime = written
    .flatMap((o) => curatedOf(o).map((out) => Date.parse(out.eventTime)))
    .reduce((newest, t) => (Number.isFinite(t) && t > newest ? t : newest), -Infinity);
  return {
    failed,
    objects: written,
    newestEventTimeMs: Number.isFinite(newestEventTime) ? Math.min(writtenAt, newestEventTime) : undefined,
    curatedInputs: written.reduce((n, o) => n + curatedOf(o).length, 0),
    curatedRecords: written.reduce((n, o) => n + curatedOf(o).reduce((m, out) => m + out.lines.length, 0), 0),
    claimChecked,
    freshnessLagSeconds,
    lineageWritten: true,
    quarantined: [...quarantined, ...sinkRejected.values()].filter((q) => !failed.has(q.itemId)),
    alreadyQuarantined,
    conflicted,
  };
}

function emptyResult(
  failed: Set<string>,
  alreadyQuarantined: Set<string>,
  lineageWritten: boolean,
  conflicted: ConflictedRecord[],
): WriteResult {
  return {
    failed,
    objects: [],
    curatedInputs: 0,
    curatedRecords: 0,
    claimChecked: 0,
    freshnessLagSeconds: [],
    lineageWritten,
    quarantined: [],
    alreadyQuarantined,
    conflicted,
  };
}

/**
 * Quarantine entries are claimed in the idempotency store by source position
 * (`quarantine#<position>`), so a record redelivered after it was quarantined (Kinesis redelivers
 * everything after the lowest failed record) is not quarantined twice. Costs reads and writes only
 * for bad records.
 */
async function claimQuarantine(
  ctx: SinkContext,
  config: RuntimeConfig,
  records: QuarantinedRecord[],
  failed: Set<string>,
): Promise<{ toWrite: QuarantinedRecord[]; already: Set<string> }> {
  const already = new Set<string>();
  if (!ctx.store || records.length === 0) return { toWrite: records, already };
  // A reprocess run's entries are its own (namespaced like its curated claims).
  const idOf = (r: QuarantinedRecord) => `quarantine#${r.run === undefined ? '' : `${r.run}/`}${positionId(r.source)}`;
  try {
    const claimed = await ctx.store.lookup(records.map(idOf));
    const toWrite: QuarantinedRecord[] = [];
    const exists = new Map<string, Promise<boolean>>();
    for (const r of records) {
      const objectKey = claimed.get(idOf(r));
      if (objectKey !== undefined) {
        let answer = exists.get(objectKey);
        if (!answer) exists.set(objectKey, (answer = ctx.quarantineObjectExists?.(objectKey) ?? Promise.resolve(true)));
        if (await answer) {
          already.add(r.itemId);
          continue;
        }
      }
      toWrite.push(r);
    }
    if (toWrite.length === 0) return { toWrite, already };
    // The object's key is derived from exactly the records written to it, and it is written only
    // if every one of them is claimed (all or nothing, as for curated objects).
    const key = quarantineObjectKey(config, toWrite);
    const claims = toWrite.map((r) => ({ id: idOf(r), objectKey: key, staleObjectKey: claimed.get(idOf(r)) }));
    const result = await ctx.store.claimConditional(claims);
    if (result.conflicts.size + result.failed.size > 0) {
      toWrite.forEach((r) => failed.add(r.itemId));
      return { toWrite: [], already };
    }
    return { toWrite, already };
  } catch {
    // Nothing is known for sure: every bad record is retried (none counted as already quarantined).
    records.forEach((r) => failed.add(r.itemId));
    return { toWrite: [], already: new Set() };
  }
}

/**
 * Quarantines the records whose sink-table items were refused for good (reason
 * `SINK_ITEM_REJECTED`, with DynamoDB's message), before their object (the commit marker their
 * claims point to) is written: once it exists a redelivery is a duplicate, so the entry must exist
 * first. The entry holds the transform's outputs (already masked), the object's key is derived from
 * the records' positions, so a retry overwrites it. Throws when it cannot be written (the object
 * is then not written either and the records are retried).
 */
async function quarantineSinkRejections(
  ctx: SinkContext,
  config: RuntimeConfig,
  owner: ReadonlyMap<string, CuratedOutput>,
  rejected: ReadonlyMap<string, string>,
): Promise<QuarantinedRecord[]> {
  const byOutput = new Map<CuratedOutput, string>();
  for (const [itemKey, why] of rejected) {
    const out = owner.get(itemKey);
    if (out && !byOutput.has(out)) byOutput.set(out, why);
  }
  const entries: QuarantinedRecord[] = [...byOutput].map(([out, why]) => ({
    itemId: out.itemId,
    recordId: out.recordId,
    reason: SINK_ITEM_REJECTED,
    error: why,
    schemaVersion: out.schemaVersion,
    source: out.source,
    receivedAt: out.receivedAt ?? out.eventTime,
    input: out.records.length === 1 ? out.records[0] : out.records,
  }));
  await quarantineObject(ctx.s3, config, entries).put;
  return entries;
}

/** Groups curated outputs by partition; each group's key is derived from its inputs' positions. */
export function planObjects(config: RuntimeConfig, curated: CuratedOutput[]): CuratedObject[] {
  const groups = new Map<string, CuratedOutput[]>();
  for (const output of curated) {
    const group = groups.get(output.partition);
    if (group) group.push(output);
    else groups.set(output.partition, [output]);
  }
  return [...groups].map(([partition, outputs]) => ({
    partition,
    outputs,
    key: `${config.dataset}/${partition}/${batchObjectId(config, outputs.map((o) => o.source), outputs.map((o) => o.run))}.jsonl.gz`,
  }));
}

/**
 * A stable id for a set of inputs: the same inputs always give the same object key. `runs[i]` is
 * the reprocess run of input `i`, if any: a run's objects never overwrite the first processing's
 * (whose inputs have the same positions) nor another run's, and a retry within the run overwrites
 * its own.
 */
export function batchObjectId(config: RuntimeConfig, positions: SourcePosition[], runs: ReadonlyArray<string | undefined> = []): string {
  const hash = createHash('sha256').update(config.stage);
  positions.forEach((p, i) => hash.update(`\n${runs[i] === undefined ? '' : `${runs[i]}/`}${positionId(p)}`));
  return hash.digest('hex').slice(0, 32);
}


async function claimCheck(s3: S3Client, config: RuntimeConfig, out: CuratedOutput, index: number, line: string): Promise<string> {
  // Named by the idempotency key: another version, or a reprocess run's record, never overwrites this one's.
  const key = `${claimCheckPrefix(config.dataset)}${out.partition}/${createHash('sha256').update(idempotencyKey({ id: out.recordId, version: out.version, run: out.run })).digest('hex').slice(0, 32)}-${index}.json`;
  await s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: line, ContentType: 'application/json' }));
  return JSON.stringify({
    recordId: out.recordId,
    claimCheck: { bucket: config.rawBucket, key, bytes: Buffer.byteLength(line) },
    // With a current table the reference keeps the record's lakehouse columns, its key field and
    // its version field: its row is keyed, ordered (and deleted) like any other; its other data
    // columns are empty, the record is in the claim check.
    ...(config.currentTable ? tableFields(out.records[index], config.currentTable) : {}),
  });
}

function tableFields(record: Record<string, unknown> | undefined, table: { readonly keyField?: string; readonly versionField?: string }): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const kept = [table.keyField, table.versionField, ...Object.values(LAKEHOUSE_COLUMNS)];
  for (const field of kept) if (field !== undefined && record && field in record) fields[field] = record[field];
  return fields;
}

/** The quarantine object of a batch's bad records: partitioned by receive time, named by their positions. */
function quarantineObjectKey(config: RuntimeConfig, records: QuarantinedRecord[]): string {
  const partition = partitionOf(records[0].receivedAt);
  return `${config.dataset}/${partition}/${batchObjectId(config, records.map((r) => r.source), records.map((r) => r.run))}.jsonl.gz`;
}

function quarantineObject(s3: S3Client, config: RuntimeConfig, records: QuarantinedRecord[]) {
  const key = quarantineObjectKey(config, records);
  const lines = records.map((r) => quarantineLine(config, r));
  return {
    itemIds: records.map((r) => r.itemId),
    put: putGzipLines(s3, config.quarantineBucket, key, lines, { 'record-count': String(lines.length), stage: config.stage }),
  };
}

/**
 * One quarantine line, serialised on its own: an input that cannot be serialised (too deep, a
 * cycle, a BigInt from a transform) loses only its `input`, never the other lines of the object.
 */
export function quarantineLine(config: RuntimeConfig, r: QuarantinedRecord): string {
  const entry = {
    pipeline: config.pipeline,
    stage: config.stage,
    recordId: r.recordId,
    reason: r.reason,
    error: r.error,
    errors: r.errors,
    schemaVersion: r.schemaVersion,
    source: r.source,
    receivedAt: r.receivedAt,
    transformVersion: config.transformVersion,
    ...(r.run === undefined ? {} : { reprocessRun: r.run }),
    input: r.input,
  };
  try {
    return JSON.stringify(entry);
  } catch (error) {
    return JSON.stringify({ ...entry, input: null, inputNotSerializable: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

/**
 * One manifest per invocation under `_lineage/<dataset>/` in the curated bucket (outside the
 * dataset's table location), written before the objects it lists: from any curated object to its
 * inputs, code and schema versions. An object listed whose write then failed does not exist; its
 * records are retried and listed again by a later manifest.
 */
async function writeLineage(
  ctx: SinkContext,
  config: RuntimeConfig,
  outcome: BatchOutcome,
  written: CuratedObject[],
  writtenAt: number,
  quarantinedCount: number,
): Promise<boolean> {
  const iso = new Date(writtenAt).toISOString();
  const positions = written.flatMap((o) => o.outputs.map((out) => out.source));
  const outputs = written.flatMap((o) => o.outputs);
  const key = `${lineagePrefix(config.dataset)}dt=${iso.slice(0, 10)}/${batchObjectId(config, positions, outputs.map((out) => out.run))}.json`;
  const runs = [...new Set(outputs.flatMap((out) => (out.run === undefined ? [] : [out.run])))];
  const manifest = {
    pipeline: config.pipeline,
    stage: config.stage,
    requestId: ctx.requestId,
    ...(ctx.workflowRun ? { workflowRun: ctx.workflowRun } : {}),
    writtenAt: iso,
    transformVersion: config.transformVersion,
    // The reprocess runs whose re-derived records the objects hold (each input names its own).
    ...(runs.length > 0 ? { reprocessRuns: runs } : {}),
    counts: {
      curated: written.reduce((n, o) => n + o.outputs.length, 0),
      quarantined: quarantinedCount,
      dropped: outcome.dropped.length,
      duplicates: outcome.duplicates.length,
    },
    objects: written.map((o) => ({
      bucket: config.curatedBucket,
      key: o.key,
      records: o.outputs.reduce((n, out) => n + out.lines.length, 0),
      schemaVersions: [...new Set(o.outputs.map((out) => out.schemaVersion ?? 'none'))],
      inputs: o.outputs.map((out) => ({
        recordId: out.recordId,
        ...(typeof out.version === 'string' ? { version: out.version } : {}),
        source: out.source,
        ...(out.run === undefined ? {} : { reprocessRun: out.run }),
      })),
    })),
  };
  try {
    await ctx.s3.send(
      new PutObjectCommand({ Bucket: config.curatedBucket, Key: key, Body: JSON.stringify(manifest), ContentType: 'application/json' }),
    );
    return true;
  } catch {
    return false;
  }
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
