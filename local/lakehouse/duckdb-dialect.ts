/**
 * The small, explicit translation between Athena and DuckDB for the current table's SQL
 * (lib/contract/lakehouse/sql.ts): only what the dialects do not share. The MERGE and the view of
 * live rows run on DuckDB as generated; what differs is where the tables come from:
 *
 * - the current table (Iceberg in Glue) is a DuckDB table of the same name (schema = database),
 *   its Athena DDL types translated ({@link duckdbType});
 * - the curated JSON table (Glue, partition projection) is a DuckDB view of the same name over
 *   `read_json` of local copies of the curated objects, with the columns Athena adds: `dt` and
 *   `hr` from the object's path and the pseudo-column `"$path"` (the object's `s3://` URI) from
 *   DuckDB's `filename`;
 * - the Trino functions the MERGE calls that DuckDB lacks are DuckDB macros of the same name
 *   ({@link TRINO_FUNCTION_MACROS}).
 */
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import {
  SOURCE_PARTITION_COLUMNS,
  currentTableColumns,
  quoteIdentifier,
  quoteLiteral,
  type CurrentTableColumn,
  type CurrentTableSqlSpec,
} from '../../lib/contract/lakehouse/sql';

/**
 * DuckDB macros for the Trino functions the generated SQL calls: `from_iso8601_timestamp` (a
 * `timestamp with time zone`; DuckDB's session time zone is UTC, see duckdb-engine.ts) and
 * `from_iso8601_date`.
 */
export const TRINO_FUNCTION_MACROS: readonly string[] = Object.freeze([
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)',
  'CREATE OR REPLACE MACRO from_iso8601_date(text) AS CAST(text AS DATE)',
]);

/** Athena (Hive DDL) primitive types and their DuckDB names. */
const PRIMITIVES: Readonly<Record<string, string>> = Object.freeze({
  string: 'VARCHAR',
  varchar: 'VARCHAR',
  char: 'VARCHAR',
  boolean: 'BOOLEAN',
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  real: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  binary: 'BLOB',
  // Iceberg's names (Glue tables of the Iceberg format may use them).
  long: 'BIGINT',
  timestamptz: 'TIMESTAMPTZ',
  uuid: 'UUID',
});

/**
 * The DuckDB type of an Athena DDL type: `string` → `VARCHAR`, `decimal(10,2)` → `DECIMAL(10,2)`,
 * `array<T>` → `T[]`, `map<K,V>` → `MAP(K, V)`, `struct<a:T>` → `STRUCT("a" T)`. Throws for a type
 * it does not know (the local run then says which column).
 */
export function duckdbType(athenaType: string): string {
  const parser = new TypeParser(athenaType);
  const type = parser.type();
  parser.end();
  return type;
}

/** An Iceberg table as a DuckDB table of the same names (schema = database), types translated: `CREATE SCHEMA`/`CREATE TABLE IF NOT EXISTS`. */
export function createTableStatements(database: string, table: string, columns: readonly CurrentTableColumn[]): string[] {
  const declared = columns.map((c) => `${quoteIdentifier(c.name)} ${columnType(c)}`);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`,
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table)} (${declared.join(', ')})`,
  ];
}

/** The current table of `spec` as a DuckDB table ({@link createTableStatements}). */
export function createCurrentTableStatements(spec: CurrentTableSqlSpec): string[] {
  return createTableStatements(spec.database, spec.table, currentTableColumns(spec));
}

/** Where the local copies of curated objects are: `<root>/<bucket>/<key>` is the copy of `s3://<bucket>/<key>`. */
export interface LocalObjects {
  /** The directory the copies are under (absolute, `/`-separated). */
  readonly root: string;
  /** The copies, as paths under `root` (`<bucket>/<key>`). */
  readonly files: readonly string[];
}

/**
 * A JSON table over S3 as a DuckDB view of the same names (`CREATE OR REPLACE VIEW`) over
 * `read_json` of the local copies `objects.files` (gzip JSON Lines), with its columns, its
 * partition keys read from each object's path (`<key>=<value>/`) and the pseudo-column `"$path"`
 * (the object's `s3://` URI). With no files, an empty view of the same columns.
 */
export function createJsonViewStatements(
  database: string,
  table: string,
  columns: readonly CurrentTableColumn[],
  partitionKeys: readonly string[],
  objects: LocalObjects,
): string[] {
  const view = `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
  const root = objects.root.replace(/\/+$/, '');
  let select: string;
  if (objects.files.length === 0) {
    const typed = [
      ...columns.map((c) => `CAST(NULL AS ${columnType(c)}) AS ${quoteIdentifier(c.name)}`),
      ...partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS ${quoteIdentifier(k)}`),
      'CAST(NULL AS VARCHAR) AS "$path"',
    ];
    select = `SELECT ${typed.join(', ')} WHERE false`;
  } else {
    const files = objects.files.map((f) => quoteLiteral(`${root}/${f}`));
    const struct = columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(columnType(c))}`).join(', ');
    select = [
      `SELECT ${[...columns.map((c) => quoteIdentifier(c.name)), ...partitionKeys.map((k) => `regexp_extract(filename, '/${k}=([^/]+)/', 1) AS ${quoteIdentifier(k)}`)].join(', ')},`,
      `  's3://' || substr(filename, ${[...root].length + 2}) AS "$path"`,
      `FROM read_json([${files.join(', ')}], format = 'newline_delimited', compression = 'gzip', filename = true, columns = {${struct}})`,
    ].join('\n');
  }
  return [`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}`, `CREATE OR REPLACE VIEW ${view} AS\n${select}`];
}

/**
 * The curated JSON table of `spec` as a DuckDB view ({@link createJsonViewStatements}): the data
 * and reserved columns with their source types, `dt`, `hr` and `"$path"`.
 */
export function createSourceViewStatements(spec: CurrentTableSqlSpec, objects: LocalObjects): string[] {
  const columns = currentTableColumns(spec).map((c) => ({ name: c.name, type: c.sourceType ?? c.type }));
  const keys = [SOURCE_PARTITION_COLUMNS.date, SOURCE_PARTITION_COLUMNS.hour];
  return createJsonViewStatements(spec.sourceDatabase ?? spec.database, spec.sourceTable, columns, keys, objects);
}

/** The number of live rows (not tombstones) of the current table. */
export function liveRowCountSql(spec: CurrentTableSqlSpec): string {
  return (
    `SELECT count(*) AS "rows" FROM ${quoteIdentifier(spec.database)}.${quoteIdentifier(spec.table)} ` +
    `WHERE ${quoteIdentifier(LAKEHOUSE_COLUMNS.op)} = 'upsert'`
  );
}

/** The DuckDB type of a column. */
function columnType(column: CurrentTableColumn): string {
  try {
    return duckdbType(column.type);
  } catch (error) {
    throw new Error(`column ${column.name}: ${(error as Error).message}`, { cause: error });
  }
}

/** A recursive-descent reader of Hive DDL types. */
class TypeParser {
  private at = 0;
  constructor(private readonly text: string) {}

  type(): string {
    const name = this.word();
    if (name === 'array' || name === 'list') {
      this.expect('<');
      const element = this.type();
      this.expect('>');
      return `${element}[]`;
    }
    if (name === 'map') {
      this.expect('<');
      const key = this.type();
      this.expect(',');
      const value = this.type();
      this.expect('>');
      return `MAP(${key}, ${value})`;
    }
    if (name === 'struct') {
      this.expect('<');
      const fields: string[] = [];
      do {
        const field = this.word();
        this.expect(':');
        fields.push(`${quoteIdentifier(field)} ${this.type()}`);
      } while (this.accept(','));
      this.expect('>');
      return `STRUCT(${fields.join(', ')})`;
    }
    if (name === 'decimal') {
      if (!this.accept('(')) return 'DECIMAL(10,0)';
      const precision = this.number();
      const scale = this.accept(',') ? this.number() : '0';
      this.expect(')');
      return `DECIMAL(${precision},${scale})`;
    }
    if ((name === 'varchar' || name === 'char') && this.accept('(')) {
      this.number();
      this.expect(')');
    }
    const primitive = PRIMITIVES[name];
    if (!primitive) throw new Error(`the local run does not know the Athena type ${JSON.stringify(this.text)}`);
    return primitive;
  }

  end(): void {
    this.skipSpaces();
    if (this.at !== this.text.length) throw new Error(`unexpected ${JSON.stringify(this.text.slice(this.at))} in the Athena type ${JSON.stringify(this.text)}`);
  }

  private word(): string {
    this.skipSpaces();
    const match = /^[a-z_][a-z0-9_]*/i.exec(this.text.slice(this.at));
    if (!match) throw new Error(`expected a name at ${JSON.stringify(this.text.slice(this.at))} in the Athena type ${JSON.stringify(this.text)}`);
    this.at += match[0].length;
    return match[0].toLowerCase();
  }

  private number(): string {
    this.skipSpaces();
    const match = /^\d+/.exec(this.text.slice(this.at));
    if (!match) throw new Error(`expected a number in the Athena type ${JSON.stringify(this.text)}`);
    this.at += match[0].length;
    return match[0];
  }

  private accept(ch: string): boolean {
    this.skipSpaces();
    if (this.text[this.at] !== ch) return false;
    this.at += 1;
    return true;
  }

  private expect(ch: string): void {
    if (!this.accept(ch)) throw new Error(`expected "${ch}" in the Athena type ${JSON.stringify(this.text)}`);
  }

  private skipSpaces(): void {
    while (this.text[this.at] === ' ') this.at += 1;
  }
}
