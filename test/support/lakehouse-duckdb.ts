/**
 * Runs the current table's Athena SQL (lib/contract/lakehouse/sql.ts) on DuckDB for tests: writes
 * curated objects (gzip JSON Lines) as local files laid out like the curated bucket, declares the
 * current table and the curated view with the local run's translation (local/lakehouse/), and
 * runs the generated MERGE as it is.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import { liveViewSql, mergeSql, type CurrentTableSqlSpec } from '../../lib/contract/lakehouse/sql';
import { createCurrentTableStatements, createSourceViewStatements } from '../../local/lakehouse/duckdb-dialect';
import { DuckDbEngine } from '../../local/lakehouse/duckdb-engine';

/** The bucket the test objects are in. */
export const TEST_BUCKET = 'curated-bucket';

/** A current table on DuckDB over local curated objects. */
export class DuckDbLakehouse {
  static async create(spec: CurrentTableSqlSpec): Promise<DuckDbLakehouse> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lakehouse-'));
    const engine = await DuckDbEngine.open();
    const lakehouse = new DuckDbLakehouse(spec, engine, root);
    await engine.run(...createCurrentTableStatements(spec), ...lakehouse.sourceView(), liveViewSql(spec));
    return lakehouse;
  }

  private readonly files: string[] = [];

  private constructor(
    readonly spec: CurrentTableSqlSpec,
    readonly engine: DuckDbEngine,
    readonly root: string,
  ) {}

  /** Writes a curated object of `lines` under `<dataset>/dt=<dt>/hr=<hr>/<name>`; returns its `s3://` URI. */
  putObject(key: string, lines: readonly Record<string, unknown>[]): string {
    const file = path.join(this.root, TEST_BUCKET, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gzipSync(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'));
    this.files.push(`${TEST_BUCKET}/${key}`);
    return `s3://${TEST_BUCKET}/${key}`;
  }

  /** Runs the MERGE `mergeSql` generates for `paths`, as generated (the curated view re-declared over the files written so far). */
  async merge(paths: readonly string[]): Promise<void> {
    await this.engine.run(...this.sourceView(), mergeSql(this.spec, paths));
  }

  /** Every row of the current table (tombstones too), ordered by key, as JSON values. */
  async rows(): Promise<Record<string, unknown>[]> {
    return this.select(`SELECT * FROM "${this.spec.database}"."${this.spec.table}" ORDER BY "${LAKEHOUSE_COLUMNS.key}"`);
  }

  /** The rows of a query as objects. */
  async select(sql: string): Promise<Record<string, unknown>[]> {
    const { columns, rows } = await this.engine.run(sql);
    return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  private sourceView(): string[] {
    return createSourceViewStatements(this.spec, { root: this.root.split(path.sep).join('/'), files: this.files });
  }
}
