import { collectPiiFields, PiiAnnotationError, piiFields } from '../../lib/schema/pii-fields';
import { CLICKSTREAM_V1, CLICKSTREAM_V2, readJson } from './schema-fixtures';

const str = (pii?: string) => ({ type: 'string', ...(pii ? { 'x-pii': pii } : {}) });

/** The error piiFields throws for `schema`. */
function piiError(schema: unknown): PiiAnnotationError {
  try {
    piiFields(schema);
  } catch (error) {
    expect(error).toBeInstanceOf(PiiAnnotationError);
    return error as PiiAnnotationError;
  }
  throw new Error('piiFields did not throw');
}

describe('piiFields', () => {
  test('clickstream v1: the hashed user id and the redacted e-mail and IP, in document order', () => {
    expect(piiFields(readJson(CLICKSTREAM_V1))).toEqual([
      { path: ['userId'], action: 'hash' },
      { path: ['email'], action: 'redact' },
      { path: ['ip'], action: 'redact' },
    ]);
  });

  test('clickstream v2: nested object fields and fields of array elements', () => {
    expect(piiFields(readJson(CLICKSTREAM_V2))).toEqual([
      { path: ['userId'], action: 'hash' },
      { path: ['email'], action: 'redact' },
      { path: ['ip'], action: 'redact' },
      { path: ['device', 'advertisingId'], action: 'hash' },
      { path: ['cart', '*', 'giftMessageTo'], action: 'redact' },
    ]);
  });

  test('a schema without x-pii has no PII fields', () => {
    expect(piiFields({ type: 'object', properties: { a: str(), b: { type: 'object', properties: { c: str() } } } })).toEqual([]);
  });

  test('walks nested objects at any depth', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'object', properties: { b: { type: 'object', properties: { c: str('hash') } } } } },
    };
    expect(piiFields(schema)).toEqual([{ path: ['a', 'b', 'c'], action: 'hash' }]);
  });

  test('uses "*" for every element of an array, also for arrays of arrays and arrays of strings', () => {
    const schema = {
      type: 'object',
      properties: {
        emails: { type: 'array', items: str('redact') },
        matrix: { type: 'array', items: { type: 'array', items: { type: 'object', properties: { ip: str('redact') } } } },
      },
    };
    expect(piiFields(schema)).toEqual([
      { path: ['emails', '*'], action: 'redact' },
      { path: ['matrix', '*', '*', 'ip'], action: 'redact' },
    ]);
  });

  test('a whole object or array can be marked', () => {
    const schema = {
      type: 'object',
      properties: { address: { type: 'object', 'x-pii': 'redact', properties: { city: str() } }, tags: { type: 'array', 'x-pii': 'hash' } },
    };
    expect(piiFields(schema)).toEqual([
      { path: ['address'], action: 'redact' },
      { path: ['tags'], action: 'hash' },
    ]);
  });

  test('walks allOf, anyOf and oneOf branches and lists a path marked in several branches once', () => {
    const schema = {
      type: 'object',
      allOf: [{ properties: { userId: str('hash') } }, { properties: { userId: str('hash'), ssn: str('redact') } }],
      anyOf: [{ properties: { phone: str('redact') } }, { properties: { fax: str('redact') } }],
      properties: { contact: { oneOf: [{ type: 'object', properties: { email: str('redact') } }, { type: 'string' }] } },
    };
    expect(piiFields(schema)).toEqual([
      { path: ['contact', 'email'], action: 'redact' },
      { path: ['userId'], action: 'hash' },
      { path: ['ssn'], action: 'redact' },
      { path: ['phone'], action: 'redact' },
      { path: ['fax'], action: 'redact' },
    ]);
  });

  test('follows local $refs to definitions, once per place they are used', () => {
    const schema = {
      definitions: { person: { type: 'object', properties: { name: str('hash'), email: { $ref: '#/definitions/email' } } }, email: str('redact') },
      type: 'object',
      properties: { buyer: { $ref: '#/definitions/person' }, seller: { $ref: '#/definitions/person' } },
    };
    expect(piiFields(schema)).toEqual([
      { path: ['buyer', 'name'], action: 'hash' },
      { path: ['buyer', 'email'], action: 'redact' },
      { path: ['seller', 'name'], action: 'hash' },
      { path: ['seller', 'email'], action: 'redact' },
    ]);
  });

  test('x-pii next to a $ref marks the field', () => {
    const schema = { definitions: { text: str() }, properties: { note: { $ref: '#/definitions/text', 'x-pii': 'redact' } } };
    expect(piiFields(schema)).toEqual([{ path: ['note'], action: 'redact' }]);
  });

  test('unreferenced definitions and refs to other documents are not fields', () => {
    const schema = { definitions: { unused: str('hash') }, properties: { other: { $ref: 'other.json#/x' } } };
    expect(piiFields(schema)).toEqual([]);
  });

  test('an unknown x-pii value is an error naming the field path and the allowed values', () => {
    const error = piiError({ properties: { contact: { properties: { email: str('mask') } } } });
    expect(error.problems).toEqual(['x-pii of "contact.email" is "mask"; it must be "hash" or "redact"']);
    expect(error.message).toBe('Invalid x-pii annotations:\n  - x-pii of "contact.email" is "mask"; it must be "hash" or "redact"');
  });

  test('every problem is reported, non-string values included', () => {
    const error = piiError({
      properties: { a: str('encrypt'), b: { type: 'boolean', 'x-pii': true }, list: { type: 'array', items: str('HASH') } },
    });
    expect(error.problems).toEqual([
      'x-pii of "a" is "encrypt"; it must be "hash" or "redact"',
      'x-pii of "b" is true; it must be "hash" or "redact"',
      'x-pii of "list.*" is "HASH"; it must be "hash" or "redact"',
    ]);
  });

  test('one path with two different actions is an error', () => {
    const error = piiError({ anyOf: [{ properties: { id: str('hash') } }, { properties: { id: str('redact') } }] });
    expect(error.problems).toEqual(['x-pii of "id" is "hash" in one place and "redact" in another; it must be the same everywhere']);
  });

  test('x-pii on the schema root is an error', () => {
    expect(piiError({ type: 'object', 'x-pii': 'redact' }).problems).toEqual([
      'x-pii of "(root)": x-pii marks a field, not the whole record; put it on the properties to mask',
    ]);
  });

  test('x-pii where the runtime has no path to mask is an error', () => {
    const error = piiError({
      properties: {
        extra: { type: 'object', additionalProperties: str('redact') },
        byPattern: { type: 'object', patternProperties: { '^x': str('hash') } },
        tuple: { type: 'array', items: [str(), str('redact')] },
        star: { type: 'object', properties: { '*': str('redact') } },
      },
    });
    expect(error.problems).toEqual([
      'x-pii under additionalProperties of "extra" is not supported: those fields have no path the runtime can mask; mark a named property or the whole array',
      'x-pii under patternProperties of "byPattern" is not supported: those fields have no path the runtime can mask; mark a named property or the whole array',
      'x-pii under tuple items of "tuple" is not supported: those fields have no path the runtime can mask; mark a named property or the whole array',
      'x-pii under the property named "*" of "star" is not supported: the path segment "*" means every element of an array',
    ]);
  });

  test('x-pii inside a recursive $ref is an error (fields of unbounded depth)', () => {
    const schema = {
      type: 'object',
      properties: { email: str('redact'), replies: { type: 'array', items: { $ref: '#' } } },
    };
    expect(piiError(schema).problems).toEqual([
      'x-pii inside the recursive $ref "#" at "replies.*": fields at unbounded depth cannot be masked; mark a non-recursive structure instead',
    ]);
  });

  test('a recursive $ref without PII is fine', () => {
    const schema = {
      definitions: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/node' } } } } },
      properties: { tree: { $ref: '#/definitions/node' }, owner: str('hash') },
    };
    expect(piiFields(schema)).toEqual([{ path: ['owner'], action: 'hash' }]);
  });

  test('collectPiiFields returns the fields found and the problems instead of throwing', () => {
    expect(collectPiiFields({ properties: { a: str('hash'), b: str('nope') } })).toEqual({
      fields: [{ path: ['a'], action: 'hash' }],
      problems: ['x-pii of "b" is "nope"; it must be "hash" or "redact"'],
    });
    expect(collectPiiFields([1, 2]).problems).toEqual(['the schema is not a JSON object']);
  });
});
