/**
 * The MERGE the library runs on Athena, run as generated on DuckDB (the dialects agree on it; only
 * where the tables come from is translated, see local/lakehouse/duckdb-dialect.ts): one row per
 * key, the newest version wins whatever the merge order, deletes leave tombstones that an older
 * upsert never undoes, re-running a merge changes nothing.
 */
import { compareRecordOrder, LAKEHOUSE_COLUMNS, RecordOperation } from '../../../lib/contract/lakehouse/columns';
import { liveViewName, type CurrentTableSqlSpec } from '../../../lib/contract/lakehouse/sql';
import { DuckDbLakehouse } from '../../support/lakehouse-duckdb';

const SPEC: CurrentTableSqlSpec = {
  database: 'orders_etl',
  table: 'orders_current',
  sourceTable: 'orders',
  columns: [
    { name: 'order_id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'status', type: 'string' },
    { name: 'revision', type: 'bigint' },
    { name: 'tags', type: 'array<string>' },
  ],
};
const VERSIONED: CurrentTableSqlSpec = { ...SPEC, versionColumn: 'revision' };

interface LineOptions {
  readonly op?: RecordOperation;
  readonly at?: string;
  readonly processedAt?: string;
  readonly position?: string;
  readonly revision?: number | null;
  readonly status?: string;
  readonly transformVersion?: string;
}

/** A curated line of order `key` as the runtime writes it with the lakehouse on. */
function line(key: string, options: LineOptions = {}): Record<string, unknown> {
  const at = options.at ?? '2026-12-07T08:00:00.000Z';
  return {
    order_id: key,
    amount: 10.5,
    status: options.status ?? 'placed',
    ...(options.revision === undefined ? {} : { revision: options.revision }),
    tags: ['a', 'b'],
    [LAKEHOUSE_COLUMNS.key]: key,
    [LAKEHOUSE_COLUMNS.op]: options.op ?? RecordOperation.UPSERT,
    [LAKEHOUSE_COLUMNS.eventTime]: at,
    [LAKEHOUSE_COLUMNS.processedAt]: options.processedAt ?? '2026-12-07T09:00:00.000Z',
    [LAKEHOUSE_COLUMNS.transformVersion]: options.transformVersion ?? 'code-1',
    [LAKEHOUSE_COLUMNS.schemaVersion]: '1',
    [LAKEHOUSE_COLUMNS.position]: options.position ?? `stream:${key}:${at}#000000`,
  };
}

const key = (name: string, dt = '2026-12-07', hr = '08') => `orders/dt=${dt}/hr=${hr}/${name}.jsonl.gz`;

/** The table as key → the fields a test looks at. */
async function summary(lakehouse: DuckDbLakehouse): Promise<Record<string, unknown>> {
  const rows = await lakehouse.rows();
  return Object.fromEntries(rows.map((r) => [r[LAKEHOUSE_COLUMNS.key], `${r[LAKEHOUSE_COLUMNS.op]} ${r.status} ${r.revision ?? '-'}`]));
}

let open: DuckDbLakehouse[] = [];
async function lakehouseOf(spec: CurrentTableSqlSpec = SPEC): Promise<DuckDbLakehouse> {
  const lakehouse = await DuckDbLakehouse.create(spec);
  open.push(lakehouse);
  return lakehouse;
}
afterEach(async () => {
  await Promise.all(open.map((l) => l.close()));
  open = [];
});

describe('the current table MERGE on DuckDB', () => {
  it('keeps one row per key, the newest line by event time, with every column carried', async () => {
    const lakehouse = await lakehouseOf();
    const a = lakehouse.putObject(key('a'), [
      line('o-1', { status: 'placed', at: '2026-12-07T08:00:00.000Z' }),
      line('o-1', { status: 'paid', at: '2026-12-07T08:05:00.000Z' }),
      line('o-2', { status: 'placed' }),
    ]);
    const b = lakehouse.putObject(key('b', '2026-12-07', '09'), [line('o-1', { status: 'shipped', at: '2026-12-07T09:10:00.000Z', transformVersion: 'code-2' })]);
    await lakehouse.merge([a, b]);

    const rows = await lakehouse.rows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      _etl_key: 'o-1',
      order_id: 'o-1',
      amount: 10.5,
      status: 'shipped',
      revision: null,
      tags: ['a', 'b'],
      _etl_op: 'upsert',
      _etl_event_time: '2026-12-07T09:10:00.000Z',
      _etl_processed_at: '2026-12-07T09:00:00.000Z',
      _etl_transform_version: 'code-2',
      _etl_schema_version: '1',
      _etl_position: 'stream:o-1:2026-12-07T09:10:00.000Z#000000',
    });
    expect(rows[1]).toMatchObject({ _etl_key: 'o-2', status: 'placed' });
  });

  it('merges only the objects named: another object in the same partition is not read', async () => {
    const lakehouse = await lakehouseOf();
    const a = lakehouse.putObject(key('a'), [line('o-1')]);
    lakehouse.putObject(key('b'), [line('o-2')]);
    await lakehouse.merge([a]);
    expect(Object.keys(await summary(lakehouse))).toEqual(['o-1']);
  });

  it('gives the same table whatever the order and grouping of the merges', async () => {
    const build = async (groups: number[][]) => {
      const lakehouse = await lakehouseOf();
      const paths = [
        lakehouse.putObject(key('a'), [line('o-1', { status: 'v1', at: '2026-12-07T08:01:00.000Z' }), line('o-2', { status: 'v1' })]),
        lakehouse.putObject(key('b'), [line('o-1', { status: 'v3', at: '2026-12-07T08:03:00.000Z' }), line('o-3', { status: 'v1' })]),
        lakehouse.putObject(key('c'), [
          line('o-1', { status: 'v2', at: '2026-12-07T08:02:00.000Z' }),
          line('o-2', { op: RecordOperation.DELETE, at: '2026-12-07T08:30:00.000Z' }),
        ]),
      ];
      for (const group of groups) await lakehouse.merge(group.map((i) => paths[i]));
      return lakehouse.rows();
    };
    const together = await build([[0, 1, 2]]);
    expect(await build([[0], [1], [2]])).toEqual(together);
    expect(await build([[2], [1], [0]])).toEqual(together);
    expect(await build([[1, 2], [0]])).toEqual(together);
    expect(together.map((r) => `${r._etl_key} ${r._etl_op} ${r.status}`)).toEqual(['o-1 upsert v3', 'o-2 delete null', 'o-3 upsert v1']);
  });

  it('changes nothing when a merge is run again over the same objects', async () => {
    const lakehouse = await lakehouseOf();
    const paths = [
      lakehouse.putObject(key('a'), [line('o-1'), line('o-2', { op: RecordOperation.DELETE })]),
      lakehouse.putObject(key('b'), [line('o-3')]),
    ];
    await lakehouse.merge(paths);
    const once = await lakehouse.rows();
    await lakehouse.merge(paths);
    await lakehouse.merge([paths[1]]);
    expect(await lakehouse.rows()).toEqual(once);
  });

  it('applies a delete as a tombstone (data columns NULL) that a re-merged older upsert does not undo', async () => {
    const lakehouse = await lakehouseOf();
    const created = lakehouse.putObject(key('created'), [line('o-1', { status: 'placed' }), line('o-2')]);
    const deleted = lakehouse.putObject(key('deleted', '2026-12-07', '10'), [
      line('o-1', { op: RecordOperation.DELETE, at: '2026-12-07T10:00:00.000Z', status: 'gone' }),
    ]);
    await lakehouse.merge([created]);
    await lakehouse.merge([deleted]);
    await lakehouse.merge([created]);

    const rows = await lakehouse.rows();
    expect(rows[0]).toEqual({
      _etl_key: 'o-1',
      order_id: null,
      amount: null,
      status: null,
      revision: null,
      tags: null,
      _etl_op: 'delete',
      _etl_event_time: '2026-12-07T10:00:00.000Z',
      _etl_processed_at: '2026-12-07T09:00:00.000Z',
      _etl_transform_version: 'code-1',
      _etl_schema_version: '1',
      _etl_position: 'stream:o-1:2026-12-07T10:00:00.000Z#000000',
    });
    const live = await lakehouse.select(`SELECT _etl_key FROM orders_etl.${liveViewName(SPEC)} ORDER BY 1`);
    expect(live).toEqual([{ _etl_key: 'o-2' }]);
  });

  it('inserts a tombstone for a delete of a key it has not seen, so the key stays deleted', async () => {
    const lakehouse = await lakehouseOf();
    const late = lakehouse.putObject(key('late'), [line('o-1', { op: RecordOperation.DELETE, at: '2026-12-07T08:30:00.000Z' })]);
    const early = lakehouse.putObject(key('early'), [line('o-1', { at: '2026-12-07T08:00:00.000Z' })]);
    await lakehouse.merge([late]);
    await lakehouse.merge([early]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'delete null -' });
  });

  it('lets a newer upsert bring a deleted key back', async () => {
    const lakehouse = await lakehouseOf();
    const deleted = lakehouse.putObject(key('deleted'), [line('o-1', { op: RecordOperation.DELETE, at: '2026-12-07T08:30:00.000Z' })]);
    const recreated = lakehouse.putObject(key('recreated'), [line('o-1', { status: 'again', at: '2026-12-07T08:40:00.000Z' })]);
    await lakehouse.merge([recreated]);
    await lakehouse.merge([deleted]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'upsert again -' });
  });

  it('orders by the declared version column before event time; a missing version is older than any', async () => {
    const lakehouse = await lakehouseOf(VERSIONED);
    const v2 = lakehouse.putObject(key('v2'), [line('o-1', { revision: 2, status: 'second', at: '2026-12-07T08:00:00.000Z' })]);
    const v1 = lakehouse.putObject(key('v1'), [line('o-1', { revision: 1, status: 'first', at: '2026-12-07T08:59:00.000Z' })]);
    const none = lakehouse.putObject(key('none'), [line('o-1', { revision: null, status: 'unversioned', at: '2026-12-07T08:59:30.000Z' })]);
    const v10 = lakehouse.putObject(key('v10'), [line('o-1', { revision: 10, status: 'tenth', at: '2026-12-07T08:00:00.000Z' })]);
    await lakehouse.merge([v2]);
    await lakehouse.merge([v1, none]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'upsert second 2' });
    await lakehouse.merge([v10]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'upsert tenth 10' });
  });

  it('keeps the version column on a tombstone, so an upsert of a lower version does not undo the delete', async () => {
    const lakehouse = await lakehouseOf(VERSIONED);
    const deleted = lakehouse.putObject(key('deleted'), [line('o-1', { op: RecordOperation.DELETE, revision: 5 })]);
    const older = lakehouse.putObject(key('older'), [line('o-1', { revision: 4, at: '2026-12-07T08:59:00.000Z' })]);
    await lakehouse.merge([deleted]);
    await lakehouse.merge([older]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'delete null 5' });
  });

  it('takes a reprocessed line (same event, processed later) over the first: a replay corrects the row', async () => {
    const lakehouse = await lakehouseOf();
    const first = lakehouse.putObject(key('first'), [line('o-1', { status: 'wrong', transformVersion: 'code-1' })]);
    const replay = lakehouse.putObject(key('replay'), [
      line('o-1', { status: 'right', transformVersion: 'code-2', processedAt: '2026-12-08T00:00:00.000Z' }),
    ]);
    await lakehouse.merge([replay]);
    await lakehouse.merge([first]);
    const [row] = await lakehouse.rows();
    expect(row).toMatchObject({ status: 'right', _etl_transform_version: 'code-2' });
  });

  it('never lets a reprocessed upsert undo a delete of the same version and event time (the delete wins the tie), in any merge order', async () => {
    for (const order of [['deleted', 'reprocessed'], ['reprocessed', 'deleted']]) {
      const lakehouse = await lakehouseOf(VERSIONED);
      const objects: Record<string, string> = {
        deleted: lakehouse.putObject(key(`deleted-${order[0]}`), [line('o-1', { op: RecordOperation.DELETE, revision: 3, processedAt: '2026-12-07T09:05:00.000Z' })]),
        reprocessed: lakehouse.putObject(key(`reprocessed-${order[0]}`), [
          line('o-1', { revision: 3, status: 'rederived', transformVersion: 'code-2', processedAt: '2026-12-08T00:00:00.000Z' }),
        ]),
      };
      for (const name of order) await lakehouse.merge([objects[name]]);
      expect(await summary(lakehouse)).toEqual({ 'o-1': 'delete null 3' });
    }
  });

  it('takes a reprocessed upsert of a newer event time over a delete, and a reprocessed delete over the row it deletes', async () => {
    const lakehouse = await lakehouseOf();
    const deleted = lakehouse.putObject(key('deleted'), [line('o-1', { op: RecordOperation.DELETE, at: '2026-12-07T08:00:00.000Z' })]);
    const newer = lakehouse.putObject(key('newer'), [line('o-1', { status: 'later', at: '2026-12-07T08:10:00.000Z', processedAt: '2026-12-08T00:00:00.000Z' })]);
    const first = lakehouse.putObject(key('first'), [line('o-2', { status: 'placed' })]);
    const rederivedDelete = lakehouse.putObject(key('rederived-delete'), [
      line('o-2', { op: RecordOperation.DELETE, transformVersion: 'code-2', processedAt: '2026-12-08T00:00:00.000Z' }),
    ]);
    await lakehouse.merge([deleted, first]);
    await lakehouse.merge([newer, rederivedDelete]);
    expect(await summary(lakehouse)).toEqual({ 'o-1': 'upsert later -', 'o-2': 'delete null -' });
  });

  it('reads ISO-8601 text as UTC timestamps and dates (a version column with offsets orders in UTC), objects as JSON text', async () => {
    const spec: CurrentTableSqlSpec = {
      ...SPEC,
      columns: [
        { name: 'status', type: 'string' },
        { name: 'changed_at', type: 'timestamp', sourceType: 'string' },
        { name: 'placed_on', type: 'date', sourceType: 'string' },
        { name: 'address', type: 'string' },
      ],
      versionColumn: 'changed_at',
    };
    const lakehouse = await lakehouseOf(spec);
    const first = lakehouse.putObject(key('first'), [
      { ...line('o-1', { status: 'later' }), changed_at: '2026-12-07T09:30:00.000Z', placed_on: '2026-12-01', address: { city: 'Ghent' } },
    ]);
    const second = lakehouse.putObject(key('second'), [
      { ...line('o-1', { status: 'earlier' }), changed_at: '2026-12-07T10:00:00+02:00', placed_on: '2026-12-01', address: { city: 'Bruges' } },
    ]);
    await lakehouse.merge([first]);
    await lakehouse.merge([second]);
    const [row] = await lakehouse.rows();
    expect(row).toMatchObject({ status: 'later', changed_at: '2026-12-07 09:30:00', placed_on: '2026-12-01', address: '{"city":"Ghent"}' });
  });

  it('skips lines without a key or with an unknown operation', async () => {
    const lakehouse = await lakehouseOf();
    const noKey = { ...line('o-1'), [LAKEHOUSE_COLUMNS.key]: null };
    const unknownOp = { ...line('o-2'), [LAKEHOUSE_COLUMNS.op]: 'truncate' };
    await lakehouse.merge([lakehouse.putObject(key('bad'), [noKey, unknownOp, line('o-3')])]);
    expect(Object.keys(await summary(lakehouse))).toEqual(['o-3']);
  });

  it("merges an object whose name holds a quote (the path literal is escaped, not cut short)", async () => {
    const lakehouse = await lakehouseOf();
    const hostile = lakehouse.putObject(key("x'); DROP TABLE orders_etl.orders_current; --"), [line('o-1')]);
    await lakehouse.merge([hostile]);
    expect(Object.keys(await summary(lakehouse))).toEqual(['o-1']);
  });

  it('agrees with the contract ordering rule (compareRecordOrder) on random histories merged in random groups', async () => {
    let seed = 15;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 4; round += 1) {
      const lakehouse = await lakehouseOf(VERSIONED);
      const lines = Array.from({ length: 24 }, (_, i) =>
        line(`o-${random(5)}`, {
          op: random(4) === 0 ? RecordOperation.DELETE : RecordOperation.UPSERT,
          revision: random(3) === 0 ? null : random(4),
          at: `2026-12-07T08:0${random(3)}:00.000Z`,
          processedAt: `2026-12-07T09:0${random(2)}:00.000Z`,
          position: `p${String(i).padStart(3, '0')}`,
          status: `s${i}`,
        }),
      );
      const paths = Array.from({ length: 6 }, (_, i) => lakehouse.putObject(key(`r${round}-${i}`), lines.slice(i * 4, i * 4 + 4)));
      const order = [...paths];
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = random(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let i = 0; i < order.length; ) {
        const size = 1 + random(3);
        await lakehouse.merge(order.slice(i, i + size));
        i += size;
      }

      const expected = new Map<string, Record<string, unknown>>();
      for (const l of lines) {
        const current = expected.get(l._etl_key as string);
        const asOrder = (r: Record<string, unknown>) => ({
          version: r.revision as number | null | undefined,
          eventTime: r._etl_event_time as string,
          op: r._etl_op as string,
          processedAt: r._etl_processed_at as string,
          position: r._etl_position as string,
        });
        if (!current || compareRecordOrder(asOrder(l), asOrder(current)) > 0) expected.set(l._etl_key as string, l);
      }
      const rows = await lakehouse.rows();
      expect(rows.map((r) => `${r._etl_key} ${r._etl_op} ${r._etl_position}`)).toEqual(
        [...expected.values()].sort((a, b) => String(a._etl_key).localeCompare(String(b._etl_key))).map((l) => `${l._etl_key} ${l._etl_op} ${l._etl_position}`),
      );
    }
  });
});
