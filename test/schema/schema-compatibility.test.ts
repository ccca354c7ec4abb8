import { checkBackwardCompatibility } from '../../lib/schema/schema-compatibility';
import { CLICKSTREAM_V1, CLICKSTREAM_V2, CLICKSTREAM_V2_BREAKING, readJson } from './schema-fixtures';

const V = { previous: '1', next: '2' };
const obj = (properties: Record<string, unknown>, required?: string[]) => ({ type: 'object', properties, ...(required ? { required } : {}) });
const check = (previous: unknown, next: unknown) => checkBackwardCompatibility(previous, next, V);

describe('checkBackwardCompatibility', () => {
  test('clickstream v2 (optional fields added, enum widened, nested optional field) is compatible with v1', () => {
    expect(checkBackwardCompatibility(readJson(CLICKSTREAM_V1), readJson(CLICKSTREAM_V2), { ...V, versionField: 'schemaVersion' })).toEqual([]);
  });

  test('the breaking clickstream v2 reports each break', () => {
    expect(
      checkBackwardCompatibility(readJson(CLICKSTREAM_V1), readJson(CLICKSTREAM_V2_BREAKING), { ...V, versionField: 'schemaVersion' }),
    ).toEqual([
      'version 2 breaks version 1: property "sessionId" removed',
      'version 2 breaks version 1: property "page" type changed from object to string',
      'version 2 breaks version 1: required property "channel" added',
    ]);
  });

  test('the version field enum may change; without versionField it is an enum narrowing', () => {
    const v1 = readJson(CLICKSTREAM_V1);
    const v2 = readJson(CLICKSTREAM_V2);
    expect(checkBackwardCompatibility(v1, v2, V)).toEqual(['version 2 breaks version 1: property "schemaVersion" enum no longer allows "1"']);
    // Only the top-level field is exempt.
    const nested = (values: string[]) => obj({ meta: obj({ schemaVersion: { type: 'string', enum: values } }) });
    expect(checkBackwardCompatibility(nested(['1']), nested(['2']), { ...V, versionField: 'schemaVersion' })).toEqual([
      'version 2 breaks version 1: property "meta.schemaVersion" enum no longer allows "1"',
    ]);
  });

  test('identical schemas are compatible', () => {
    expect(check(readJson(CLICKSTREAM_V1), readJson(CLICKSTREAM_V1))).toEqual([]);
  });

  test('a removed property is reported with its full path', () => {
    expect(check(obj({ a: obj({ b: { type: 'string' }, c: { type: 'string' } }) }), obj({ a: obj({ c: { type: 'string' } }) }))).toEqual([
      'version 2 breaks version 1: property "a.b" removed',
    ]);
  });

  test('adding an optional property is compatible', () => {
    expect(check(obj({ a: { type: 'string' } }), obj({ a: { type: 'string' }, b: { type: 'number' } }))).toEqual([]);
  });

  test('a nested type change is reported once, without its children', () => {
    const prev = obj({ a: obj({ b: obj({ c: { type: 'string' } }) }) });
    expect(check(prev, obj({ a: obj({ b: { type: 'array' } }) }))).toEqual([
      'version 2 breaks version 1: property "a.b" type changed from object to array',
    ]);
    expect(check(obj({ n: { type: 'number' } }), obj({ n: { type: 'integer' } }))).toEqual([
      'version 2 breaks version 1: property "n" type changed from number to integer',
    ]);
    expect(check(obj({ s: { type: ['string', 'null'] } }), obj({ s: { type: 'string' } }))).toEqual([
      'version 2 breaks version 1: property "s" type changed from string or null to string',
    ]);
  });

  test('widening a type is compatible', () => {
    expect(check(obj({ s: { type: 'string' } }), obj({ s: { type: ['string', 'null'] } }))).toEqual([]);
    expect(check(obj({ n: { type: 'integer' } }), obj({ n: { type: 'number' } }))).toEqual([]);
    expect(check(obj({ n: { type: 'integer' } }), obj({ n: {} }))).toEqual([]);
  });

  test('a type added where any type was allowed narrows it', () => {
    expect(check(obj({ x: {} }), obj({ x: { type: 'string' } }))).toEqual(['version 2 breaks version 1: property "x" type changed from any to string']);
  });

  test('the root type is compared too', () => {
    expect(check({ type: 'object' }, { type: 'array' })).toEqual(['version 2 breaks version 1: the schema root type changed from object to array']);
  });

  test('a new required field is reported, whether the property is new or was optional', () => {
    const prev = obj({ a: { type: 'string' }, b: { type: 'string' } }, ['a']);
    expect(check(prev, obj({ a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } }, ['a', 'b', 'c']))).toEqual([
      'version 2 breaks version 1: property "b" became required',
      'version 2 breaks version 1: required property "c" added',
    ]);
  });

  test('dropping a requirement is compatible', () => {
    expect(check(obj({ a: { type: 'string' } }, ['a']), obj({ a: { type: 'string' } }))).toEqual([]);
  });

  test('a nested new required field is reported with its path; a required field inside a new optional object is not', () => {
    const prev = obj({ page: obj({ url: { type: 'string' } }, ['url']) });
    const next = obj({
      page: obj({ url: { type: 'string' }, title: { type: 'string' } }, ['url', 'title']),
      cart: obj({ sku: { type: 'string' } }, ['sku']),
    });
    expect(check(prev, next)).toEqual(['version 2 breaks version 1: required property "page.title" added']);
  });

  test('a narrowed enum lists the values removed; a widened enum is compatible', () => {
    const e = (values: unknown[]) => obj({ kind: { type: 'string', enum: values } });
    expect(check(e(['a', 'b', 'c']), e(['a']))).toEqual(['version 2 breaks version 1: property "kind" enum no longer allows "b", "c"']);
    expect(check(e(['a']), e(['a', 'b']))).toEqual([]);
    expect(check(e(['a']), obj({ kind: { type: 'string' } }))).toEqual([]);
    expect(check(obj({ kind: { type: 'string' } }), e(['a']))).toEqual([
      'version 2 breaks version 1: property "kind" is now restricted to the enum ["a"]',
    ]);
  });

  test('enum values are compared by value, objects included', () => {
    const e = (values: unknown[]) => obj({ v: { enum: values } });
    expect(check(e([1, { a: 1 }, null]), e([null, { a: 1 }, 1]))).toEqual([]);
    expect(check(e([1, { a: 1 }]), e([1, { a: 2 }]))).toEqual(['version 2 breaks version 1: property "v" enum no longer allows {"a":1}']);
  });

  test('array elements are compared as "*"', () => {
    const arr = (items: unknown) => obj({ list: { type: 'array', ...(items ? { items } : {}) } });
    expect(check(arr(obj({ id: { type: 'string' }, qty: { type: 'integer' } })), arr(obj({ id: { type: 'number' } })))).toEqual([
      'version 2 breaks version 1: property "list.*.id" type changed from string to number',
      'version 2 breaks version 1: property "list.*.qty" removed',
    ]);
    expect(check(arr(undefined), arr({ type: 'string' }))).toEqual(['version 2 breaks version 1: property "list.*" type changed from any to string']);
    expect(check(arr({ type: 'string' }), arr(undefined))).toEqual([]);
  });

  test('allOf branches are merged into the object they apply to', () => {
    const prev = { type: 'object', allOf: [{ properties: { a: { type: 'string' } } }, { properties: { b: { type: 'string' } }, required: ['b'] }] };
    expect(check(prev, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['b'] })).toEqual([]);
    expect(check(prev, { type: 'object', allOf: [{ properties: { a: { type: 'number' } } }] })).toEqual([
      'version 2 breaks version 1: property "a" type changed from string to number',
      'version 2 breaks version 1: property "b" removed',
    ]);
  });

  test('local $refs are followed, and recursive schemas terminate', () => {
    const prev = {
      definitions: { node: obj({ name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/node' } } }) },
      type: 'object',
      properties: { root: { $ref: '#/definitions/node' } },
    };
    const next = {
      definitions: { tree: obj({ name: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/definitions/tree' } } }) },
      type: 'object',
      properties: { root: { $ref: '#/definitions/tree' } },
    };
    // The recursion stops where the same pair of definitions recurs: one message per break.
    expect(check(prev, next)).toEqual(['version 2 breaks version 1: property "root.name" type changed from string to integer']);
    expect(check(prev, prev)).toEqual([]);
  });

  test('subject names the new version in the messages', () => {
    expect(
      checkBackwardCompatibility(obj({ a: {} }), obj({}), { previous: '1.0', next: '2.0', subject: 'schemas[1] (version 2.0)' }),
    ).toEqual(['schemas[1] (version 2.0) breaks version 1.0: property "a" removed']);
  });

  test('a schema that is not an object is reported', () => {
    expect(check([], {})).toEqual(['version 2 breaks version 1: both schemas must be JSON objects']);
  });
});
