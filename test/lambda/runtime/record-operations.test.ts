import { deleteRecord as publicDeleteRecord } from '../../../lambda';
import { deleteRecord, isDeleteOutput, withLakehouseColumns, type LakehouseLineContext } from '../../../lambda/runtime/record-operations';

const ctx: LakehouseLineContext = {
  recordId: 'evt-1',
  eventTime: '2026-11-24T09:30:00.000Z',
  processedAt: '2026-11-24T10:15:01.000Z',
  transformVersion: 'v-test',
  schemaVersion: '1',
  inputPosition: 'shardId-000000000001/42',
};

describe('deleteRecord', () => {
  it('is plain data a pipeline with a current table writes as a delete, with the fields given (the version field)', () => {
    expect(deleteRecord('order-7', { updatedAt: '2026-11-24T09:31:00Z' })).toEqual({ updatedAt: '2026-11-24T09:31:00Z', _etl_op: 'delete', _etl_key: 'order-7' });
    expect(deleteRecord(42)).toEqual({ _etl_op: 'delete', _etl_key: '42' });
    expect(isDeleteOutput(deleteRecord('x'))).toBe(true);
    expect(isDeleteOutput({ _etl_op: 'upsert' })).toBe(false);
    expect(publicDeleteRecord).toBe(deleteRecord);
  });

  it('refuses an empty or missing key', () => {
    expect(() => deleteRecord('')).toThrow('deleteRecord: key must be a non-empty string or a number');
    expect(() => deleteRecord(undefined as unknown as string)).toThrow(TypeError);
  });

  it('cannot be overridden by its fields', () => {
    expect(deleteRecord('a', { _etl_key: 'b', _etl_op: 'upsert' })).toMatchObject({ _etl_op: 'delete', _etl_key: 'a' });
  });
});

describe('withLakehouseColumns', () => {
  it('adds every reserved column: the record id as key, upsert, times, versions and the position of each output', () => {
    const result = withLakehouseColumns([{ a: 1 }, { a: 2 }], ctx);
    expect(result).toEqual({
      ok: true,
      records: [0, 1].map((i) => ({
        a: i + 1,
        _etl_key: 'evt-1',
        _etl_op: 'upsert',
        _etl_event_time: '2026-11-24T09:30:00.000Z',
        _etl_processed_at: '2026-11-24T10:15:01.000Z',
        _etl_transform_version: 'v-test',
        _etl_schema_version: '1',
        _etl_position: `shardId-000000000001/42#00000${i}`,
      })),
    });
  });

  it('copies each output with its fields first and the columns after, leaving the output untouched', () => {
    const output = { z: 1, a: { nested: true } };
    const result = withLakehouseColumns([output], ctx);
    if (!result.ok) throw new Error(result.error);
    const [line] = result.records;
    expect(Object.keys(line)).toEqual(['z', 'a', '_etl_key', '_etl_op', '_etl_event_time', '_etl_processed_at', '_etl_transform_version', '_etl_schema_version', '_etl_position']);
    expect(line).not.toBe(output);
    expect(output).toEqual({ z: 1, a: { nested: true } });
  });

  it('keeps an own "__proto__" field of an output as data, as JSON.parse made it', () => {
    const output = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as Record<string, unknown>;
    const result = withLakehouseColumns([output], ctx);
    if (!result.ok) throw new Error(result.error);
    const [line] = result.records;
    expect(Object.getPrototypeOf(line)).toBe(Object.prototype);
    expect((line as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(line))).toMatchObject({ b: 2, _etl_key: 'evt-1' });
    expect(JSON.stringify(line)).toContain('"__proto__":{"polluted":true}');
  });

  it('keys by the declared key field, and refuses an output without it', () => {
    const keyed = withLakehouseColumns([{ orderId: 7 }], { ...ctx, keyField: 'orderId' });
    expect(keyed.ok && keyed.records[0]._etl_key).toBe('7');
    expect(withLakehouseColumns([{ orderId: 7 }, { other: 1 }], { ...ctx, keyField: 'orderId' })).toEqual({
      ok: false,
      error: 'output 1 has no table key: field "orderId" must be a non-empty string or a number',
    });
  });

  it('writes a delete with its own key, whatever the key field, and a null schema version without schemas', () => {
    const result = withLakehouseColumns([deleteRecord('order-9')], { ...ctx, keyField: 'orderId', schemaVersion: undefined });
    expect(result.ok && result.records[0]).toMatchObject({ _etl_key: 'order-9', _etl_op: 'delete', _etl_schema_version: null });
  });

  it('refuses outputs that set a reserved column themselves, naming it', () => {
    expect(withLakehouseColumns([{ a: 1, _etl_event_time: 'x' }], ctx)).toEqual({
      ok: false,
      error: 'output 0 sets "_etl_event_time": fields starting with "_etl_" are the runtime\'s (return deleteRecord(key) to delete a row)',
    });
    expect(withLakehouseColumns([{ _etl_op: 'upsert' }], ctx).ok).toBe(false);
    expect(withLakehouseColumns([{ _etl_op: 'delete' }], ctx)).toEqual({ ok: false, error: 'output 0 is a delete without a key: return deleteRecord(key)' });
  });
});
