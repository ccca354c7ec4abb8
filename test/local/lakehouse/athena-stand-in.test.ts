/**
 * The local Athena stand-in over a template's Glue catalog: the library's MERGE runs as generated
 * against the curated objects S3 has when it starts, results come back as Athena returns them, and
 * what Athena refuses fails the same way.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LAKEHOUSE_COLUMNS } from '../../../lib/contract/lakehouse/columns';
import { mergeSql, optimizeSql, vacuumSql, type CurrentTableSqlSpec } from '../../../lib/contract/lakehouse/sql';
import { AthenaApiError, LocalAthena, singleStatement } from '../../../local/lakehouse/athena-stand-in';
import { DuckDbEngine } from '../../../local/lakehouse/duckdb-engine';
import { readGlueCatalog } from '../../../local/lakehouse/glue-catalog';
import { ObjectMirror, type ObjectSource } from '../../../local/lakehouse/object-mirror';

const BUCKET = 'curated-bucket';
const SPEC: CurrentTableSqlSpec = {
  database: 'orders_etl',
  table: 'orders_current',
  sourceTable: 'orders',
  columns: [
    { name: 'status', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};

/** A template with the curated JSON table (as ServerlessWarehouse declares it) and the current table (Iceberg). */
const RESOURCES = {
  Curated: {
    Type: 'AWS::Glue::Table',
    Properties: {
      DatabaseName: 'orders_etl',
      TableInput: {
        Name: 'orders',
        PartitionKeys: [
          { Name: 'dt', Type: 'string' },
          { Name: 'hr', Type: 'string' },
        ],
        StorageDescriptor: {
          Location: { 'Fn::Join': ['', ['s3://', { Ref: 'CuratedBucket' }, '/orders/']] },
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          Columns: [
            { Name: 'status', Type: 'string' },
            { Name: 'amount', Type: 'double' },
            ...Object.values(LAKEHOUSE_COLUMNS).map((name) => ({ Name: name, Type: 'string' })),
          ],
        },
      },
    },
  },
  Current: {
    Type: 'AWS::Glue::Table',
    Properties: {
      DatabaseName: 'orders_etl',
      OpenTableFormatInput: { IcebergInput: { MetadataOperation: 'CREATE', Version: '2' } },
      TableInput: {
        Name: 'orders_current',
        StorageDescriptor: {
          Location: 's3://lake-bucket/current/orders/',
          Columns: [
            { Name: '_etl_key', Type: 'string' },
            { Name: '_etl_op', Type: 'string' },
            { Name: '_etl_event_time', Type: 'string' },
            { Name: '_etl_processed_at', Type: 'string' },
            { Name: '_etl_transform_version', Type: 'string' },
            { Name: '_etl_schema_version', Type: 'string' },
            { Name: '_etl_position', Type: 'string' },
            { Name: 'status', Type: 'string' },
            { Name: 'amount', Type: 'double' },
          ],
        },
      },
    },
  },
  Other: { Type: 'AWS::Glue::Table', Properties: { DatabaseName: 'x', TableInput: { Name: 'csv', StorageDescriptor: { SerdeInfo: { SerializationLibrary: 'LazySimpleSerDe' } } } } },
};
const resolve = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value).includes('CuratedBucket') ? `s3://${BUCKET}/orders/` : String(value);

/** An in-memory S3. */
class MemoryObjects implements ObjectSource {
  readonly objects = new Map<string, Uint8Array>();
  put(key: string, lines: Record<string, unknown>[]): string {
    this.objects.set(key, gzipSync(lines.map((l) => JSON.stringify(l)).join('\n')));
    return `s3://${BUCKET}/${key}`;
  }
  async list(bucket: string, prefix: string) {
    return [...this.objects.keys()].filter((k) => bucket === BUCKET && k.startsWith(prefix)).map((key) => ({ key, etag: String(this.objects.get(key)!.length) }));
  }
  async get(_bucket: string, key: string) {
    return this.objects.get(key)!;
  }
}

function line(key: string, status: string, at = '2026-12-07T08:00:00.000Z', op = 'upsert'): Record<string, unknown> {
  return {
    status,
    amount: 1.5,
    _etl_key: key,
    _etl_op: op,
    _etl_event_time: at,
    _etl_processed_at: '2026-12-07T09:00:00.000Z',
    _etl_transform_version: 'v1',
    _etl_schema_version: null,
    _etl_position: `p:${key}:${at}`,
  };
}

let engine: DuckDbEngine;
let s3: MemoryObjects;
let athena: LocalAthena;
beforeEach(async () => {
  engine = await DuckDbEngine.open();
  s3 = new MemoryObjects();
  const { tables } = readGlueCatalog(RESOURCES, resolve);
  athena = await LocalAthena.create({ engine, catalog: tables, mirror: new ObjectMirror(fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-')), s3) });
});
afterEach(() => engine.close());

const run = async (sql: string, extra: Record<string, unknown> = {}) => {
  const { QueryExecutionId } = await athena.startQueryExecution({ QueryString: sql, ...extra });
  return { id: QueryExecutionId, execution: athena.getQueryExecution({ QueryExecutionId }).QueryExecution };
};

describe('the Glue catalog of a template', () => {
  it('finds the Iceberg and JSON tables with their columns and locations, and skips the others', () => {
    const { tables, skipped } = readGlueCatalog(RESOURCES, resolve);
    expect(tables.map((t) => [t.logicalId, t.kind, `${t.database}.${t.name}`, t.location?.bucket ?? '-', t.partitionKeys.join('/')])).toEqual([
      ['Curated', 'json', 'orders_etl.orders', BUCKET, 'dt/hr'],
      ['Current', 'iceberg', 'orders_etl.orders_current', 'lake-bucket', ''],
    ]);
    expect(skipped).toEqual([{ logicalId: 'Other', reason: 'neither Iceberg nor a JSON SerDe table (LazySimpleSerDe)' }]);
  });
});

describe('the local Athena', () => {
  it('runs the library MERGE as generated over the objects S3 has when the query starts, and answers as Athena', async () => {
    const a = s3.put('orders/dt=2026-12-07/hr=08/a.jsonl.gz', [line('o-1', 'placed'), line('o-2', 'placed')]);
    const merged = await run(mergeSql(SPEC, [a]), { QueryExecutionContext: { Database: 'orders_etl' }, WorkGroup: 'orders-etl' });
    expect(merged.execution).toMatchObject({ Status: { State: 'SUCCEEDED' }, StatementType: 'DML', WorkGroup: 'orders-etl', QueryExecutionContext: { Database: 'orders_etl' } });
    expect(athena.getQueryResults({ QueryExecutionId: merged.id })).toMatchObject({ UpdateCount: 2, ResultSet: { Rows: [] } });

    const b = s3.put('orders/dt=2026-12-07/hr=09/b.jsonl.gz', [line('o-1', 'paid', '2026-12-07T09:30:00.000Z'), line('o-2', '', '2026-12-07T09:31:00.000Z', 'delete')]);
    await run(mergeSql(SPEC, [b, a]));
    const select = await run('SELECT _etl_key, status, amount, _etl_op FROM orders_current ORDER BY 1', { QueryExecutionContext: { Database: 'orders_etl' } });
    const results = athena.getQueryResults({ QueryExecutionId: select.id });
    expect(results).toEqual({
      UpdateCount: 0,
      ResultSet: {
        Rows: [
          { Data: [{ VarCharValue: '_etl_key' }, { VarCharValue: 'status' }, { VarCharValue: 'amount' }, { VarCharValue: '_etl_op' }] },
          { Data: [{ VarCharValue: 'o-1' }, { VarCharValue: 'paid' }, { VarCharValue: '1.5' }, { VarCharValue: 'upsert' }] },
          { Data: [{ VarCharValue: 'o-2' }, {}, {}, { VarCharValue: 'delete' }] },
        ],
        ResultSetMetadata: { ColumnInfo: expect.arrayContaining([expect.objectContaining({ Name: 'amount', Type: 'double' })]) },
      },
    });
  });

  it('matches JSON fields to columns case-insensitively, as the JSON SerDe does', async () => {
    const a = s3.put('orders/dt=2026-12-07/hr=08/a.jsonl.gz', [{ ...line('o-1', 'x'), status: undefined, Status: 'Upper' }]);
    await run(mergeSql(SPEC, [a]));
    expect((await athena.query('SELECT status FROM orders_etl.orders_current')).rows).toEqual([['Upper']]);
  });

  it('pages results with MaxResults and NextToken', async () => {
    const select = await run('SELECT * FROM range(5) AS t(n) ORDER BY n');
    const first = athena.getQueryResults({ QueryExecutionId: select.id, MaxResults: 4 }) as { ResultSet: { Rows: unknown[] }; NextToken?: string };
    expect(first.ResultSet.Rows).toHaveLength(4);
    const second = athena.getQueryResults({ QueryExecutionId: select.id, MaxResults: 4, NextToken: first.NextToken }) as { ResultSet: { Rows: unknown[] }; NextToken?: string };
    expect(second.ResultSet.Rows).toEqual([{ Data: [{ VarCharValue: '3' }] }, { Data: [{ VarCharValue: '4' }] }]);
    expect(second.NextToken).toBeUndefined();
  });

  it('fails a query the engine refuses, with the reason, and refuses several statements in one query', async () => {
    const bad = await run('SELECT nope FROM orders_etl.orders_current');
    expect(bad.execution.Status).toMatchObject({ State: 'FAILED', AthenaError: { ErrorCategory: 2, Retryable: false } });
    expect(bad.execution.Status.StateChangeReason).toMatch(/nope/);
    expect(() => athena.getQueryResults({ QueryExecutionId: bad.id })).toThrow(/Current state: FAILED/);
    expect((await run('SELECT 1; DROP TABLE orders_etl.orders_current')).execution.Status.StateChangeReason).toBe('Only one sql statement is allowed');
    expect(singleStatement("SELECT ';' AS x;  ")).toBe("SELECT ';' AS x");
    await expect(athena.startQueryExecution({})).rejects.toThrow(AthenaApiError);
    expect(() => athena.getQueryExecution({ QueryExecutionId: 'nope' })).toThrow(/QUERY_NOT_FOUND/);
  });

  it('runs a query once per ClientRequestToken', async () => {
    const a = s3.put('orders/dt=2026-12-07/hr=08/a.jsonl.gz', [line('o-1', 'placed')]);
    const first = await athena.startQueryExecution({ QueryString: mergeSql(SPEC, [a]), ClientRequestToken: 'token-1' });
    const again = await athena.startQueryExecution({ QueryString: 'SELECT 1', ClientRequestToken: 'token-1' });
    expect(again).toEqual(first);
    expect(athena.executions).toHaveLength(1);
  });

  it('accepts Iceberg maintenance on an Iceberg table of the catalog as a no-op, and fails it on any other table', async () => {
    for (const sql of [optimizeSql(SPEC), vacuumSql(SPEC), "ALTER TABLE orders_etl.orders_current SET TBLPROPERTIES ('vacuum_min_snapshots_to_keep'='2')"]) {
      expect((await run(sql)).execution.Status.State).toBe('SUCCEEDED');
    }
    expect(athena.executions[0].note).toMatch(/OPTIMIZE orders_etl.orders_current: Iceberg maintenance is not run locally/);
    const wrong = await run('VACUUM orders_etl.orders');
    expect(wrong.execution.Status).toMatchObject({ State: 'FAILED', StateChangeReason: expect.stringMatching(/needs an Iceberg table of the catalog/) });
  });
});
