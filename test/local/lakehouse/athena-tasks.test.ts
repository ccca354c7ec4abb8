/**
 * A state machine's Athena tasks on the local stand-in: `startQueryExecution.sync` runs the
 * library's MERGE and returns the ended execution, a failed query fails the task with
 * States.TaskFailed (so Retry and Catch apply), getQueryResults reads the rows.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { mergeSql, type CurrentTableSqlSpec } from '../../../lib/contract/lakehouse/sql';
import { LocalAthena } from '../../../local/lakehouse/athena-stand-in';
import { DuckDbEngine } from '../../../local/lakehouse/duckdb-engine';
import type { CatalogTable } from '../../../local/lakehouse/glue-catalog';
import { ObjectMirror } from '../../../local/lakehouse/object-mirror';
import { LocalParameterStore } from '../../../local/services/parameter-store';
import { classifyResource, CompiledStateMachine, UnsupportedDefinitionError, type Json, type TaskServices } from '../../../local/services/state-machine';

const SPEC: CurrentTableSqlSpec = { database: 'shop', table: 'orders_current', sourceTable: 'orders_source', columns: [{ name: 'status', type: 'string' }] };
const reserved = ['_etl_key', '_etl_op', '_etl_event_time', '_etl_processed_at', '_etl_transform_version', '_etl_schema_version', '_etl_position'];
const columns = [...reserved, 'status'].map((name) => ({ name, type: 'string' }));
const CATALOG: CatalogTable[] = [
  { logicalId: 'Source', database: 'shop', name: 'orders_source', kind: 'json', columns, partitionKeys: ['dt', 'hr'], location: { bucket: 'curated', prefix: 'orders/' } },
  { logicalId: 'Current', database: 'shop', name: 'orders_current', kind: 'iceberg', columns, partitionKeys: [] },
];
const KEY = 'orders/dt=2026-12-07/hr=08/a.jsonl.gz';
const LINE = {
  status: 'placed',
  _etl_key: 'o-1',
  _etl_op: 'upsert',
  _etl_event_time: '2026-12-07T08:00:00.000Z',
  _etl_processed_at: '2026-12-07T08:01:00.000Z',
  _etl_transform_version: 'v1',
  _etl_schema_version: null,
  _etl_position: 'p1',
};

const identity = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:merge:run-1', name: 'run-1', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:merge', stateMachineName: 'merge' };

let engine: DuckDbEngine;
let services: TaskServices;
beforeEach(async () => {
  engine = await DuckDbEngine.open();
  const objects = { list: async () => [{ key: KEY, etag: '1' }], get: async () => gzipSync(JSON.stringify(LINE)) };
  const athena = await LocalAthena.create({ engine, catalog: CATALOG, mirror: new ObjectMirror(fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-')), objects) });
  services = {
    findFunction: () => undefined,
    parameters: new LocalParameterStore('000000000000', 'us-east-1'),
    sendMessage: async () => ({}),
    putEvents: async () => ({ entries: [], failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: 0 }),
    athena,
  };
});
afterEach(() => engine.close());

function machine(query: string): Json {
  return {
    StartAt: 'Merge',
    States: {
      Merge: {
        Type: 'Task',
        Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
        Parameters: { 'QueryString.$': '$.sql', WorkGroup: 'shop', QueryExecutionContext: { Database: 'shop' } },
        Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1, IntervalSeconds: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
        ResultPath: '$.merge',
        Next: 'Count',
      },
      Count: {
        Type: 'Task',
        Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
        Parameters: { QueryString: query, WorkGroup: 'shop' },
        ResultSelector: { 'id.$': '$.QueryExecution.QueryExecutionId' },
        Next: 'Results',
      },
      Results: { Type: 'Task', Resource: 'arn:aws:states:::athena:getQueryResults', Parameters: { 'QueryExecutionId.$': '$.id' }, End: true },
      Failed: { Type: 'Fail', Error: 'MergeFailed' },
    },
  };
}

describe('Athena tasks of a state machine, locally', () => {
  it('classifies the Athena integrations: .sync only for startQueryExecution', () => {
    expect(classifyResource('arn:aws:states:::athena:startQueryExecution.sync')).toEqual({ kind: 'athena', action: 'startQueryExecution', sync: true });
    expect(classifyResource('arn:aws:states:::athena:getQueryResults')).toEqual({ kind: 'athena', action: 'getQueryResults', sync: false });
    expect(classifyResource('arn:aws:states:::athena:getQueryResults.sync')).toMatch(/\.sync integration pattern is not emulated/);
  });

  it('runs the MERGE with startQueryExecution.sync and reads the table with getQueryResults', async () => {
    const compiled = await CompiledStateMachine.compile(machine('SELECT _etl_key, status FROM shop.orders_current'), services, { retryIntervalScale: 0 });
    const outcome = await compiled.run({ sql: mergeSql(SPEC, [`s3://curated/${KEY}`]) }, identity).result;
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.tasks[0].output).toMatchObject({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' } });
    expect((outcome.output as { ResultSet: { Rows: unknown[] } }).ResultSet.Rows).toEqual([
      { Data: [{ VarCharValue: '_etl_key' }, { VarCharValue: 'status' }] },
      { Data: [{ VarCharValue: 'o-1' }, { VarCharValue: 'placed' }] },
    ]);
  });

  it('fails the task with States.TaskFailed when the query fails: Retry runs it again, Catch takes it', async () => {
    const compiled = await CompiledStateMachine.compile(machine('SELECT 1'), services, { retryIntervalScale: 0 });
    const outcome = await compiled.run({ sql: 'SELECT nope FROM shop.orders_current' }, identity).result;
    expect(outcome.tasks.map((t) => [t.state, t.error?.name])).toEqual([
      ['Merge', 'States.TaskFailed'],
      ['Merge', 'States.TaskFailed'],
    ]);
    expect(JSON.parse(outcome.tasks[0].error!.message)).toMatchObject({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: expect.stringMatching(/nope/) } } });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'MergeFailed' });
  });

  it('refuses an Athena task when the app has no Glue tables (no stand-in)', async () => {
    const { athena: _none, ...without } = services;
    await expect(CompiledStateMachine.compile(machine('SELECT 1'), without, {})).rejects.toThrow(UnsupportedDefinitionError);
  });
});
