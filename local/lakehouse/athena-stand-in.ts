/**
 * Athena, locally: query executions run on DuckDB (duckdb-engine.ts) over the app's Glue catalog
 * (glue-catalog.ts), for the state machines' `athena:*` tasks and `start --query`.
 *
 * Iceberg tables are DuckDB tables of the same names; JSON tables over S3 are DuckDB views over
 * local copies of their objects, refreshed from the local S3 before every statement (so a query
 * sees the objects S3 has when it starts, as Athena does). A statement runs as written — the
 * library's MERGE and queries need no rewriting (duckdb-dialect.ts has the few Trino functions
 * DuckDB lacks as macros) — except Iceberg maintenance, which has no DuckDB counterpart:
 * `OPTIMIZE … REWRITE DATA USING BIN_PACK`, `VACUUM` and `ALTER TABLE … SET TBLPROPERTIES` on an
 * Iceberg table of the catalog succeed without doing anything (DuckDB keeps no data files or
 * snapshots to compact or expire).
 *
 * Executions run to completion inside StartQueryExecution (a later GetQueryExecution sees them
 * SUCCEEDED or FAILED, never QUEUED or RUNNING); statements run one at a time.
 */
import { randomUUID } from 'node:crypto';
import { quoteIdentifier } from '../../lib/contract/lakehouse/sql';
import type { CatalogTable } from './glue-catalog';
import { createJsonViewStatements, createTableStatements } from './duckdb-dialect';
import type { DuckDbEngine, QueryRows } from './duckdb-engine';
import type { ObjectMirror } from './object-mirror';

/** StartQueryExecution's parameters the stand-in reads. */
export interface StartQueryExecutionInput {
  readonly QueryString?: unknown;
  readonly QueryExecutionContext?: { readonly Database?: unknown; readonly Catalog?: unknown };
  readonly WorkGroup?: unknown;
  readonly ClientRequestToken?: unknown;
  readonly ResultConfiguration?: { readonly OutputLocation?: unknown };
}

/** Athena's `QueryExecution` as GetQueryExecution returns it (the fields the stand-in fills). */
export interface QueryExecution {
  readonly QueryExecutionId: string;
  readonly Query: string;
  readonly StatementType: 'DDL' | 'DML' | 'UTILITY';
  readonly QueryExecutionContext: { readonly Database?: string; readonly Catalog: string };
  readonly WorkGroup: string;
  readonly ResultConfiguration: { readonly OutputLocation?: string };
  readonly Status: {
    readonly State: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
    readonly StateChangeReason?: string;
    readonly SubmissionDateTime: string;
    readonly CompletionDateTime: string;
    readonly AthenaError?: { readonly ErrorCategory: number; readonly ErrorMessage: string; readonly Retryable: boolean };
  };
  readonly Statistics: { readonly EngineExecutionTimeInMillis: number; readonly DataScannedInBytes: number; readonly TotalExecutionTimeInMillis: number };
  readonly EngineVersion: { readonly SelectedEngineVersion: string; readonly EffectiveEngineVersion: string };
}

/** An API error of the stand-in, named as the SDK names Athena's (`InvalidRequestException`). */
export class AthenaApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** One execution the stand-in ran, for the run report. */
export interface AthenaExecutionRecord {
  readonly execution: QueryExecution;
  /** What the local run did differently, if anything (maintenance statements). */
  readonly note?: string;
  readonly result?: QueryRows;
  /** Rows a DML statement changed. */
  readonly updateCount?: number;
}

/** What the stand-in works with. */
export interface LocalAthenaOptions {
  readonly engine: DuckDbEngine;
  readonly catalog: readonly CatalogTable[];
  readonly mirror: ObjectMirror;
}

/** The largest page GetQueryResults returns (Athena's MaxResults limit). */
const MAX_RESULTS = 1000;

/** The Athena stand-in of a local run. */
export class LocalAthena {
  /**
   * Creates the catalog's Iceberg tables in DuckDB (if they do not exist), the JSON tables' views
   * and the Athena views, and returns the stand-in. A view DuckDB cannot create is left out, with
   * a note in {@link notes}.
   */
  static async create(options: LocalAthenaOptions): Promise<LocalAthena> {
    const athena = new LocalAthena(options);
    const statements = options.catalog.filter((t) => t.kind === 'iceberg').flatMap((t) => createTableStatements(t.database, t.name, t.columns));
    await options.engine.run(...statements, ...(await athena.refreshViews()));
    for (const view of options.catalog.filter((t) => t.kind === 'view')) {
      try {
        const schema = quoteIdentifier(view.database);
        await options.engine.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`, `CREATE OR REPLACE VIEW ${schema}.${quoteIdentifier(view.name)} AS ${view.sql}`);
      } catch (error) {
        athena.notes.push(`the view ${view.database}.${view.name} is not available locally: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    return athena;
  }

  /** What the stand-in could not set up. */
  public readonly notes: string[] = [];

  /** Every execution, in start order. */
  public readonly executions: AthenaExecutionRecord[] = [];
  private readonly byId = new Map<string, AthenaExecutionRecord>();
  private readonly byToken = new Map<string, string>();

  private constructor(private readonly options: LocalAthenaOptions) {}

  /** Runs a query to completion; returns its id. Throws {@link AthenaApiError} for a request Athena refuses. */
  async startQueryExecution(input: StartQueryExecutionInput): Promise<{ QueryExecutionId: string }> {
    if (typeof input.QueryString !== 'string' || input.QueryString.length === 0) {
      throw new AthenaApiError('InvalidRequestException', 'QueryString is required');
    }
    if (Buffer.byteLength(input.QueryString) > 262_144) {
      throw new AthenaApiError('InvalidRequestException', "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to 262144");
    }
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
    const earlier = token === undefined ? undefined : this.byToken.get(token);
    if (earlier) return { QueryExecutionId: earlier };

    const id = randomUUID();
    if (token !== undefined) this.byToken.set(token, id);
    const submitted = new Date();
    const database = typeof input.QueryExecutionContext?.Database === 'string' ? input.QueryExecutionContext.Database : undefined;
    const base = {
      QueryExecutionId: id,
      Query: input.QueryString,
      StatementType: statementType(input.QueryString),
      QueryExecutionContext: { ...(database ? { Database: database } : {}), Catalog: 'AwsDataCatalog' },
      WorkGroup: typeof input.WorkGroup === 'string' ? input.WorkGroup : 'primary',
      ResultConfiguration: typeof input.ResultConfiguration?.OutputLocation === 'string' ? { OutputLocation: `${input.ResultConfiguration.OutputLocation.replace(/\/?$/, '/')}${id}.csv` } : {},
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3', EffectiveEngineVersion: 'Athena engine version 3' },
    };
    let record: AthenaExecutionRecord;
    try {
      const outcome = await this.execute(input.QueryString, database);
      record = { ...outcome, execution: { ...base, Status: this.status('SUCCEEDED', submitted), Statistics: statistics(submitted) } };
    } catch (error) {
      const message = (error as Error).message;
      record = {
        execution: {
          ...base,
          Status: { ...this.status('FAILED', submitted), StateChangeReason: message, AthenaError: { ErrorCategory: 2, ErrorMessage: message, Retryable: false } },
          Statistics: statistics(submitted),
        },
      };
    }
    this.executions.push(record);
    this.byId.set(id, record);
    return { QueryExecutionId: id };
  }

  /** GetQueryExecution. */
  getQueryExecution(input: { readonly QueryExecutionId?: unknown }): { QueryExecution: QueryExecution } {
    return { QueryExecution: this.find(input.QueryExecutionId).execution };
  }

  /**
   * GetQueryResults: for a query that returns rows, the header row then the rows (every value as
   * text, NULL as an empty datum), `MaxResults` (at most 1,000) a page with a `NextToken`.
   */
  getQueryResults(input: { readonly QueryExecutionId?: unknown; readonly MaxResults?: unknown; readonly NextToken?: unknown }): Record<string, unknown> {
    const record = this.find(input.QueryExecutionId);
    if (record.execution.Status.State !== 'SUCCEEDED') {
      throw new AthenaApiError('InvalidRequestException', `Query has not yet finished. Current state: ${record.execution.Status.State}`);
    }
    const max = input.MaxResults === undefined ? MAX_RESULTS : Number(input.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw new AthenaApiError('InvalidRequestException', `MaxResults must be 1 to ${MAX_RESULTS}`);
    const result = record.result ?? { columns: [], types: [], rows: [] };
    const all = [result.columns.map((c) => ({ VarCharValue: c })), ...result.rows.map((row) => row.map(datum))];
    const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
    if (!Number.isInteger(offset) || offset < 0 || offset > all.length) throw new AthenaApiError('InvalidRequestException', 'NextToken is not valid');
    const page = result.columns.length === 0 ? [] : all.slice(offset, offset + max);
    const next = offset + max < all.length && result.columns.length > 0 ? String(offset + max) : undefined;
    return {
      UpdateCount: record.updateCount ?? 0,
      ResultSet: {
        Rows: page.map((Data) => ({ Data })),
        ResultSetMetadata: {
          ColumnInfo: result.columns.map((name, i) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: name, Label: name, Type: athenaType(result.types[i]), Nullable: 'UNKNOWN', CaseSensitive: false, Precision: 0, Scale: 0 })),
        },
      },
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** StopQueryExecution: every execution has already ended, so nothing to stop (as Athena answers for a finished query). */
  stopQueryExecution(input: { readonly QueryExecutionId?: unknown }): Record<string, never> {
    this.find(input.QueryExecutionId);
    return {};
  }

  /** Brings the views of the JSON tables up to date with the objects S3 has now (as the next query would see them). */
  async refresh(): Promise<void> {
    await this.options.engine.run(...(await this.refreshViews()));
  }

  /** Runs one statement for `start --query` and returns its rows; throws with the engine's message. */
  async query(sql: string, database?: string): Promise<QueryRows> {
    const outcome = await this.execute(sql, database);
    return outcome.result ?? { columns: [], types: [], rows: [] };
  }

  private find(id: unknown): AthenaExecutionRecord {
    const record = typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!record) throw new AthenaApiError('InvalidRequestException', `QUERY_NOT_FOUND: Query ${String(id)} was not found`);
    return record;
  }

  private status(state: 'SUCCEEDED' | 'FAILED', submitted: Date) {
    return { State: state, SubmissionDateTime: submitted.toISOString(), CompletionDateTime: new Date().toISOString() };
  }

  private async execute(query: string, database: string | undefined): Promise<Omit<AthenaExecutionRecord, 'execution'>> {
    const statement = singleStatement(query);
    const maintenance = this.maintenance(statement);
    if (maintenance) return { note: maintenance };
    const refresh = await this.refreshViews();
    // Unqualified names resolve in the context database, when DuckDB has it (a schema of the same name).
    const known = database !== undefined && this.options.catalog.some((t) => t.database === database.toLowerCase());
    const context = known ? [`SET search_path = '${database.toLowerCase().replace(/'/g, "''")}'`] : ['RESET search_path'];
    const result = await this.options.engine.run(...refresh, ...context, statement);
    const dml = /^\s*(MERGE|INSERT|UPDATE|DELETE)\b/i.test(statement);
    if (dml) return { updateCount: Number(result.rows[0]?.[0] ?? 0) };
    return { result };
  }

  /** The DuckDB views of the catalog's JSON tables over the objects S3 has now. */
  private async refreshViews(): Promise<string[]> {
    const statements: string[] = [];
    for (const table of this.options.catalog) {
      if (table.kind !== 'json' || !table.location) continue;
      const files = await this.options.mirror.sync(table.location.bucket, table.location.prefix, (key) =>
        table.partitionKeys.every((k) => key.slice(table.location!.prefix.length).includes(`${k}=`)),
      );
      statements.push(...createJsonViewStatements(table.database, table.name, table.columns, table.partitionKeys, { root: this.options.mirror.root, files }));
    }
    return statements;
  }

  /** The note of an Iceberg maintenance statement the local run does not run, or undefined for any other statement. */
  private maintenance(statement: string): string | undefined {
    const match =
      /^OPTIMIZE\s+(\S+)\s+REWRITE\s+DATA\s+USING\s+BIN_PACK\b/i.exec(statement) ??
      /^VACUUM\s+(\S+)\s*$/i.exec(statement) ??
      /^ALTER\s+TABLE\s+(\S+)\s+SET\s+TBLPROPERTIES\b/i.exec(statement);
    if (!match) return undefined;
    const name = match[1].replace(/[`"]/g, '').toLowerCase();
    const table = this.options.catalog.find((t) => t.kind === 'iceberg' && (`${t.database}.${t.name}` === name || t.name === name));
    if (!table) throw new Error(`${statement.split(/\s/)[0].toUpperCase()} needs an Iceberg table of the catalog; ${match[1]} is not one`);
    return `${statement.split(/\s/)[0].toUpperCase()} ${table.database}.${table.name}: Iceberg maintenance is not run locally (DuckDB keeps no data files or snapshots)`;
  }
}

/** The statement of a query string: one statement, a trailing `;` allowed (Athena refuses several). */
export function singleStatement(query: string): string {
  let quote: string | undefined;
  let end = query.length;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (quote) {
      if (ch === quote) quote = query[i + 1] === quote ? (i++, quote) : undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === ';') {
      end = i;
      if (query.slice(i + 1).trim() !== '') throw new Error('Only one sql statement is allowed');
      break;
    }
  }
  return query.slice(0, end).trim();
}

function statementType(query: string): QueryExecution['StatementType'] {
  const first = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? '';
  if (['CREATE', 'DROP', 'ALTER', 'MSCK', 'SHOW', 'DESCRIBE'].includes(first)) return 'DDL';
  if (['OPTIMIZE', 'VACUUM'].includes(first)) return 'UTILITY';
  return 'DML';
}

function statistics(submitted: Date): QueryExecution['Statistics'] {
  const ms = Date.now() - submitted.getTime();
  return { EngineExecutionTimeInMillis: ms, DataScannedInBytes: 0, TotalExecutionTimeInMillis: ms };
}

/** A value as Athena's result set holds it: text, NULL as an empty datum. */
function datum(value: unknown): { VarCharValue?: string } {
  if (value === null || value === undefined) return {};
  return { VarCharValue: typeof value === 'string' ? value : JSON.stringify(value) };
}

/** Athena's name of a DuckDB result type. */
function athenaType(duckdb: string | undefined): string {
  const type = (duckdb ?? 'VARCHAR').toUpperCase();
  if (type === 'VARCHAR') return 'varchar';
  if (type === 'INTEGER') return 'integer';
  if (type === 'TIMESTAMP WITH TIME ZONE') return 'timestamp with time zone';
  if (type === 'FLOAT') return 'real';
  return type.toLowerCase();
}
