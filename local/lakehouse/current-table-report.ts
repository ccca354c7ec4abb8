/**
 * What the run report says of a current table, and its conservation check: one row per distinct
 * key of the curated objects its MERGE reads, live unless the key's newest line (by the contract's
 * order, compareRecordOrder) is a delete. Pure: the report loads it without DuckDB.
 */
import { compareRecordOrder, LAKEHOUSE_COLUMNS, RecordOperation, type RecordOrder } from '../../lib/contract/lakehouse/columns';

/** One current table after the run, and what the curated objects say it should hold. */
export interface CurrentTableReport {
  /** `database.table`. */
  readonly table: string;
  /** Rows, tombstones of deleted keys included. */
  readonly rows: number;
  /** Rows whose key is live (`_etl_op` = upsert): what a query of the live view returns. */
  readonly liveRows: number;
  readonly tombstones: number;
  /** Keys with more than one row (0: one row per key). */
  readonly duplicateKeys: number;
  /** Distinct keys in the curated objects of its source. */
  readonly curatedKeys: number;
  /** Of those, keys whose newest curated line is a delete. */
  readonly deletedKeys: number;
  /** Curated lines of its source (with a key and a known operation). */
  readonly curatedLines: number;
  /** MERGE statements run, and how many failed. */
  readonly merges: number;
  readonly failedMerges: number;
  /** The declared version column the MERGE ordered by, if any. */
  readonly versionColumn?: string;
}

/** The conservation problems of the current tables (empty when each holds what its curated objects say). */
export function currentTableProblems(tables: readonly CurrentTableReport[]): string[] {
  const problems: string[] = [];
  for (const t of tables) {
    if (t.duplicateKeys > 0) problems.push(`current table ${t.table}: ${t.duplicateKeys} key(s) have more than one row`);
    if (t.rows !== t.curatedKeys) problems.push(`current table ${t.table}: ${t.rows} rows (tombstones included), but the curated objects have ${t.curatedKeys} distinct keys`);
    const expectedLive = t.curatedKeys - t.deletedKeys;
    if (t.liveRows !== expectedLive) {
      problems.push(`current table ${t.table}: ${t.liveRows} live rows ≠ ${t.curatedKeys} distinct keys curated − ${t.deletedKeys} deleted = ${expectedLive}`);
    }
    if (t.failedMerges > 0) problems.push(`current table ${t.table}: ${t.failedMerges} of ${t.merges} MERGE statement(s) failed`);
  }
  return problems;
}

/** Distinct keys, deleted keys and lines of curated objects, by the contract's order. */
export function expectedRows(
  objects: ReadonlyArray<{ readonly text: string }>,
  versionColumn?: string,
): Pick<CurrentTableReport, 'curatedKeys' | 'deletedKeys' | 'curatedLines'> {
  const newest = new Map<string, { order: RecordOrder; op: string }>();
  let lines = 0;
  for (const o of objects) {
    for (const text of o.text.split('\n')) {
      if (text.trim() === '') continue;
      let line: Record<string, unknown>;
      try {
        line = Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
      } catch {
        continue;
      }
      const key = line[LAKEHOUSE_COLUMNS.key];
      const op = line[LAKEHOUSE_COLUMNS.op];
      if (typeof key !== 'string' || (op !== RecordOperation.UPSERT && op !== RecordOperation.DELETE)) continue;
      lines++;
      const version = versionColumn === undefined ? undefined : line[versionColumn];
      const order: RecordOrder = {
        version: typeof version === 'number' || typeof version === 'string' ? version : null,
        eventTime: String(line[LAKEHOUSE_COLUMNS.eventTime] ?? ''),
        op,
        processedAt: String(line[LAKEHOUSE_COLUMNS.processedAt] ?? ''),
        position: String(line[LAKEHOUSE_COLUMNS.position] ?? ''),
      };
      const seen = newest.get(key);
      if (!seen || compareRecordOrder(order, seen.order) > 0) newest.set(key, { order, op });
    }
  }
  return { curatedKeys: newest.size, deletedKeys: [...newest.values()].filter((n) => n.op === RecordOperation.DELETE).length, curatedLines: lines };
}

/** The rows of the current tables at one moment: by table (`database.table`), each key's operation and winning line. */
export type TablesSnapshot = ReadonlyMap<string, ReadonlyMap<string, { readonly op: string; readonly position: string }>>;

/** What one input did to a current table, and the table after it. */
export interface CurrentTableChanges {
  readonly table: string;
  /** Rows whose key is live after the input. */
  readonly liveRows: number;
  /** Rows that are tombstones after the input. */
  readonly tombstones: number;
  /** Keys live now that had no row before. */
  readonly inserted: number;
  /** Keys live before and after whose row a newer line replaced. */
  readonly updated: number;
  /** Keys live before that are tombstones now. */
  readonly deleted: number;
  /** Keys that were tombstones and are live again (a newer upsert). */
  readonly restored: number;
}

/** The current tables after each input of a run (a run with more than one input). */
export interface CurrentTableHistory {
  /** The input (its file name). */
  readonly input: string;
  readonly tables: readonly CurrentTableChanges[];
}

/**
 * What changed in each table of `after` since `before`, row by row (a row replaced is told by its
 * winning line's `_etl_position`). By construction live after = live before + inserted − deleted +
 * restored; a tombstone of a key never seen changes no live row.
 */
export function tableChanges(before: TablesSnapshot, after: TablesSnapshot): CurrentTableChanges[] {
  return [...after].map(([table, rows]) => {
    const previous = before.get(table) ?? new Map<string, { op: string; position: string }>();
    const counts = { liveRows: 0, tombstones: 0, inserted: 0, updated: 0, deleted: 0, restored: 0 };
    for (const [key, row] of rows) {
      const was = previous.get(key);
      const live = row.op === RecordOperation.UPSERT;
      if (live) counts.liveRows++;
      else counts.tombstones++;
      const wasLive = was?.op === RecordOperation.UPSERT;
      if (live && !was) counts.inserted++;
      else if (live && wasLive && was.position !== row.position) counts.updated++;
      else if (live && was && !wasLive) counts.restored++;
      else if (!live && wasLive) counts.deleted++;
    }
    return { table, ...counts };
  });
}

/**
 * What an input did to a table, in a few words: `12 live rows, 2 tombstones (1 inserted, 3 updated,
 * 2 deleted)`, after `db.t: ` when `named`.
 */
export function describeTableChanges(t: CurrentTableChanges, named = true): string {
  const changes = [`${t.inserted} inserted`, `${t.updated} updated`, `${t.deleted} deleted`, ...(t.restored > 0 ? [`${t.restored} restored`] : [])];
  return `${named ? `${t.table}: ` : ''}${t.liveRows} live rows, ${t.tombstones} tombstones (${changes.join(', ')})`;
}
