/**
 * The report's current tables: what the curated objects say each should hold (one row per
 * distinct key, live unless its newest line is a delete), a table that differs failing
 * conservation like any other count, and how the report and `--query` print it.
 */
import { currentTableProblems, describeTableChanges, expectedRows, tableChanges, type CurrentTableReport } from '../../../local/lakehouse/current-table-report';
import { formatRows } from '../../../local/lakehouse/format-rows';
import { mergeTarget, versionColumnOf } from '../../../local/lakehouse/local-lakehouse';
import { buildReport, type ReportInputs } from '../../../local/report/run-report';
import { formatReport } from '../../../local/report/format-report';
import { mergeSql } from '../../../lib/contract/lakehouse/sql';

const line = (key: string, op: string, at: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ _etl_key: key, _etl_op: op, _etl_event_time: at, _etl_processed_at: '2026-12-07T10:00:00.000Z', _etl_position: `p-${key}-${at}`, ...extra });

describe('what the curated objects say a current table holds', () => {
  it('counts distinct keys and those whose newest line (by the contract order) is a delete, across objects', () => {
    const objects = [
      { text: [line('a', 'upsert', '2026-12-07T08:00:00.000Z'), line('b', 'upsert', '2026-12-07T08:00:00.000Z'), line('c', 'delete', '2026-12-07T08:00:00.000Z')].join('\n') },
      // b deleted later; a deleted earlier than its upsert (stays live); c upserted again later (live).
      { text: [line('b', 'delete', '2026-12-07T09:00:00.000Z'), line('a', 'delete', '2026-12-07T07:00:00.000Z'), line('c', 'upsert', '2026-12-07T09:00:00.000Z')].join('\n') },
      // lines without a key or with another operation, and text that is not JSON, are not table lines.
      { text: ['{"eventId":"x"}', line('d', 'truncate', '2026-12-07T08:00:00.000Z'), 'not json', ''].join('\n') },
    ];
    expect(expectedRows(objects)).toEqual({ curatedKeys: 3, deletedKeys: 1, curatedLines: 6 });
  });

  it('orders by the version column first when the MERGE declared one, matching field names case-insensitively', () => {
    const objects = [{ text: [line('a', 'delete', '2026-12-07T09:00:00.000Z', { Revision: 1 }), line('a', 'upsert', '2026-12-07T08:00:00.000Z', { Revision: 2 })].join('\n') }];
    expect(expectedRows(objects)).toMatchObject({ deletedKeys: 1 });
    expect(expectedRows(objects, 'revision')).toMatchObject({ deletedKeys: 0 });
  });

  it('reads the target and version column of the library MERGE', () => {
    const spec = { database: 'shop', table: 'orders_current', sourceTable: 'orders_source', columns: [{ name: 'revision', type: 'bigint' }] };
    const path = 's3://curated-bucket/orders/dt=2026-12-07/hr=08/a.jsonl.gz';
    expect(mergeTarget(mergeSql(spec, [path]))).toBe('shop.orders_current');
    expect(versionColumnOf(mergeSql({ ...spec, versionColumn: 'revision' }, [path]))).toBe('revision');
    expect(versionColumnOf(mergeSql(spec, [path]))).toBeUndefined();
    expect(mergeTarget('SELECT 1')).toBeUndefined();
  });
});

const TABLE: CurrentTableReport = {
  table: 'shop.orders_current',
  rows: 5,
  liveRows: 4,
  tombstones: 1,
  duplicateKeys: 0,
  curatedKeys: 5,
  deletedKeys: 1,
  curatedLines: 7,
  merges: 2,
  failedMerges: 0,
};

describe('conservation of the current tables', () => {
  it('holds when rows = distinct keys curated and live rows = distinct keys − deleted keys', () => {
    expect(currentTableProblems([TABLE])).toEqual([]);
  });

  it('fails on a skipped key, a resurrected or missed delete, a key with two rows, or a failed MERGE', () => {
    expect(currentTableProblems([{ ...TABLE, rows: 4, liveRows: 3 }])).toEqual([
      'current table shop.orders_current: 4 rows (tombstones included), but the curated objects have 5 distinct keys',
      'current table shop.orders_current: 3 live rows ≠ 5 distinct keys curated − 1 deleted = 4',
    ]);
    expect(currentTableProblems([{ ...TABLE, liveRows: 5, tombstones: 0 }])).toEqual(['current table shop.orders_current: 5 live rows ≠ 5 distinct keys curated − 1 deleted = 4']);
    expect(currentTableProblems([{ ...TABLE, rows: 6, duplicateKeys: 1 }])[0]).toBe('current table shop.orders_current: 1 key(s) have more than one row');
    expect(currentTableProblems([{ ...TABLE, failedMerges: 1 }])).toEqual(['current table shop.orders_current: 1 of 2 MERGE statement(s) failed']);
  });

  it('fails the run report like any other conservation problem, and the report prints the table', () => {
    const inputs: ReportInputs = {
      recordsIn: 1,
      outputs: {
        curated: [{ bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n' }],
        lineage: [{ bucket: 'cur', key: '_lineage/x.json', text: JSON.stringify({ objects: [{ bucket: 'cur', key: 'd/a.jsonl.gz', inputs: [{ recordId: 'e1' }] }] }) }],
        quarantine: [],
        deadLetters: [],
      },
      metrics: [],
      wallTimeMs: 1000,
      invocations: 1,
      functionErrors: 0,
      sent: { stream: 1 },
      rejectedAtSource: [],
      notes: [],
    };
    const ok = buildReport({ ...inputs, currentTables: [TABLE] });
    expect(ok).toMatchObject({ conservationOk: true, currentTables: [TABLE] });
    expect(formatReport(ok)).toContain('current table           shop.orders_current: 4 rows (one per id: 5 distinct ids curated − 1 deleted), 1 tombstone(s); 2 MERGE(s)');
    const broken = buildReport({ ...inputs, currentTables: [{ ...TABLE, liveRows: 3 }] });
    expect(broken.conservationOk).toBe(false);
    expect(formatReport(broken)).toMatch(/conservation {12}FAILED[\s\S]*3 live rows ≠ 5 distinct keys curated − 1 deleted = 4/);
    expect(buildReport(inputs).currentTables).toBeUndefined();
  });
});

describe('rows printed by start --query', () => {
  it('prints a header, aligned columns, NULL, and the row count', () => {
    expect(formatRows({ columns: ['id', 'n'], types: ['VARCHAR', 'BIGINT'], rows: [['a', '10'], [null, '2']] })).toBe(
      ['id   | n ', '-----+---', 'a    | 10', 'NULL | 2 ', '(2 rows)'].join('\n'),
    );
    expect(formatRows({ columns: ['n'], types: ['INTEGER'], rows: [[1], [2], [3]] }, 2)).toMatch(/\(3 rows, first 2 shown\)$/);
    expect(formatRows({ columns: [], types: [], rows: [] })).toBe('(no rows: the statement returns none)');
  });
});

describe('what each input of a run did to a current table', () => {
  const rows = (entries: Array<[string, string, string]>) => new Map(entries.map(([key, op, position]) => [key, { op, position }]));
  const T = 'db.events_current';

  it('tells inserted, updated, deleted and restored keys apart, row by row', () => {
    const before = new Map([[T, rows([['a', 'upsert', 'p1'], ['b', 'upsert', 'p2'], ['c', 'upsert', 'p3'], ['d', 'delete', 'p4'], ['e', 'upsert', 'p5']])]]);
    const after = new Map([
      [T, rows([['a', 'upsert', 'p1'], ['b', 'upsert', 'p9'], ['c', 'delete', 'p10'], ['d', 'upsert', 'p11'], ['e', 'upsert', 'p5'], ['f', 'upsert', 'p12'], ['g', 'delete', 'p13']])],
    ]);
    const [changes] = tableChanges(before, after);
    expect(changes).toEqual({ table: T, liveRows: 5, tombstones: 2, inserted: 1, updated: 1, deleted: 1, restored: 1 });
    // live after = live before + inserted − deleted + restored (a tombstone of an unseen key, g, changes no live row)
    expect(changes.liveRows).toBe(4 + changes.inserted - changes.deleted + changes.restored);
    expect(describeTableChanges(changes)).toBe(`${T}: 5 live rows, 2 tombstones (1 inserted, 1 updated, 1 deleted, 1 restored)`);
    expect(describeTableChanges({ ...changes, restored: 0 }, false)).toBe('5 live rows, 2 tombstones (1 inserted, 1 updated, 1 deleted)');
  });

  it('counts every row of a table it had not seen as inserted or a tombstone', () => {
    expect(tableChanges(new Map(), new Map([[T, rows([['a', 'upsert', 'p1'], ['b', 'delete', 'p2']])]]))).toEqual([
      { table: T, liveRows: 1, tombstones: 1, inserted: 1, updated: 0, deleted: 0, restored: 0 },
    ]);
  });

  it('prints the table after each input under the table, in the report', () => {
    const table: CurrentTableReport = { table: T, rows: 3, liveRows: 2, tombstones: 1, duplicateKeys: 0, curatedKeys: 3, deletedKeys: 1, curatedLines: 5, merges: 2, failedMerges: 0, versionColumn: 'revision' };
    const report = buildReport({
      recordsIn: 0,
      outputs: { curated: [], lineage: [], quarantine: [], deadLetters: [] },
      metrics: [],
      wallTimeMs: 1,
      invocations: 0,
      functionErrors: 0,
      sent: {},
      rejectedAtSource: [],
      notes: [],
      currentTables: [table],
      currentTableHistory: [
        { input: 'events.jsonl', tables: [{ table: T, liveRows: 3, tombstones: 0, inserted: 3, updated: 0, deleted: 0, restored: 0 }] },
        { input: 'corrections.jsonl', tables: [{ table: T, liveRows: 2, tombstones: 1, inserted: 0, updated: 1, deleted: 1, restored: 0 }] },
      ],
    });
    const text = formatReport(report);
    expect(text).toContain('    after events.jsonl: 3 live rows, 0 tombstones (3 inserted, 0 updated, 0 deleted)\n    after corrections.jsonl: 2 live rows, 1 tombstones (0 inserted, 1 updated, 1 deleted)');
  });
});
