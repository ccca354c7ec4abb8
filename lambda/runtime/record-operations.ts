import { LAKEHOUSE_COLUMNS, RecordOperation, lakehousePosition } from '../../lib/contract/lakehouse/columns';
import type { PipelineRecord } from './transform-contract';

/** What a transform returns to delete the row of `key` from the current table. */
export interface DeleteOutput {
  readonly _etl_op: RecordOperation.DELETE;
  readonly _etl_key: string;
  readonly [field: string]: unknown;
}

/**
 * An output that deletes the row of `key` from the pipeline's current table (return it from a
 * transform, alone or among other outputs). `fields` are written with it, e.g. the declared
 * version field (`{ updatedAt: record.updatedAt }`), so the delete is ordered against upserts of
 * the key like any other line. Plain data, so a literal `{ _etl_op: 'delete', _etl_key: key }`
 * does the same. A pipeline without a current table quarantines it (`INVALID_OUTPUT`).
 */
export function deleteRecord(key: string | number, fields: PipelineRecord = {}): DeleteOutput {
  if ((typeof key !== 'string' && typeof key !== 'number') || key === '') throw new TypeError('deleteRecord: key must be a non-empty string or a number');
  return { ...fields, [LAKEHOUSE_COLUMNS.op]: RecordOperation.DELETE, [LAKEHOUSE_COLUMNS.key]: String(key) } as DeleteOutput;
}

/** Whether an output is a delete (see {@link deleteRecord}). */
export function isDeleteOutput(output: PipelineRecord): boolean {
  return output[LAKEHOUSE_COLUMNS.op] === RecordOperation.DELETE;
}

const RESERVED: ReadonlySet<string> = new Set(Object.values(LAKEHOUSE_COLUMNS));

/** What an output's lakehouse columns are made of, besides the output itself. */
export interface LakehouseLineContext {
  /** The output field holding the table key; none: `recordId`. */
  readonly keyField?: string;
  readonly recordId: string;
  /** The input's event time (ISO-8601 UTC). */
  readonly eventTime: string;
  /** When the line is written (ISO-8601 UTC). */
  readonly processedAt: string;
  readonly transformVersion: string;
  readonly schemaVersion?: string;
  /** The input's position (`positionId`). */
  readonly inputPosition: string;
}

/**
 * The outputs of one input with the lakehouse columns added (output `i` gets the position of
 * index `i`), or why they cannot be written: an output that sets a reserved column itself (other
 * than through {@link deleteRecord}), a delete without a key, an upsert without its key field.
 */
export function withLakehouseColumns(
  outputs: readonly PipelineRecord[],
  ctx: LakehouseLineContext,
): { readonly ok: true; readonly records: PipelineRecord[] } | { readonly ok: false; readonly error: string } {
  const records: PipelineRecord[] = [];
  for (const [i, output] of outputs.entries()) {
    const isDelete = isDeleteOutput(output);
    const reserved = Object.keys(output).filter((f) => RESERVED.has(f) && !(isDelete && (f === LAKEHOUSE_COLUMNS.op || f === LAKEHOUSE_COLUMNS.key)));
    if (reserved.length > 0) {
      return { ok: false, error: `output ${i} sets ${reserved.map((f) => JSON.stringify(f)).join(', ')}: fields starting with "_etl_" are the runtime's (return deleteRecord(key) to delete a row)` };
    }
    let key: unknown;
    if (isDelete) {
      key = output[LAKEHOUSE_COLUMNS.key];
      if (typeof key !== 'string' || key === '') return { ok: false, error: `output ${i} is a delete without a key: return deleteRecord(key)` };
    } else if (ctx.keyField) {
      key = output[ctx.keyField];
      if ((typeof key !== 'string' && typeof key !== 'number') || key === '') {
        return { ok: false, error: `output ${i} has no table key: field ${JSON.stringify(ctx.keyField)} must be a non-empty string or a number` };
      }
    } else {
      key = ctx.recordId;
    }
    records.push(
      withFields(output, {
        [LAKEHOUSE_COLUMNS.key]: String(key),
        [LAKEHOUSE_COLUMNS.op]: isDelete ? RecordOperation.DELETE : RecordOperation.UPSERT,
        [LAKEHOUSE_COLUMNS.eventTime]: ctx.eventTime,
        [LAKEHOUSE_COLUMNS.processedAt]: ctx.processedAt,
        [LAKEHOUSE_COLUMNS.transformVersion]: ctx.transformVersion,
        [LAKEHOUSE_COLUMNS.schemaVersion]: ctx.schemaVersion ?? null,
        [LAKEHOUSE_COLUMNS.position]: lakehousePosition(ctx.inputPosition, i),
      }),
    );
  }
  return { ok: true, records };
}

/**
 * A copy of `output` with `fields` added after its own, as `{ ...output, ...fields }` would give.
 * `Object.assign` into a new object: V8 makes an object spread followed by more properties 10 to
 * 20 times slower per record (`npm run bench`, findings). An own `__proto__` field (JSON.parse
 * makes one from `{"__proto__": …}`) would set the copy's prototype through assignment, so that
 * output keeps the spread.
 */
function withFields(output: PipelineRecord, fields: PipelineRecord): PipelineRecord {
  if (Object.prototype.hasOwnProperty.call(output, '__proto__')) return { ...output, ...fields };
  return Object.assign({}, output, fields);
}
