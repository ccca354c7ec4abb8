import { LAKEHOUSE_COLUMNS, RecordOperation, compareRecordOrder, lakehousePosition } from '../../../lib/contract';
import type { RecordOrder } from '../../../lib/contract';

const base: RecordOrder = { eventTime: '2026-03-01T07:00:00.000Z', processedAt: '2026-03-01T07:00:05.000Z', position: 'shard-1:100#000000' };

describe('the lakehouse columns', () => {
  it('keeps its names: the table, the MERGE and the runtime read them', () => {
    expect(LAKEHOUSE_COLUMNS).toEqual({
      key: '_etl_key',
      op: '_etl_op',
      eventTime: '_etl_event_time',
      processedAt: '_etl_processed_at',
      transformVersion: '_etl_transform_version',
      schemaVersion: '_etl_schema_version',
      position: '_etl_position',
    });
    expect(Object.isFrozen(LAKEHOUSE_COLUMNS)).toBe(true);
    expect(Object.values(RecordOperation)).toEqual(['upsert', 'delete']);
  });

  it('positions outputs of one input apart, in output order, and refuses a bad index', () => {
    expect(lakehousePosition('shard-1:100', 0)).toBe('shard-1:100#000000');
    expect(lakehousePosition('shard-1:100', 2) > lakehousePosition('shard-1:100', 1)).toBe(true);
    expect(lakehousePosition('shard-1:100', 10) > lakehousePosition('shard-1:100', 9)).toBe(true);
    expect(() => lakehousePosition('x', -1)).toThrow(/non-negative integer, got -1/);
    expect(() => lakehousePosition('x', 1.5)).toThrow(RangeError);
  });
});

describe('compareRecordOrder (newest wins)', () => {
  it('orders by the declared version first, whatever the times say', () => {
    const older = { ...base, version: 1, eventTime: '2026-03-02T00:00:00.000Z' };
    const newer = { ...base, version: 2 };
    expect(compareRecordOrder(newer, older)).toBeGreaterThan(0);
    expect(compareRecordOrder(older, newer)).toBeLessThan(0);
  });

  it('compares numeric versions as numbers and string versions as strings; a missing version is the oldest', () => {
    expect(compareRecordOrder({ ...base, version: 10 }, { ...base, version: 9 })).toBeGreaterThan(0);
    expect(compareRecordOrder({ ...base, version: '2026-03-02T00:00:00Z' }, { ...base, version: '2026-03-01T23:59:59Z' })).toBeGreaterThan(0);
    expect(compareRecordOrder({ ...base, version: null }, { ...base, version: 0 })).toBeLessThan(0);
    expect(compareRecordOrder({ ...base }, { ...base, version: null })).toBe(0);
  });

  it('then by event time, processing time and position', () => {
    expect(compareRecordOrder({ ...base, eventTime: '2026-03-01T07:00:01.000Z' }, base)).toBeGreaterThan(0);
    expect(compareRecordOrder({ ...base, processedAt: '2026-03-01T07:00:06.000Z' }, base)).toBeGreaterThan(0);
    expect(compareRecordOrder({ ...base, position: 'shard-1:100#000001' }, base)).toBeGreaterThan(0);
    expect(compareRecordOrder(base, { ...base })).toBe(0);
  });

  it('then a delete before an upsert of the same version and event time, however much later the upsert was processed', () => {
    const deleted = { ...base, version: 2, op: RecordOperation.DELETE };
    const reprocessed = { ...base, version: 2, op: RecordOperation.UPSERT, processedAt: '2026-03-09T00:00:00.000Z' };
    expect(compareRecordOrder(deleted, reprocessed)).toBeGreaterThan(0);
    expect(compareRecordOrder(reprocessed, deleted)).toBeLessThan(0);
    expect(compareRecordOrder({ ...reprocessed, eventTime: '2026-03-01T07:00:01.000Z' }, deleted)).toBeGreaterThan(0);
    expect(compareRecordOrder({ ...base, op: RecordOperation.UPSERT }, base)).toBe(0);
  });

  it('picks one winner whatever order the lines come in', () => {
    const lines: RecordOrder[] = [
      { ...base, position: 'b' },
      { ...base, version: 3 },
      { ...base, eventTime: '2026-03-09T00:00:00.000Z' },
      { ...base, version: 3, position: 'z' },
    ];
    const newest = (xs: RecordOrder[]) => xs.reduce((a, b) => (compareRecordOrder(a, b) >= 0 ? a : b));
    expect(newest(lines)).toEqual({ ...base, version: 3, position: 'z' });
    expect(newest([...lines].reverse())).toEqual({ ...base, version: 3, position: 'z' });
  });
});
