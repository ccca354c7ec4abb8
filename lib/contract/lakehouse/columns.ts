/**
 * The reserved columns of the lakehouse: what the runtime adds to each curated line when the
 * pipeline keeps a current table (lambda/), what the table declares and the MERGE reads (lib/), and
 * what the local run's stand-in applies (local/). A name changed on one side only is a MERGE that
 * reads NULL for every row.
 */

/**
 * The reserved fields of a curated line of a pipeline with a current table, and the columns of
 * that table. Every name starts with `_etl_` so it cannot clash with a field of the output schema
 * (the construct refuses an output schema that declares one).
 */
export const LAKEHOUSE_COLUMNS = Object.freeze({
  /** The table key: the value of the output's declared key field, else the record id (a string). */
  key: '_etl_key',
  /** What the line does to the row of its key: a {@link RecordOperation}. */
  op: '_etl_op',
  /** The record's event time, ISO-8601 UTC as `Date.prototype.toISOString` writes it. */
  eventTime: '_etl_event_time',
  /** When the runtime wrote the line, ISO-8601 UTC as `Date.prototype.toISOString` writes it. */
  processedAt: '_etl_processed_at',
  /** The version of the transform that derived the line (the function's code hash). */
  transformVersion: '_etl_transform_version',
  /** The version of the input schema the record was validated against (null without schemas). */
  schemaVersion: '_etl_schema_version',
  /**
   * Unique per input position and output index (see {@link lakehousePosition}): the last
   * tie-break, so two lines equal in every other order column still have one winner, the same on
   * every run.
   */
  position: '_etl_position',
} as const);

/** The name of one reserved column. */
export type LakehouseColumn = (typeof LAKEHOUSE_COLUMNS)[keyof typeof LAKEHOUSE_COLUMNS];

/** What a curated line does to the row of its key in the current table. */
export enum RecordOperation {
  /** Insert the row, or replace it when this line is newer than the row. */
  UPSERT = 'upsert',
  /** Remove the row when this line is newer than it (the table keeps a tombstone for the key). */
  DELETE = 'delete',
}

/**
 * The `_etl_position` of an output: the input position (a string unique per input record, e.g.
 * `<shard>:<sequence number>` or `<object key>:<line>`) and the index of the output among those
 * the transform returned for it (0 for a single record). Fixed width so positions of one input
 * sort by output index.
 */
export function lakehousePosition(inputPosition: string, outputIndex: number): string {
  if (!Number.isInteger(outputIndex) || outputIndex < 0) throw new RangeError(`outputIndex must be a non-negative integer, got ${outputIndex}`);
  return `${inputPosition}#${String(outputIndex).padStart(6, '0')}`;
}

/** The order columns of one line: what {@link compareRecordOrder} compares. */
export interface RecordOrder {
  /** The declared version field's value (`versionField`), when the table declares one; absent or null is older than any value. */
  readonly version?: string | number | null;
  /** `_etl_event_time`. */
  readonly eventTime: string;
  /** `_etl_op`: at an equal version and event time a delete is newer than an upsert. @default RecordOperation.UPSERT */
  readonly op?: RecordOperation | string;
  /** `_etl_processed_at`. */
  readonly processedAt: string;
  /** `_etl_position`. */
  readonly position: string;
}

/**
 * The ordering rule of the current table: of the lines of one key, the newest wins, by the
 * declared version column (if any; numbers compare as numbers, strings as strings, a missing
 * version is older than any), then `_etl_event_time`, then the operation (a delete is newer than
 * an upsert of the same version and event time), then `_etl_processed_at`, then `_etl_position`
 * (each compared as a string: the runtime writes ISO-8601 UTC in one format, so string order is
 * time order). A delete newer than the row removes it, an upsert older than a delete never brings
 * the key back. The operation comes before the processing time so that processing an upsert again
 * later (a reprocess run, `replay --reprocess`) can never undo a delete of the same version and
 * event time: only a newer version or event time brings a deleted key back.
 *
 * Returns a negative number when `a` is older than `b`, positive when newer, 0 only when every
 * order column is equal (the same line).
 */
export function compareRecordOrder(a: RecordOrder, b: RecordOrder): number {
  return (
    compareVersion(a.version, b.version) ||
    compareStrings(a.eventTime, b.eventTime) ||
    operationRank(a.op) - operationRank(b.op) ||
    compareStrings(a.processedAt, b.processedAt) ||
    compareStrings(a.position, b.position)
  );
}

/** 1 for a delete, 0 for anything else (an upsert): the delete wins a tie of version and event time. */
function operationRank(op: string | undefined): number {
  return op === RecordOperation.DELETE ? 1 : 0;
}

function compareVersion(a: string | number | null | undefined, b: string | number | null | undefined): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  return compareStrings(String(a), String(b));
}

function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
