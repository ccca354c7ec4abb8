/**
 * The Athena SQL that keeps a dataset's current table (an Apache Iceberg table, one row per key)
 * up to date from its curated objects: the MERGE the merge state machine runs (lib/), the
 * maintenance statements, the table's DDL and its view of live rows. The local run (local/) runs
 * the same statements on its embedded engine, so the SQL is generated in one place.
 *
 * Pure and dependency-free. Names are checked, not trusted: an identifier that is not a plain Glue
 * name, a column type outside the Athena DDL grammar or an object path that is not a curated
 * object's `s3://` URI throws a {@link LakehouseSqlError}; string literals are quoted with `'`
 * doubled.
 *
 * The table keeps a row per key for deleted keys too: a tombstone (`_etl_op` = `delete`, data
 * columns NULL, order columns kept), so an older upsert merged later (a replayed or late object)
 * never brings the key back. The live rows are those whose `_etl_op` is `upsert`
 * ({@link liveViewSql}).
 */
import { LAKEHOUSE_COLUMNS, RecordOperation } from './columns';

/** Athena's limit on a query string (StartQueryExecution `QueryString`), in bytes; not adjustable. */
export const ATHENA_MAX_QUERY_BYTES = 262_144;


/**
 * The partition columns of the curated (source) table, as the curated keys' `dt=…/hr=…` path
 * names them (`partitionPath` in storage-layout.ts writes them, the warehouse projects them).
 */
export const SOURCE_PARTITION_COLUMNS = Object.freeze({ date: 'dt', hour: 'hr' } as const);

/** A column of the current table and how the curated JSON table holds it. */
export interface CurrentTableColumn {
  /** Column name (a Glue name: lower case; the curated JSON fields match it case-insensitively). */
  readonly name: string;
  /** Athena DDL type of the table's (Iceberg) column: `string`, `bigint`, `double`, `boolean`, `timestamp`, `date`, `decimal(10,2)`, … */
  readonly type: string;
  /**
   * Hive type of the column in the curated JSON table, when it is not `type`: `string` for a
   * `timestamp` or `date` held as ISO-8601 text (read with `from_iso8601_timestamp` /
   * `from_iso8601_date`), or for an object or array held as JSON text; another type is CAST.
   * @default - `type`
   */
  readonly sourceType?: string;
}

/**
 * The reserved columns of every current table, in table order (first), all `string` as the curated
 * lines hold them: event and processing time are ISO-8601 UTC text in one format
 * (`Date.prototype.toISOString`), so their string order is time order, as `compareRecordOrder`
 * compares them.
 */
export const RESERVED_TABLE_COLUMNS: readonly CurrentTableColumn[] = Object.freeze([
  { name: LAKEHOUSE_COLUMNS.key, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.op, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.eventTime, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.processedAt, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.transformVersion, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.schemaVersion, type: 'string' },
  { name: LAKEHOUSE_COLUMNS.position, type: 'string' },
]);

/** An Iceberg partition transform Athena's `PARTITIONED BY` accepts. */
export type PartitionTransform = 'identity' | 'year' | 'month' | 'day' | 'hour' | 'bucket' | 'truncate';

/** One field of the current table's partition spec. */
export interface CurrentTablePartitionField {
  /** A column of the table (a data column or a reserved one). */
  readonly column: string;
  /** The transform applied to it. */
  readonly transform: PartitionTransform;
  /** Number of buckets (`bucket`) or width (`truncate`); required by those two, refused by the others. */
  readonly width?: number;
}

/** What the statements of one current table are generated from. */
export interface CurrentTableSqlSpec {
  /** Glue database of the current table. */
  readonly database: string;
  /** The current (Iceberg) table. */
  readonly table: string;
  /**
   * Glue database of the curated JSON table the MERGE reads.
   * @default - `database`
   */
  readonly sourceDatabase?: string;
  /** The curated JSON table (partition projection over `dt` and `hr`, the reserved columns declared). */
  readonly sourceTable: string;
  /**
   * The data columns (from the declared output JSON Schema), without the reserved `_etl_…` ones,
   * which every table has ({@link RESERVED_TABLE_COLUMNS}).
   */
  readonly columns: CurrentTableColumn[];
  /**
   * A data column whose value orders the versions of a key (newest wins); NULL is older than any
   * value. Without it, lines are ordered by event time, then processing time, then position.
   * @default - none
   */
  readonly versionColumn?: string;
  /**
   * The table's partition spec (DDL only).
   * @default - unpartitioned
   */
  readonly partitionBy?: CurrentTablePartitionField[];
  /**
   * The view of live rows (tombstones left out).
   * @default - `<table>_live`
   */
  readonly liveView?: string;
}

/** A spec, path or name the lakehouse SQL refuses to put in a statement. */
export class LakehouseSqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LakehouseSqlError';
  }
}

/** A Glue database, table or column name: lower case letters, digits and `_`, at most 255. */
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
/** A name Athena's maintenance statements and DDL take unquoted. */
const PLAIN_NAME = /^[a-z][a-z0-9_]*$/;
/** An Athena DDL type: names, digits, `<>(),:` and spaces only (no quotes, no statement separators). */
const DDL_TYPE = /^[a-z][a-z0-9_]*(?:[<(][a-z0-9_<>(),: ]*[>)])?$/;
/** A curated object's key: `…/dt=YYYY-MM-DD/hr=HH/<name>`. */
const CURATED_KEY = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\/hr=(\d{2})\/[^/]+$/;
/** An `s3://bucket/key` URI (bucket names as S3 allows them in paths). */
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const RESERVED_NAMES: ReadonlySet<string> = new Set(RESERVED_TABLE_COLUMNS.map((c) => c.name));

/** A double-quoted SQL identifier (Athena DML, DuckDB): the name checked as a Glue name, `"` doubled. */
export function quoteIdentifier(name: string): string {
  checkName(name, 'identifier');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted SQL string literal, `'` doubled; control characters refused. */
export function quoteLiteral(value: string): string {
  if (CONTROL_CHARACTERS.test(value)) throw new LakehouseSqlError(`a string literal cannot hold control characters: ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, "''")}'`;
}

/** Every column of the current table, in table order: the reserved columns ({@link RESERVED_TABLE_COLUMNS}), then the data columns. */
export function currentTableColumns(spec: CurrentTableSqlSpec): CurrentTableColumn[] {
  checkSpec(spec);
  return [...RESERVED_TABLE_COLUMNS, ...spec.columns].map((c) => ({ name: c.name, type: c.type, ...(c.sourceType === undefined ? {} : { sourceType: c.sourceType }) }));
}

/**
 * The expression that reads `column` from the curated JSON table as the table's type: the column
 * itself when the types agree; `CAST(from_iso8601_timestamp(c) AT TIME ZONE 'UTC' AS timestamp(6))` (UTC, whatever the text's offset) or
 * `from_iso8601_date(c)` for ISO-8601 text; else `CAST(c AS <type>)`.
 */
export function sourceValueSql(column: CurrentTableColumn): string {
  const c = quoteIdentifier(column.name);
  const source = column.sourceType ?? column.type;
  if (source === column.type) return c;
  if (source === 'string' && column.type === 'timestamp') return `CAST(from_iso8601_timestamp(${c}) AT TIME ZONE 'UTC' AS timestamp(6))`;
  if (source === 'string' && column.type === 'date') return `from_iso8601_date(${c})`;
  return `CAST(${c} AS ${dmlType(column.type)})`;
}

/** The `dt` and `hr` of a curated object's `s3://` URI; throws a {@link LakehouseSqlError} for any other path. */
export function curatedObjectPartition(path: string): { readonly dt: string; readonly hr: string } {
  if (typeof path !== 'string' || CONTROL_CHARACTERS.test(path)) {
    throw new LakehouseSqlError(`not a curated object path: ${JSON.stringify(path)} (control characters)`);
  }
  const uri = S3_URI.exec(path);
  const partition = uri && CURATED_KEY.exec(uri[2]);
  if (!partition) {
    throw new LakehouseSqlError(`not a curated object path: ${JSON.stringify(path)}; expected s3://<bucket>/<dataset>/dt=YYYY-MM-DD/hr=HH/<object>`);
  }
  return { dt: partition[1], hr: partition[2] };
}

/**
 * The MERGE that brings the current table up to date with exactly the curated objects
 * `objectPaths` (their `s3://` URIs): of the lines of each key among them, the newest (see the
 * order below) is merged; it replaces the table's row when it is newer than that row, and is
 * inserted when the key has no row. A delete line replaces the row with a tombstone (data columns
 * NULL except the version column). So re-running it over the same objects changes nothing, and
 * merging objects in any order or grouping gives the same table.
 *
 * Order, newest first: the version column (if declared), `_etl_event_time`, `_etl_op` (a delete
 * before an upsert), `_etl_processed_at`, `_etl_position`; NULL is older than any value. Lines without a key or with an unknown `_etl_op`
 * are not merged.
 *
 * The source is read with `"$path" IN (…)` and `dt`/`hr` predicates derived from the paths, so
 * partition projection reads only those partitions. Paths are de-duplicated and sorted: the same
 * set of objects always gives the same statement. Throws a {@link LakehouseSqlError} for no paths,
 * a path that is not a curated object's, or a statement over {@link ATHENA_MAX_QUERY_BYTES} (merge
 * fewer objects per statement: {@link mergeSqlBatches}).
 */
export function mergeSql(spec: CurrentTableSqlSpec, objectPaths: readonly string[]): string {
  checkSpec(spec);
  const paths = [...new Set(objectPaths)].sort();
  if (paths.length === 0) throw new LakehouseSqlError('mergeSql needs at least one curated object path');
  const partitions = paths.map(curatedObjectPartition);
  const dates = [...new Set(partitions.map((p) => p.dt))].sort();
  const hours = [...new Set(partitions.map((p) => p.hr))].sort();

  const q = quoteIdentifier;
  const key = q(LAKEHOUSE_COLUMNS.key);
  const op = q(LAKEHOUSE_COLUMNS.op);
  const table = currentTableColumns(spec);
  const columns = table.map((c) => c.name);
  const kept = new Set<string>([...RESERVED_NAMES, ...(spec.versionColumn ? [spec.versionColumn] : [])]);
  const order = orderColumns(spec);
  const read = table.map((c) => {
    const value = sourceValueSql(c);
    if (kept.has(c.name)) return value === q(c.name) ? value : `${value} AS ${q(c.name)}`;
    return `CASE WHEN ${op} = ${quoteLiteral(RecordOperation.DELETE)} THEN NULL ELSE ${value} END AS ${q(c.name)}`;
  });

  const statement = [
    `MERGE INTO ${tableName(spec.database, spec.table)} AS "t"`,
    'USING (',
    `  SELECT ${columns.map(q).join(', ')}`,
    '  FROM (',
    `    SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${order.map((c) => `${q(c.column)} ${c.newest === 'greatest' ? 'DESC' : 'ASC'} NULLS LAST`).join(', ')}) AS "_etl_rank"`,
    '    FROM (',
    '      SELECT',
    read.map((p) => `        ${p}`).join(',\n'),
    `      FROM ${tableName(spec.sourceDatabase ?? spec.database, spec.sourceTable)}`,
    `      WHERE ${q(SOURCE_PARTITION_COLUMNS.date)} IN (${dates.map(quoteLiteral).join(', ')})`,
    `        AND ${q(SOURCE_PARTITION_COLUMNS.hour)} IN (${hours.map(quoteLiteral).join(', ')})`,
    `        AND "$path" IN (${paths.map(quoteLiteral).join(', ')})`,
    `        AND ${key} IS NOT NULL`,
    `        AND ${op} IN (${[RecordOperation.UPSERT, RecordOperation.DELETE].map(quoteLiteral).join(', ')})`,
    '    ) AS "lines"',
    '  ) AS "ranked"',
    '  WHERE "_etl_rank" = 1',
    ') AS "s"',
    `ON "t".${key} = "s".${key}`,
    `WHEN MATCHED AND ${newerThan(order)}`,
    `  THEN UPDATE SET ${columns.filter((c) => c !== LAKEHOUSE_COLUMNS.key).map((c) => `${q(c)} = "s".${q(c)}`).join(', ')}`,
    'WHEN NOT MATCHED',
    `  THEN INSERT (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => `"s".${q(c)}`).join(', ')})`,
  ].join('\n');
  const bytes = utf8Length(statement);
  if (bytes > ATHENA_MAX_QUERY_BYTES) {
    throw new LakehouseSqlError(
      `the MERGE over ${paths.length} objects is ${bytes} bytes, over Athena's ${ATHENA_MAX_QUERY_BYTES}-byte query limit; merge fewer objects per statement (mergeSqlBatches)`,
    );
  }
  return statement;
}

/**
 * The MERGE statements ({@link mergeSql}) over `objectPaths` split so that each fits Athena's
 * query size limit, in path order. Running them one after the other gives the same table as one
 * statement over all the paths (the MERGE is order-independent).
 */
export function mergeSqlBatches(spec: CurrentTableSqlSpec, objectPaths: readonly string[]): string[] {
  const paths = [...new Set(objectPaths)].sort();
  if (paths.length === 0) throw new LakehouseSqlError('mergeSqlBatches needs at least one curated object path');
  const fixed = utf8Length(mergeSql(spec, [paths[0]])) - utf8Length(quoteLiteral(paths[0]));
  const statements: string[] = [];
  let batch: string[] = [];
  // Each path adds its literal and ", ", and at most a new date and hour literal (", 'YYYY-MM-DD', 'HH'").
  const perPath = (path: string) => utf8Length(quoteLiteral(path)) + 2 + 20;
  let size = fixed;
  for (const path of paths) {
    if (batch.length > 0 && size + perPath(path) > ATHENA_MAX_QUERY_BYTES) {
      statements.push(mergeSql(spec, batch));
      batch = [];
      size = fixed;
    }
    batch.push(path);
    size += perPath(path);
  }
  statements.push(mergeSql(spec, batch));
  return statements;
}

/** Compaction: `OPTIMIZE <db>.<table> REWRITE DATA USING BIN_PACK` (Athena, Iceberg only). */
export function optimizeSql(spec: CurrentTableSqlSpec): string {
  checkSpec(spec);
  return `OPTIMIZE ${maintenanceTableName(spec)} REWRITE DATA USING BIN_PACK`;
}

/**
 * Snapshot expiry and orphan-file removal: `VACUUM <db>.<table>` (Athena engine v3, Iceberg only;
 * what it expires is set by the table's `vacuum_…` properties).
 */
export function vacuumSql(spec: CurrentTableSqlSpec): string {
  checkSpec(spec);
  return `VACUUM ${maintenanceTableName(spec)}`;
}

/**
 * The table's Athena DDL: `CREATE TABLE … PARTITIONED BY (…) LOCATION … TBLPROPERTIES
 * ('table_type'='ICEBERG', 'format'='parquet', …)`. `location` is the table's `s3://…/` folder
 * (Athena's VACUUM needs a folder, not a bucket root); `properties` are further table properties.
 */
export function createTableSql(spec: CurrentTableSqlSpec, location: string, properties: Readonly<Record<string, string>> = {}): string {
  checkSpec(spec);
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+\/$/.test(location)) {
    throw new LakehouseSqlError(`the table location must be an s3:// folder below the bucket root, ending in "/"; got ${JSON.stringify(location)}`);
  }
  const tick = (name: string) => `\`${name}\``;
  const partitions = (spec.partitionBy ?? []).map((p) => {
    if (p.transform === 'identity') return tick(p.column);
    if (p.transform === 'bucket' || p.transform === 'truncate') return `${p.transform}(${p.width}, ${tick(p.column)})`;
    return `${p.transform}(${tick(p.column)})`;
  });
  const props: Record<string, string> = { table_type: 'ICEBERG', format: 'parquet', ...properties };
  return [
    `CREATE TABLE ${tick(spec.database)}.${tick(spec.table)} (`,
    currentTableColumns(spec).map((c) => `  ${tick(c.name)} ${c.type}`).join(',\n'),
    ')',
    ...(partitions.length > 0 ? [`PARTITIONED BY (${partitions.join(', ')})`] : []),
    `LOCATION ${quoteLiteral(location)}`,
    `TBLPROPERTIES (${Object.entries(props).map(([k, v]) => `${quoteLiteral(k)}=${quoteLiteral(v)}`).join(', ')})`,
  ].join('\n');
}

/** The name of the view of live rows: `liveView`, else `<table>_live`. */
export function liveViewName(spec: CurrentTableSqlSpec): string {
  const name = spec.liveView ?? `${spec.table}_live`;
  checkName(name, 'liveView');
  return name;
}

/**
 * The view of the current table's live rows (tombstones left out), with every column but `_etl_op`:
 * `CREATE OR REPLACE VIEW <db>.<table>_live AS SELECT … WHERE _etl_op = 'upsert'`.
 */
export function liveViewSql(spec: CurrentTableSqlSpec): string {
  checkSpec(spec);
  const columns = currentTableColumns(spec).filter((c) => c.name !== LAKEHOUSE_COLUMNS.op);
  return [
    `CREATE OR REPLACE VIEW ${tableName(spec.database, liveViewName(spec))} AS`,
    `SELECT ${columns.map((c) => quoteIdentifier(c.name)).join(', ')}`,
    `FROM ${tableName(spec.database, spec.table)}`,
    `WHERE ${quoteIdentifier(LAKEHOUSE_COLUMNS.op)} = ${quoteLiteral(RecordOperation.UPSERT)}`,
  ].join('\n');
}

/** An order column and which end of it is newest. */
interface OrderColumn {
  readonly column: string;
  /** `least` for `_etl_op`: 'delete' sorts before 'upsert' and wins a tie of version and event time. */
  readonly newest: 'greatest' | 'least';
}

/** The columns that order the lines of a key, most significant first (as compareRecordOrder). */
function orderColumns(spec: CurrentTableSqlSpec): OrderColumn[] {
  return [
    ...(spec.versionColumn ? [spec.versionColumn] : []),
    LAKEHOUSE_COLUMNS.eventTime,
    LAKEHOUSE_COLUMNS.op,
    LAKEHOUSE_COLUMNS.processedAt,
    LAKEHOUSE_COLUMNS.position,
  ].map((column) => ({ column, newest: column === LAKEHOUSE_COLUMNS.op ? 'least' : 'greatest' }));
}

/**
 * `"s"` is newer than `"t"`: lexicographic over the order columns, NULL older than any value.
 * Never NULL itself (each comparison is guarded), so a NULL column cannot make the MERGE skip or
 * take a row by accident.
 */
function newerThan(order: readonly OrderColumn[]): string {
  const [first, ...rest] = order;
  const s = `"s".${quoteIdentifier(first.column)}`;
  const t = `"t".${quoteIdentifier(first.column)}`;
  const greater = `(${s} IS NOT NULL AND (${t} IS NULL OR ${s} ${first.newest === 'greatest' ? '>' : '<'} ${t}))`;
  if (rest.length === 0) return greater;
  return `(${greater} OR (${s} IS NOT DISTINCT FROM ${t} AND ${newerThan(rest)}))`;
}

function tableName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/**
 * `db.table` as Athena's OPTIMIZE and VACUUM take it: unquoted, the table in backticks when it does
 * not start with a letter (Athena's VACUUM needs backticks there; double quotes do not work, and a
 * quoted database name is refused).
 */
function maintenanceTableName(spec: CurrentTableSqlSpec): string {
  if (!PLAIN_NAME.test(spec.database)) {
    throw new LakehouseSqlError(`database ${JSON.stringify(spec.database)} must start with a letter for OPTIMIZE and VACUUM, which take it unquoted`);
  }
  return `${spec.database}.${PLAIN_NAME.test(spec.table) ? spec.table : `\`${spec.table}\``}`;
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || !GLUE_NAME.test(name)) {
    throw new LakehouseSqlError(`${what} ${JSON.stringify(name)} is not a Glue name (1 to 255 characters of a-z, 0-9 and "_")`);
  }
}

function checkSpec(spec: CurrentTableSqlSpec): void {
  checkName(spec.database, 'database');
  checkName(spec.table, 'table');
  if (spec.sourceDatabase !== undefined) checkName(spec.sourceDatabase, 'sourceDatabase');
  checkName(spec.sourceTable, 'sourceTable');
  if (spec.columns.length === 0) throw new LakehouseSqlError('columns is empty; give the data columns of the output schema');
  const names = new Set<string>();
  for (const c of spec.columns) {
    checkName(c.name, 'column');
    if (c.name.startsWith('_etl_')) throw new LakehouseSqlError(`column ${c.name} uses the reserved prefix _etl_ (the lakehouse adds its own columns)`);
    if (c.name === SOURCE_PARTITION_COLUMNS.date || c.name === SOURCE_PARTITION_COLUMNS.hour) {
      throw new LakehouseSqlError(`column ${c.name} is a partition column of the curated table`);
    }
    if (names.has(c.name)) throw new LakehouseSqlError(`column ${c.name} is declared twice`);
    names.add(c.name);
    for (const [what, type] of [['type', c.type], ['sourceType', c.sourceType ?? c.type]]) {
      if (typeof type !== 'string' || !DDL_TYPE.test(type) || !balanced(type)) {
        throw new LakehouseSqlError(`column ${c.name} has ${what} ${JSON.stringify(type)}, not an Athena DDL type (e.g. string, bigint, decimal(10,2), array<string>)`);
      }
    }
  }
  if (spec.versionColumn !== undefined && !names.has(spec.versionColumn)) {
    throw new LakehouseSqlError(`versionColumn ${JSON.stringify(spec.versionColumn)} is not one of the columns`);
  }
  const all = new Set<string>([...names, ...RESERVED_NAMES]);
  for (const p of spec.partitionBy ?? []) {
    if (!all.has(p.column)) throw new LakehouseSqlError(`partitionBy names ${JSON.stringify(p.column)}, not a column of the table`);
    const sized = p.transform === 'bucket' || p.transform === 'truncate';
    if (sized !== (p.width !== undefined) || (sized && !(Number.isInteger(p.width) && (p.width as number) > 0))) {
      throw new LakehouseSqlError(
        sized ? `partitionBy ${p.transform}(${p.column}) needs a positive integer width` : `partitionBy ${p.transform}(${p.column}) takes no width`,
      );
    }
    if (!['identity', 'year', 'month', 'day', 'hour', 'bucket', 'truncate'].includes(p.transform)) {
      throw new LakehouseSqlError(`partitionBy transform ${JSON.stringify(p.transform)} is not an Iceberg transform Athena accepts`);
    }
  }
}

/** The DML (Trino) name of an Athena DDL type, for CAST: `string` → `varchar`, `float` → `real`, `timestamp` → `timestamp(6)` (Iceberg's microseconds). */
function dmlType(type: string): string {
  if (type === 'string') return 'varchar';
  if (type === 'float') return 'real';
  if (type === 'timestamp') return 'timestamp(6)';
  if (type === 'int') return 'integer';
  return type;
}

/** Angle brackets and parentheses nest properly. */
function balanced(type: string): boolean {
  const stack: string[] = [];
  for (const ch of type) {
    if (ch === '<' || ch === '(') stack.push(ch === '<' ? '>' : ')');
    else if (ch === '>' || ch === ')') {
      if (stack.pop() !== ch) return false;
    }
  }
  return stack.length === 0;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
