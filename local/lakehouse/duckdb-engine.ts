/**
 * The embedded engine of the local current table: DuckDB in this process (`@duckdb/node-api`,
 * prebuilt binaries from npm, no server). One database file per run directory, or in memory.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TRINO_FUNCTION_MACROS } from './duckdb-dialect';

/** Rows a statement returned: column names, their DuckDB types and each row's values as JSON (BIGINT as a string, DATE/TIMESTAMP as text). */
export interface QueryRows {
  readonly columns: string[];
  readonly types: string[];
  readonly rows: unknown[][];
}

/** A DuckDB database with one connection; statements run one at a time, in call order. */
export class DuckDbEngine {
  /**
   * Opens (or creates) the database at `file`, or one in memory (`:memory:`), in UTC with the
   * Trino function macros. One thread: the local run shares the machine's cores with the functions
   * it runs.
   */
  static async open(file = ':memory:'): Promise<DuckDbEngine> {
    const instance = await DuckDBInstance.create(file, { threads: '1' });
    const engine = new DuckDbEngine(instance, await instance.connect());
    // Athena runs in UTC: a timestamp with time zone cast to a timestamp keeps the UTC time.
    await engine.run("SET TimeZone = 'UTC'", ...TRINO_FUNCTION_MACROS);
    return engine;
  }

  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Runs statements in order (each one alone: no multi-statement strings), returns the last one's rows. */
  run(...statements: string[]): Promise<QueryRows> {
    const next = this.queue.then(async () => {
      if (this.closed) throw new Error('the DuckDB engine is closed');
      let result: QueryRows = { columns: [], types: [], rows: [] };
      for (const sql of statements) {
        const reader = await this.connection.runAndReadAll(sql);
        result = { columns: reader.columnNames(), types: reader.columnTypes().map((t) => t.toString()), rows: reader.getRowsJson() };
      }
      return result;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Closes the connection and the database (a file database is written out). Idempotent. */
  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
