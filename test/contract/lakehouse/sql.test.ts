/**
 * The current table's Athena SQL checked statically: the Athena-only statements (OPTIMIZE, VACUUM,
 * the Iceberg DDL) as exact text, the MERGE against Athena's documented synopsis, and every name
 * and path that reaches a statement checked or escaped. What the MERGE does is run on DuckDB in
 * merge-on-duckdb.test.ts.
 */
import { LAKEHOUSE_COLUMNS } from '../../../lib/contract/lakehouse/columns';
import {
  ATHENA_MAX_QUERY_BYTES,
  LakehouseSqlError,
  createTableSql,
  currentTableColumns,
  curatedObjectPartition,
  liveViewSql,
  mergeSql,
  mergeSqlBatches,
  optimizeSql,
  quoteIdentifier,
  quoteLiteral,
  vacuumSql,
  type CurrentTableSqlSpec,
} from '../../../lib/contract/lakehouse/sql';
import { partitionPath } from '../../../lib/contract/storage-layout';

const SPEC: CurrentTableSqlSpec = {
  database: 'orders_etl',
  table: 'orders_current',
  sourceTable: 'orders',
  columns: [
    { name: 'order_id', type: 'string' },
    { name: 'amount', type: 'decimal(10,2)' },
    { name: 'updated_at', type: 'bigint' },
  ],
  versionColumn: 'updated_at',
};
const path = (name: string, dt = '2026-12-07', hr = '08') => `s3://curated-bucket/orders/${partitionPath(dt, hr)}/${name}.jsonl.gz`;

describe('the maintenance statements', () => {
  it('compacts with OPTIMIZE … REWRITE DATA USING BIN_PACK and expires snapshots with VACUUM', () => {
    expect(optimizeSql(SPEC)).toBe('OPTIMIZE orders_etl.orders_current REWRITE DATA USING BIN_PACK');
    expect(vacuumSql(SPEC)).toBe('VACUUM orders_etl.orders_current');
  });

  it('puts a table name that does not start with a letter in backticks, as Athena VACUUM needs; refuses such a database name', () => {
    expect(vacuumSql({ ...SPEC, table: '_orders' })).toBe('VACUUM orders_etl.`_orders`');
    expect(optimizeSql({ ...SPEC, table: '2026_orders' })).toBe('OPTIMIZE orders_etl.`2026_orders` REWRITE DATA USING BIN_PACK');
    expect(() => vacuumSql({ ...SPEC, database: '_etl' })).toThrow(/database "_etl" must start with a letter/);
  });
});

describe('the table DDL', () => {
  it('declares the data and reserved columns, the partition spec, the location and Iceberg properties', () => {
    const ddl = createTableSql(
      { ...SPEC, partitionBy: [{ column: LAKEHOUSE_COLUMNS.key, transform: 'bucket', width: 16 }, { column: 'order_id', transform: 'identity' }] },
      's3://lake-bucket/current/orders/',
      { vacuum_max_snapshot_age_seconds: '86400' },
    );
    expect(ddl).toBe(
      [
        'CREATE TABLE `orders_etl`.`orders_current` (',
        '  `_etl_key` string,',
        '  `_etl_op` string,',
        '  `_etl_event_time` string,',
        '  `_etl_processed_at` string,',
        '  `_etl_transform_version` string,',
        '  `_etl_schema_version` string,',
        '  `_etl_position` string,',
        '  `order_id` string,',
        '  `amount` decimal(10,2),',
        '  `updated_at` bigint',
        ')',
        'PARTITIONED BY (bucket(16, `_etl_key`), `order_id`)',
        "LOCATION 's3://lake-bucket/current/orders/'",
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet', 'vacuum_max_snapshot_age_seconds'='86400')",
      ].join('\n'),
    );
  });

  it('refuses a bucket root as location (VACUUM fails there), and partition fields it cannot write', () => {
    expect(() => createTableSql(SPEC, 's3://lake-bucket/')).toThrow(/below the bucket root/);
    expect(() => createTableSql({ ...SPEC, partitionBy: [{ column: 'order_id', transform: 'bucket' }] }, 's3://b/t/')).toThrow(/needs a positive integer width/);
    expect(() => createTableSql({ ...SPEC, partitionBy: [{ column: 'order_id', transform: 'day', width: 2 }] }, 's3://b/t/')).toThrow(/takes no width/);
    expect(() => createTableSql({ ...SPEC, partitionBy: [{ column: 'nope', transform: 'identity' }] }, 's3://b/t/')).toThrow(/not a column/);
  });

  it('has a view of live rows without tombstones', () => {
    expect(liveViewSql(SPEC)).toBe(
      [
        'CREATE OR REPLACE VIEW "orders_etl"."orders_current_live" AS',
        'SELECT "_etl_key", "_etl_event_time", "_etl_processed_at", "_etl_transform_version", "_etl_schema_version", "_etl_position", "order_id", "amount", "updated_at"',
        'FROM "orders_etl"."orders_current"',
        `WHERE "_etl_op" = 'upsert'`,
      ].join('\n'),
    );
  });
});

describe('the MERGE', () => {
  const sql = mergeSql(SPEC, [path('b', '2026-12-07', '09'), path('a'), path('a')]);

  it('is the statement the library runs', () => {
    expect(sql).toMatchSnapshot();
  });

  it("follows Athena's MERGE INTO synopsis: target AS alias, USING (query) AS alias, ON, WHEN clauses in its three forms", () => {
    // MERGE INTO target_table [ [ AS ] target_alias ] USING { source_table | query } [ [ AS ] source_alias ]
    // ON search_condition when_clause [...]
    const synopsis = /^MERGE INTO "[a-z0-9_]+"\."[a-z0-9_]+" AS "t"\nUSING \(\n([\s\S]+)\n\) AS "s"\nON (.+)\n((?:WHEN [\s\S]+?)+)$/;
    const [, query, on, whens] = synopsis.exec(sql) ?? [];
    expect(on).toBe('"t"."_etl_key" = "s"."_etl_key"');
    expect(balancedParentheses(query)).toBe(true);
    expect(query).not.toContain(';');

    const clauses = whens.split(/\n(?=WHEN )/);
    expect(clauses).toHaveLength(2);
    // WHEN MATCHED [ AND condition ] THEN UPDATE SET column = expression [, ...]: target columns unprefixed.
    const update = /^WHEN MATCHED AND ([\s\S]+)\n {2}THEN UPDATE SET ((?:"[a-z0-9_]+" = "s"\."[a-z0-9_]+"(?:, )?)+)$/.exec(clauses[0]);
    expect(update).not.toBeNull();
    expect(balancedParentheses(update![1])).toBe(true);
    // WHEN NOT MATCHED [ AND condition ] THEN INSERT (column_name, …) VALUES (expression, …): target columns
    // unprefixed, values prefixed with the source alias.
    const insert = /^WHEN NOT MATCHED\n {2}THEN INSERT \(((?:"[a-z0-9_]+"(?:, )?)+)\) VALUES \(((?:"s"\."[a-z0-9_]+"(?:, )?)+)\)$/.exec(clauses[1]);
    expect(insert).not.toBeNull();
    const columns = currentTableColumns(SPEC).map((c) => quoteIdentifier(c.name));
    expect(insert![1].split(', ')).toEqual(columns);
    expect(insert![2].split(', ')).toEqual(columns.map((c) => `"s".${c}`));
    expect(update![2].split(', ').map((s) => s.split(' = ')[0])).toEqual(columns.filter((c) => c !== '"_etl_key"'));
  });

  it('reads exactly the objects given, pruned to their partitions: "$path" IN (…) with dt and hr predicates', () => {
    expect(sql).toContain(`WHERE "dt" IN ('2026-12-07')\n        AND "hr" IN ('08', '09')`);
    expect(sql).toContain(`AND "$path" IN ('${path('a')}', '${path('b', '2026-12-07', '09')}')`);
    expect(sql).toContain('FROM "orders_etl"."orders"');
    expect(mergeSql({ ...SPEC, sourceDatabase: 'raw_etl' }, [path('a')])).toContain('FROM "raw_etl"."orders"');
  });

  it('is the same statement for the same objects in any order', () => {
    expect(mergeSql(SPEC, [path('a'), path('b', '2026-12-07', '09')])).toBe(sql);
  });

  it('reads ISO-8601 text as UTC timestamps and dates, casts other differing types, masks data columns of deletes', () => {
    const typed = mergeSql(
      {
        ...SPEC,
        columns: [
          { name: 'placed_at', type: 'timestamp', sourceType: 'string' },
          { name: 'placed_on', type: 'date', sourceType: 'string' },
          { name: 'quantity', type: 'int', sourceType: 'string' },
          { name: 'updated_at', type: 'bigint' },
        ],
      },
      [path('a')],
    );
    expect(typed).toMatch(/^ {8}"_etl_event_time",$/m);
    expect(typed).toContain(`CASE WHEN "_etl_op" = 'delete' THEN NULL ELSE CAST(from_iso8601_timestamp("placed_at") AT TIME ZONE 'UTC' AS timestamp(6)) END AS "placed_at"`);
    expect(typed).toContain(`CASE WHEN "_etl_op" = 'delete' THEN NULL ELSE from_iso8601_date("placed_on") END AS "placed_on"`);
    expect(typed).toContain(`CASE WHEN "_etl_op" = 'delete' THEN NULL ELSE CAST("quantity" AS integer) END AS "quantity"`);
    expect(typed).toMatch(/^ {8}"updated_at",?$/m);
  });

  it('ranks the lines of a key by the version column, event time, operation (delete first), processing time, position, NULL last', () => {
    expect(sql).toContain(
      'row_number() OVER (PARTITION BY "_etl_key" ORDER BY "updated_at" DESC NULLS LAST, "_etl_event_time" DESC NULLS LAST, ' +
        '"_etl_op" ASC NULLS LAST, "_etl_processed_at" DESC NULLS LAST, "_etl_position" DESC NULLS LAST) AS "_etl_rank"',
    );
    expect(mergeSql({ ...SPEC, versionColumn: undefined }, [path('a')])).toContain('ORDER BY "_etl_event_time" DESC NULLS LAST');
  });

  it('escapes a quote in a path and refuses paths that are not curated objects', () => {
    const hostile = path("x'); DROP TABLE orders_etl.orders_current; --");
    expect(mergeSql(SPEC, [hostile])).toContain(`'s3://curated-bucket/orders/dt=2026-12-07/hr=08/x''); DROP TABLE orders_etl.orders_current; --.jsonl.gz'`);
    expect(() => mergeSql(SPEC, [])).toThrow(LakehouseSqlError);
    expect(() => mergeSql(SPEC, ['s3://curated-bucket/orders/x.jsonl.gz'])).toThrow(/not a curated object path/);
    expect(() => mergeSql(SPEC, ['/tmp/orders/dt=2026-12-07/hr=08/x.jsonl.gz'])).toThrow(/not a curated object path/);
    expect(() => mergeSql(SPEC, [path('a\nb')])).toThrow(/control characters/);
    expect(() => mergeSql(SPEC, [path('a', '2026-12-07', "08' OR '1'='1")])).toThrow(/not a curated object path/);
  });

  it('refuses hostile or invalid names instead of quoting them into a statement', () => {
    const bad: Array<[Partial<CurrentTableSqlSpec>, RegExp]> = [
      [{ database: 'orders"; DROP TABLE x; --' }, /database .* is not a Glue name/],
      [{ table: 'Orders' }, /table "Orders" is not a Glue name/],
      [{ sourceTable: '' }, /sourceTable "" is not a Glue name/],
      [{ columns: [{ name: 'a b', type: 'string' }] }, /column "a b" is not a Glue name/],
      [{ columns: [{ name: 'a', type: "string) ; DROP TABLE x; --" }] }, /not an Athena DDL type/],
      [{ columns: [{ name: 'a', type: 'array<string' }] }, /not an Athena DDL type/],
      [{ columns: [{ name: '_etl_key', type: 'string' }] }, /reserved prefix/],
      [{ columns: [{ name: 'dt', type: 'string' }] }, /partition column of the curated table/],
      [{ columns: [{ name: 'a', type: 'string' }, { name: 'a', type: 'string' }] }, /declared twice/],
      [{ columns: [] }, /columns is empty/],
      [{ versionColumn: 'missing' }, /versionColumn "missing" is not one of the columns/],
      [{ liveView: 'x"y' }, /liveView .* is not a Glue name/],
    ];
    for (const [change, message] of bad) {
      const spec = { ...SPEC, ...change } as CurrentTableSqlSpec;
      expect(() => {
        mergeSql(spec, [path('a')]);
        liveViewSql(spec);
      }).toThrow(message);
    }
    expect(() => quoteIdentifier('x"y')).toThrow(LakehouseSqlError);
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });

  it("stays under Athena's query size limit: too many objects for one statement are refused, mergeSqlBatches splits them", () => {
    const many = Array.from({ length: 3000 }, (_, i) => path(`${String(i).padStart(4, '0')}-${'x'.repeat(60)}`, `2026-12-${String(1 + (i % 28)).padStart(2, '0')}`, String(i % 24).padStart(2, '0')));
    expect(() => mergeSql(SPEC, many)).toThrow(/over Athena's 262144-byte query limit/);
    const batches = mergeSqlBatches(SPEC, many);
    expect(batches.length).toBeGreaterThan(1);
    for (const statement of batches) expect(Buffer.byteLength(statement)).toBeLessThanOrEqual(ATHENA_MAX_QUERY_BYTES);
    const merged = batches.flatMap((s) => /"\$path" IN \((.*)\)/.exec(s)![1].split(', ').map((l) => l.slice(1, -1)));
    expect(merged).toEqual([...many].sort());
  });
});

describe('curated object paths', () => {
  it('reads dt and hr from the partition path the runtime writes (storage-layout partitionPath)', () => {
    expect(curatedObjectPartition(path('abc', '2026-01-31', '23'))).toEqual({ dt: '2026-01-31', hr: '23' });
  });
});

function balancedParentheses(text: string): boolean {
  let depth = 0;
  for (const ch of text.replace(/'(?:[^']|'')*'/g, "''")) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}
