/**
 * The current tables of a local run: the app's Glue catalog on DuckDB (a database file kept after
 * the run, for `start --query`), the Athena stand-in its state machines call, the state machines
 * their schedules would start (a run ends with one scheduled round), and what the report says of
 * each current table, checked against the curated objects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import { quoteIdentifier } from '../../lib/contract/lakehouse/sql';
import { LocalAthena, singleStatement } from './athena-stand-in';
import { DuckDbEngine, type QueryRows } from './duckdb-engine';
import { readGlueCatalog, type CatalogTable } from './glue-catalog';
import { expectedRows, type CurrentTableReport, type TablesSnapshot } from './current-table-report';
import { ObjectMirror, s3ObjectSource } from './object-mirror';

/** The database file of the current tables, under the lakehouse directory. */
export const DATABASE_FILE = 'current-tables.duckdb';
/** Where the local copies of the curated objects are, under the lakehouse directory. */
export const OBJECTS_DIRECTORY = 'objects';

/** A stack's template resources and how to resolve its values. */
export interface CatalogSource {
  readonly name: string;
  readonly resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>;
  resolve(value: unknown): string;
}

/** The current tables of a run. */
export class LocalLakehouse {
  /**
   * Opens a fresh database under `directory` (the last run's is replaced) with the Glue tables of
   * `stacks`; undefined when they have none (nothing to do). With `keep`, the last run's database
   * and object copies are opened as they are (a reprocess run corrects its tables); a table the
   * app declares that it lacks is created.
   */
  static async start(options: { readonly stacks: readonly CatalogSource[]; readonly s3: S3Client; readonly directory: string; readonly keep?: boolean }): Promise<LocalLakehouse | undefined> {
    const catalog: CatalogTable[] = [];
    const notes: string[] = [];
    for (const stack of options.stacks) {
      const { tables, skipped } = readGlueCatalog(stack.resources, (v) => stack.resolve(v));
      catalog.push(...tables);
      notes.push(...skipped.map((s) => `${stack.name}/${s.logicalId}: a Glue table the local Athena does not read: ${s.reason}`));
    }
    if (catalog.length === 0) return undefined;
    if (!options.keep) fs.rmSync(options.directory, { recursive: true, force: true });
    fs.mkdirSync(path.join(options.directory, OBJECTS_DIRECTORY), { recursive: true });
    const engine = await DuckDbEngine.open(path.join(options.directory, DATABASE_FILE));
    try {
      const mirror = new ObjectMirror(path.join(options.directory, OBJECTS_DIRECTORY), s3ObjectSource(options.s3));
      const athena = await LocalAthena.create({ engine, catalog, mirror });
      return new LocalLakehouse(engine, athena, catalog, [...notes, ...athena.notes], options.directory);
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  private constructor(
    private readonly engine: DuckDbEngine,
    /** The Athena stand-in the state machines' tasks call. */
    public readonly athena: LocalAthena,
    /** The Glue tables it serves. */
    public readonly catalog: readonly CatalogTable[],
    /** What it could not serve. */
    public readonly notes: string[],
    /** Where the database and the object copies are. */
    public readonly directory: string,
  ) {}

  /**
   * Each Iceberg table with the lakehouse's key and operation columns: its rows, and what the
   * curated objects of its MERGE source (`curated`: every curated object of the run, as text) say
   * it should hold: one row per distinct key, live unless the key's newest line (by the contract's
   * order, compareRecordOrder) is a delete.
   */
  async currentTables(curated: ReadonlyArray<{ readonly bucket: string; readonly key: string; readonly text: string }>): Promise<CurrentTableReport[]> {
    // The tables are kept for --query: their views see every object the run wrote.
    await this.athena.refresh();
    const reports: CurrentTableReport[] = [];
    for (const table of this.catalog.filter((t) => t.kind === 'iceberg' && hasLakehouseColumns(t))) {
      const name = `${table.database}.${table.name}`;
      const merges = this.athena.executions.filter((e) => mergeTarget(e.execution.Query) === name);
      const source = this.sourceOf(table, merges.map((e) => e.execution.Query));
      const versionColumn = merges.map((e) => versionColumnOf(e.execution.Query)).find((v) => v !== undefined);
      const q = `${quoteIdentifier(table.database)}.${quoteIdentifier(table.name)}`;
      const key = quoteIdentifier(LAKEHOUSE_COLUMNS.key);
      const op = quoteIdentifier(LAKEHOUSE_COLUMNS.op);
      const { rows } = await this.engine.run(
        `SELECT count(*), count(*) FILTER (WHERE ${op} = 'upsert'), count(*) FILTER (WHERE ${op} = 'delete'), ` +
          `(SELECT count(*) FROM (SELECT ${key} FROM ${q} GROUP BY ${key} HAVING count(*) > 1)) FROM ${q}`,
      );
      const [all, live, tombstones, duplicates] = (rows[0] ?? []).map((v) => Number(v));
      const expected = expectedRows(source ? curated.filter((o) => o.bucket === source.location?.bucket && o.key.startsWith(source.location.prefix)) : [], versionColumn);
      reports.push({
        table: name,
        rows: all,
        liveRows: live,
        tombstones,
        duplicateKeys: duplicates,
        ...expected,
        merges: merges.length,
        failedMerges: merges.filter((e) => e.execution.Status.State !== 'SUCCEEDED').length,
        ...(versionColumn ? { versionColumn } : {}),
      });
    }
    return reports;
  }

  /** Each current table's rows now: every key's operation and winning line (see `tableChanges`). */
  async snapshot(): Promise<TablesSnapshot> {
    const tables = new Map<string, Map<string, { op: string; position: string }>>();
    for (const table of this.catalog.filter((t) => t.kind === 'iceberg' && hasLakehouseColumns(t))) {
      const q = `${quoteIdentifier(table.database)}.${quoteIdentifier(table.name)}`;
      const [key, op, position] = [LAKEHOUSE_COLUMNS.key, LAKEHOUSE_COLUMNS.op, LAKEHOUSE_COLUMNS.position].map(quoteIdentifier);
      const { rows } = await this.engine.run(`SELECT ${key}, ${op}, ${position} FROM ${q}`);
      tables.set(`${table.database}.${table.name}`, new Map(rows.map((r) => [String(r[0]), { op: String(r[1]), position: String(r[2]) }])));
    }
    return tables;
  }

  /** Runs one query (for the report or the CLI). */
  query(sql: string): Promise<QueryRows> {
    return this.athena.query(sql);
  }

  /** Closes the database (kept on disk for `start --query`). */
  close(): Promise<void> {
    return this.engine.close();
  }

  /** The JSON table a current table's MERGE reads: named in its MERGE, else the one JSON table of its database with the key column. */
  private sourceOf(table: CatalogTable, queries: readonly string[]): CatalogTable | undefined {
    const named = queries.map(mergeSource).find((s) => s !== undefined);
    const json = this.catalog.filter((t) => t.kind === 'json');
    if (named) return json.find((t) => `${t.database}.${t.name}` === named);
    const candidates = json.filter((t) => t.database === table.database && hasLakehouseColumns(t));
    return candidates.length === 1 ? candidates[0] : undefined;
  }
}

/** Runs `sql` on the current tables a run kept in `directory`; throws with a clear message when there are none or the query fails. */
export async function queryKeptTables(directory: string, sql: string): Promise<QueryRows> {
  const file = path.join(directory, DATABASE_FILE);
  if (!fs.existsSync(file)) throw new Error(`no current table has been kept in ${directory}: run \`start\` first (an app with a current table keeps it there)`);
  const engine = await DuckDbEngine.open(file);
  try {
    return await engine.run(singleStatement(sql));
  } finally {
    await engine.close();
  }
}

function hasLakehouseColumns(table: CatalogTable): boolean {
  const names = new Set(table.columns.map((c) => c.name));
  return names.has(LAKEHOUSE_COLUMNS.key) && names.has(LAKEHOUSE_COLUMNS.op);
}

/** `db.table` a MERGE statement writes (`MERGE INTO "db"."table"`). */
export function mergeTarget(query: string): string | undefined {
  const m = /^\s*MERGE\s+INTO\s+"?([a-z0-9_]+)"?\."?([a-z0-9_]+)"?/i.exec(query);
  return m ? `${m[1]}.${m[2]}`.toLowerCase() : undefined;
}

/** `db.table` the library's MERGE reads (`FROM "db"."table"` of its innermost query). */
function mergeSource(query: string): string | undefined {
  if (!mergeTarget(query)) return undefined;
  const m = /\bFROM\s+"([a-z0-9_]+)"\."([a-z0-9_]+)"\s+WHERE\s+"dt"/i.exec(query);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The version column of the library's MERGE: the first order column when it is not the event time. */
export function versionColumnOf(query: string): string | undefined {
  const m = /PARTITION BY "_etl_key" ORDER BY "([a-z0-9_]+)" DESC NULLS LAST/.exec(query);
  return m && m[1] !== LAKEHOUSE_COLUMNS.eventTime ? m[1] : undefined;
}
