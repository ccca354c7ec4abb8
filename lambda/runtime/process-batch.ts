import { partitionPath } from '../../lib/contract/storage-layout';
import type { RuntimeConfig } from './config';
import { toEnvelope, type Envelope } from './envelope';
import { idempotencyKey } from './idempotency-key';
import { isPiiIdField, maskQuarantineInput, maskRecord, type PiiHasher } from './pii-masking';
import { allPiiFields, checkSchema, type SchemaBundle } from './schema-validation';
import { isDeleteOutput, withLakehouseColumns } from './record-operations';
import { positionId, type SourceRecord } from './source-records';
import type { PipelineRecord, SourcePosition, TransformModule } from './transform-contract';

/**
 * Why a record was quarantined. `TOO_DEEP`: nested deeper than `MAX_RECORD_DEPTH`;
 * `INVALID_UTF8`: its bytes are not UTF-8 (decoded strictly, never replaced by U+FFFD);
 * `SINK_ITEM_REJECTED`: the DynamoDB sink table refuses its item for good (over 400 KB, a number
 * DynamoDB cannot store): retrying would fail forever (see dynamodb-sink.ts).
 */
export const QUARANTINE_REASONS = [
  'MALFORMED_JSON',
  'NOT_AN_OBJECT',
  'TOO_DEEP',
  'INVALID_UTF8',
  'MISSING_ID',
  'SCHEMA_MISMATCH',
  'UNKNOWN_SCHEMA_VERSION',
  'TRANSFORM_ERROR',
  'INVALID_OUTPUT',
  'SINK_ITEM_REJECTED',
] as const;

/** Why a record was quarantined (one of {@link QUARANTINE_REASONS}). */
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** A record that failed deterministically and goes to the quarantine bucket. */
export interface QuarantinedRecord {
  readonly itemId: string;
  readonly recordId?: string;
  readonly reason: QuarantineReason;
  readonly error: string;
  /** Validation errors, for schema mismatches. */
  readonly errors?: string[];
  readonly schemaVersion?: string;
  readonly source: SourcePosition;
  readonly receivedAt: string;
  /** The input with PII masked (parsed when it was JSON, else the scrubbed raw text). */
  readonly input: unknown;
  /** The reprocess run that quarantined it again (its entry is the run's own). @default - none */
  readonly run?: string;
}

/** Curated output of one input record. */
export interface CuratedOutput {
  readonly itemId: string;
  readonly recordId: string;
  readonly partition: string;
  readonly eventTime: string;
  /** Whether the event time came from the record (freshness is measured only then). */
  readonly eventTimeFromRecord: boolean;
  readonly schemaVersion?: string;
  readonly source: SourcePosition;
  /** When the input was received (ISO-8601), for a quarantine entry written at the sink. */
  readonly receivedAt?: string;
  readonly records: PipelineRecord[];
  /** The records serialized as JSON, one line each (serialized here, so a bad output is quarantined). */
  readonly lines: string[];
  /** An earlier claim of this id whose object was never written (may be taken over). */
  readonly staleObjectKey?: string;
  /** The reprocess run that re-derived it (claims, object keys and lineage are the run's). @default - none */
  readonly run?: string;
  /** Its version, when the pipeline declares a record version field (see `Envelope.version`): part of its idempotency key. */
  readonly version?: string | null;
}

/** A record skipped because its id already reached curated (or appears earlier in the batch). */
export interface DuplicateRecord {
  readonly itemId: string;
  readonly recordId: string;
  /**
   * The item of the same record earlier in this batch, when that is what it duplicates: if that
   * item's output cannot be stored, this one must be retried too (it shares its fate).
   */
  readonly of?: string;
  /** True when an earlier delivery of this same input (same source position) stored the record. */
  readonly redelivered?: boolean;
}

/** What one batch produced, before anything is written. */
export interface BatchOutcome {
  readonly curated: CuratedOutput[];
  readonly quarantined: QuarantinedRecord[];
  /** Item ids of records the transform dropped on purpose (returned null or an empty array). */
  readonly dropped: string[];
  /** Records whose id was already curated. */
  readonly duplicates: DuplicateRecord[];
  /**
   * Records whose id another input claimed moments ago and is still writing: not processed now;
   * a duplicate once that write lands, else retried.
   */
  readonly deferred: DeferredRecord[];
  /** Records whose event time was out of the warehouse's bounds and fell back to the receive time. */
  readonly eventTimeOutOfBounds?: number;
}

/** A record held back while another input's claim on its id is in flight. */
export interface DeferredRecord {
  readonly itemId: string;
  readonly recordId: string;
  readonly position: SourcePosition;
  /** The reprocess run of the record, if any. */
  readonly run?: string;
  /** Its version, if the pipeline declares one (see `Envelope.version`). */
  readonly version?: string | null;
}

/** Answers which record ids already reached curated; see deduplicate.ts. */
export type DuplicateFilter = (envelopes: ReadonlyArray<Pick<Envelope, 'id' | 'itemId' | 'position' | 'run' | 'version'>>) => Promise<{
  /** Item ids to skip as duplicates. */
  readonly duplicates: ReadonlySet<string>;
  /** Stale claims (idempotency key → object key never written) that may be taken over. */
  readonly stale: ReadonlyMap<string, string>;
  /** Item ids whose id another input claimed moments ago and is writing now (not stale). */
  readonly inFlight?: ReadonlySet<string>;
  /** Of the duplicates, those stored by an earlier delivery of this same input (same source position). */
  readonly redelivered?: ReadonlySet<string>;
}>;

/** What the batch processing needs besides the records. */
export interface ProcessOptions {
  /** The pipeline's compiled schemas. Default: none (no validation, no masking). */
  readonly schemas?: SchemaBundle;
  /** Keyed hash for `"x-pii": "hash"` fields. Required when a schema has such fields. */
  readonly hasher?: PiiHasher;
  /** Cross-batch duplicate detection (the idempotency store). Default: within the batch only. */
  readonly duplicateFilter?: DuplicateFilter;
  /** The clock: `_etl_processed_at` of a pipeline with a current table (tests). Default: `Date.now`. */
  readonly now?: () => number;
}

const NO_SCHEMAS: SchemaBundle = { versions: {} };

/**
 * Takes a batch through envelope → schema validation → PII masking → deduplication → transform.
 * Never throws for a bad record: malformed input, schema mismatches and transform errors are
 * deterministic failures and are returned as quarantined (masked).
 */
export async function processBatch(
  records: SourceRecord[],
  module: TransformModule,
  config: RuntimeConfig,
  options: ProcessOptions = {},
): Promise<BatchOutcome> {
  const schemas = options.schemas ?? NO_SCHEMAS;
  const quarantined: QuarantinedRecord[] = [];
  let eventTimeOutOfBounds = 0;
  const ready: Array<{ envelope: Envelope; schemaVersion?: string }> = [];
  // An id field marked x-pii (in any version) never leaves the record raw: the id is its keyed hash.
  const idIsPii = isPiiIdField(config.idField, allPiiFields(schemas));
  if (idIsPii && !options.hasher) {
    throw new Error(`cdk-serverless-etl runtime: the id field "${config.idField}" is marked "x-pii", so record ids are its keyed hash, but no hashing key is configured`);
  }

  for (const source of records) {
    const receivedAt = new Date(source.receivedAtMs).toISOString();
    const sourceRun = config.currentTable && source.reprocessRun !== undefined ? { run: source.reprocessRun } : {};
    const base = { itemId: source.itemId, source: source.position, receivedAt, ...sourceRun };
    const result = toEnvelope(source, config);
    if (!result.ok) {
      quarantined.push({ ...base, reason: result.reason, error: result.message, input: maskInput(result.input, schemas, options.hasher) });
      continue;
    }
    if (result.envelope.eventTimeOutOfBounds) eventTimeOutOfBounds++;
    const hashed = idIsPii ? { ...result.envelope, id: (options.hasher as PiiHasher)(result.envelope.id) } : result.envelope;
    // A reprocess run is written as new lines only where a current table takes them over the old
    // ones; without one it is a plain replay (deduplicated against the first processing).
    const envelope = hashed.run !== undefined && !config.currentTable ? { ...hashed, run: undefined } : hashed;
    const check = checkSchema(envelope.payload, schemas);
    if (!check.ok) {
      quarantined.push({
        ...base,
        ...runOf(envelope),
        recordId: envelope.id,
        reason: check.reason,
        error: check.errors[0],
        errors: check.errors,
        schemaVersion: check.version,
        input: maskQuarantineInput(envelope.payload, check.pii, options.hasher),
      });
      continue;
    }
    ready.push({ envelope: { ...envelope, payload: maskRecord(envelope.payload, check.pii, options.hasher) }, schemaVersion: check.version });
  }

  const duplicates: DuplicateRecord[] = [];
  const fresh: typeof ready = [];
  const firstItem = new Map<string, string>();
  for (const r of ready) {
    const key = idempotencyKey(r.envelope);
    const first = firstItem.get(key);
    if (first !== undefined) duplicates.push({ itemId: r.envelope.itemId, recordId: r.envelope.id, of: first });
    else {
      firstItem.set(key, r.envelope.itemId);
      fresh.push(r);
    }
  }
  const known = options.duplicateFilter ? await options.duplicateFilter(fresh.map((r) => r.envelope)) : undefined;

  const curated: CuratedOutput[] = [];
  const dropped: string[] = [];
  const deferred: DeferredRecord[] = [];
  for (const { envelope, schemaVersion } of fresh) {
    if (known?.inFlight?.has(envelope.itemId)) {
      deferred.push({ itemId: envelope.itemId, recordId: envelope.id, position: envelope.position, ...keyPartsOf(envelope) });
      continue;
    }
    if (known?.duplicates.has(envelope.itemId)) {
      duplicates.push({ itemId: envelope.itemId, recordId: envelope.id, ...(known.redelivered?.has(envelope.itemId) ? { redelivered: true } : {}) });
      continue;
    }
    const base = { itemId: envelope.itemId, recordId: envelope.id, source: envelope.position, receivedAt: envelope.receivedAt, schemaVersion, ...runOf(envelope) };
    let result: unknown;
    try {
      result = await module.transform(envelope.payload, {
        pipeline: config.pipeline,
        stage: config.stage,
        recordId: envelope.id,
        schemaVersion,
        eventTime: envelope.eventTime,
        source: envelope.position,
        receivedAt: envelope.receivedAt,
      });
    } catch (error) {
      quarantined.push({ ...base, reason: 'TRANSFORM_ERROR', error: errorMessage(error), input: envelope.payload });
      continue;
    }
    if (result === null || result === undefined) {
      dropped.push(envelope.itemId);
      continue;
    }
    const outputs = Array.isArray(result) ? result : [result];
    if (outputs.length === 0) {
      dropped.push(envelope.itemId);
      continue;
    }
    if (!outputs.every(isPlainObject)) {
      quarantined.push({ ...base, reason: 'INVALID_OUTPUT', error: 'transform must return an object, an array of objects, or null', input: envelope.payload });
      continue;
    }
    let records = outputs as PipelineRecord[];
    if (config.currentTable) {
      const withColumns = withLakehouseColumns(records, {
        keyField: config.currentTable.keyField,
        recordId: envelope.id,
        eventTime: envelope.eventTime,
        processedAt: new Date((options.now ?? Date.now)()).toISOString(),
        transformVersion: config.transformVersion,
        schemaVersion,
        inputPosition: positionId(envelope.position),
      });
      if (!withColumns.ok) {
        quarantined.push({ ...base, reason: 'INVALID_OUTPUT', error: withColumns.error, input: envelope.payload });
        continue;
      }
      records = withColumns.records;
    } else if (records.some(isDeleteOutput)) {
      quarantined.push({ ...base, reason: 'INVALID_OUTPUT', error: 'transform returned a delete (deleteRecord), but the pipeline keeps no current table', input: envelope.payload });
      continue;
    }
    let lines: string[];
    try {
      lines = records.map((o) => JSON.stringify(o));
    } catch (error) {
      quarantined.push({
        ...base,
        reason: 'INVALID_OUTPUT',
        error: `transform output is not JSON-serializable: ${errorMessage(error)}`,
        input: envelope.payload,
      });
      continue;
    }
    curated.push({
      itemId: envelope.itemId,
      recordId: envelope.id,
      partition: partitionOf(envelope.eventTime),
      eventTime: envelope.eventTime,
      eventTimeFromRecord: envelope.eventTimeFromRecord,
      schemaVersion,
      source: envelope.position,
      receivedAt: envelope.receivedAt,
      records,
      lines,
      staleObjectKey: known?.stale.get(idempotencyKey(envelope)),
      ...keyPartsOf(envelope),
    });
  }
  return { curated, quarantined, dropped, duplicates, deferred, ...(eventTimeOutOfBounds > 0 ? { eventTimeOutOfBounds } : {}) };
}

/** Hive-style partition of an ISO-8601 UTC time: `dt=YYYY-MM-DD/hr=HH`. */
export function partitionOf(isoTime: string): string {
  return partitionPath(isoTime.slice(0, 10), isoTime.slice(11, 13));
}

/** Masks an input that never became an envelope (it may not even be JSON) with every version's PII fields. */
function maskInput(input: unknown, schemas: SchemaBundle, hasher: PiiHasher | undefined): unknown {
  return maskQuarantineInput(input, allPiiFields(schemas), hasher);
}

function runOf(envelope: Envelope): { run?: string } {
  return envelope.run === undefined ? {} : { run: envelope.run };
}

/** What of an envelope besides its id makes its idempotency key: its reprocess run and its version, when it has them. */
function keyPartsOf(envelope: Envelope): { run?: string; version?: string | null } {
  return { ...runOf(envelope), ...(envelope.version === undefined ? {} : { version: envelope.version }) };
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
