import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAKEHOUSE_COLUMNS, RESERVED_TABLE_COLUMNS } from '../../lib/contract';
import { LAKEHOUSE_TABLE_COLUMNS, columnsFromJsonSchema } from '../../lib/lakehouse/table-columns';

const P = 'currentTable.outputSchema';

function problemsOf(schema: unknown): string[] {
  const result = columnsFromJsonSchema(schema, P);
  return result.ok ? [] : result.problems;
}

describe('columnsFromJsonSchema', () => {
  it('derives one column per property, in order, with its Athena and Iceberg types', () => {
    const result = columnsFromJsonSchema(
      {
        type: 'object',
        properties: {
          orderId: { type: 'string', description: 'the key' },
          quantity: { type: 'integer' },
          price: { type: ['number', 'null'] },
          paid: { type: 'boolean' },
          updatedAt: { type: 'string', format: 'date-time' },
          day: { type: 'string', format: 'date' },
          address: { type: 'object', properties: { city: { type: 'string' } } },
          tags: { type: 'array', items: { type: 'string' } },
          ref: { $ref: '#/definitions/code' },
        },
        definitions: { code: { type: 'string' } },
      },
      P,
    );
    expect(result).toEqual({
      ok: true,
      columns: [
        { name: 'orderid', field: 'orderId', type: 'string', icebergType: 'string', doc: 'the key' },
        { name: 'quantity', field: 'quantity', type: 'bigint', icebergType: 'long' },
        { name: 'price', field: 'price', type: 'double', icebergType: 'double' },
        { name: 'paid', field: 'paid', type: 'boolean', icebergType: 'boolean' },
        { name: 'updatedat', field: 'updatedAt', type: 'timestamp', sourceType: 'string', icebergType: 'timestamp' },
        { name: 'day', field: 'day', type: 'date', sourceType: 'string', icebergType: 'date' },
        { name: 'address', field: 'address', type: 'string', icebergType: 'string', json: true },
        { name: 'tags', field: 'tags', type: 'string', icebergType: 'string', json: true },
        { name: 'ref', field: 'ref', type: 'string', icebergType: 'string' },
      ],
    });
  });

  it('names every unsupported part by its prop path, all at once', () => {
    expect(
      problemsOf({
        type: 'object',
        properties: {
          a: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
          b: { type: ['string', 'integer'] },
          c: { description: 'no type' },
          'd-e': { type: 'string' },
          _etl_key: { type: 'string' },
          F: { type: 'string' },
          f: { type: 'string' },
          g: { $ref: 'other.json#/x' },
          h: { type: 'null' },
        },
      }),
    ).toEqual([
      `${P}.properties.a.anyOf is not supported: give the field one "type" (optionally with "null")`,
      `${P}.properties.b.type ["string","integer"] is not supported: one type, optionally with "null"`,
      `${P}.properties.c has no "type": every column needs one`,
      `${P}.properties.d-e: the name "d-e" cannot be an Athena column (letters, digits and "_", not starting with a digit)`,
      `${P}.properties._etl_key: names starting with "_etl_" are the lakehouse's own columns`,
      `${P}.properties.f: "f" and "F" are the same column in Athena (names are lower case)`,
      `${P}.properties.g must be a schema object (a local "$ref" that resolves is fine)`,
      `${P}.properties.h.type is "null": a column needs a value type`,
    ]);
  });

  it('refuses a schema that is not an object of properties', () => {
    expect(problemsOf('x')).toEqual([`${P} must be a JSON Schema object`]);
    expect(problemsOf({ type: 'array', items: {} })).toEqual([`${P} must describe an object with "properties" (type "object"): the output records`]);
  });

  it('maps the reference transform\'s output schema', () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'clickstream', 'schemas', 'curated-clickstream.json');
    const result = columnsFromJsonSchema(JSON.parse(fs.readFileSync(file, 'utf8')), P);
    expect(result.ok && result.columns.map((c) => `${c.name} ${c.icebergType}`)).toEqual([
      'eventid string', 'revision long', 'eventtime timestamp', 'eventtype string', 'userkey string', 'sessionid string', 'host string',
      'path string', 'referrerhost string', 'isconversion boolean', 'properties string', 'schemaversion string', 'pipeline string',
    ]);
  });
});

describe('LAKEHOUSE_TABLE_COLUMNS', () => {
  it('holds every reserved column of the contract as the SQL declares them (RESERVED_TABLE_COLUMNS), with its Iceberg type', () => {
    expect(LAKEHOUSE_TABLE_COLUMNS.map((c) => c.name)).toEqual(RESERVED_TABLE_COLUMNS.map((c) => c.name));
    expect(LAKEHOUSE_TABLE_COLUMNS.map((c) => c.name).sort()).toEqual(Object.values(LAKEHOUSE_COLUMNS).sort());
    expect(LAKEHOUSE_TABLE_COLUMNS.every((c) => c.icebergType === ({ string: 'string', timestamp: 'timestamp' } as Record<string, string>)[c.type])).toBe(true);
  });
});
