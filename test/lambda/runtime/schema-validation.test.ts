import type { PiiField } from '../../../lambda/runtime/pii-masking';
import { allPiiFields, checkSchema, type SchemaBundle } from '../../../lambda/runtime/schema-validation';
import { clickstreamSchemas, handWrittenValidator, sampleEventLines } from '../support/fixtures';

const V1_PII: PiiField[] = [
  { path: ['userId'], action: 'hash' },
  { path: ['email'], action: 'redact' },
];
const V2_PII: PiiField[] = [
  { path: ['userId'], action: 'redact' },
  { path: ['device', 'ip'], action: 'redact' },
];

/** v1 needs a string `name`; v2 needs a numeric `count`. Both record how often they ran. */
const calls: string[] = [];
const v1 = handWrittenValidator((r) => {
  calls.push('1');
  return typeof r.name === 'string' ? [] : [{ instancePath: '/name', keyword: 'type', message: 'must be string' }];
});
const v2 = handWrittenValidator((r) => {
  calls.push('2');
  return typeof r.count === 'number' ? [] : [{ instancePath: '/count', keyword: 'type', message: 'must be number' }];
});

function bundle(overrides: Partial<SchemaBundle> = {}): SchemaBundle {
  return {
    versionField: 'v',
    versions: { '1': { validate: v1, pii: V1_PII }, '2': { validate: v2, pii: V2_PII } },
    ...overrides,
  };
}

beforeEach(() => {
  calls.length = 0;
});

describe('checkSchema', () => {
  it('accepts everything, masking nothing, when the pipeline has no schemas', () => {
    expect(checkSchema({ anything: 1 }, { versions: {} })).toEqual({ ok: true, pii: [] });
  });

  it('validates against the version named by the version field, with that version’s PII fields', () => {
    expect(checkSchema({ v: '1', name: 'a' }, bundle())).toEqual({ ok: true, version: '1', pii: V1_PII });
    expect(checkSchema({ v: '2', count: 3 }, bundle())).toEqual({ ok: true, version: '2', pii: V2_PII });
    expect(calls).toEqual(['1', '2']);
  });

  it('accepts a numeric version field', () => {
    expect(checkSchema({ v: 2, count: 3 }, bundle())).toEqual({ ok: true, version: '2', pii: V2_PII });
  });

  it('uses the default version when the record has no version field', () => {
    expect(checkSchema({ name: 'a' }, bundle({ defaultVersion: '1' }))).toEqual({ ok: true, version: '1', pii: V1_PII });
    expect(checkSchema({ count: 1 }, bundle({ versionField: undefined, defaultVersion: '2' }))).toEqual({ ok: true, version: '2', pii: V2_PII });
  });

  it('prefers the record’s version to the default', () => {
    expect(checkSchema({ v: '2', count: 1 }, bundle({ defaultVersion: '1' }))).toMatchObject({ ok: true, version: '2' });
  });

  it('reports a version that is not registered as UNKNOWN_SCHEMA_VERSION, masking every PII field of every version', () => {
    const result = checkSchema({ v: '3', name: 'a' }, bundle({ defaultVersion: '1' }));
    expect(result).toEqual({
      ok: false,
      reason: 'UNKNOWN_SCHEMA_VERSION',
      version: '3',
      errors: ['schema version "3" is not registered (known: 1, 2)'],
      pii: expect.arrayContaining([
        { path: ['userId'], action: 'redact' },
        { path: ['email'], action: 'redact' },
        { path: ['device', 'ip'], action: 'redact' },
      ]),
    });
    expect(result.pii).toHaveLength(3);
    expect(calls).toEqual([]);
  });

  it('reports a record without a version and no default as UNKNOWN_SCHEMA_VERSION', () => {
    const result = checkSchema({ name: 'a' }, bundle());
    expect(result).toMatchObject({ ok: false, reason: 'UNKNOWN_SCHEMA_VERSION', errors: ['schema version null is not registered (known: 1, 2)'] });
    expect(result.version).toBeUndefined();
    expect(result.pii).toHaveLength(3);
  });

  it('reports a mismatch as SCHEMA_MISMATCH with "<instancePath> <message>" errors and every version’s PII fields', () => {
    const result = checkSchema({ v: '1', name: 7 }, bundle());
    expect(result).toEqual({
      ok: false,
      reason: 'SCHEMA_MISMATCH',
      version: '1',
      errors: ['/name must be string'],
      pii: allPiiFields(bundle()),
    });
  });

  it('writes "/" for an error on the record itself and falls back to the keyword without a message', () => {
    const validate = handWrittenValidator(() => [
      { instancePath: '', keyword: 'required', message: "must have required property 'eventId'" },
      { instancePath: '/page/url', keyword: 'format' },
    ]);
    const result = checkSchema({}, { defaultVersion: '1', versions: { '1': { validate, pii: [] } } });
    expect(result).toMatchObject({ ok: false, errors: ["/ must have required property 'eventId'", '/page/url format'] });
  });

  it('keeps at most 10 errors', () => {
    const validate = handWrittenValidator(() =>
      Array.from({ length: 25 }, (_, i) => ({ instancePath: `/f${i}`, keyword: 'type', message: 'must be string' })),
    );
    const result = checkSchema({}, { defaultVersion: '1', versions: { '1': { validate, pii: [] } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(10);
    expect(result.errors[0]).toBe('/f0 must be string');
    expect(result.errors[9]).toBe('/f9 must be string');
  });

  it('works with the clickstream sample events', () => {
    const schemas = clickstreamSchemas();
    const lines = sampleEventLines();
    expect(checkSchema(JSON.parse(lines[0]), schemas)).toMatchObject({ ok: true, version: '1' });
    // The drifted event names schema version 3, which is not registered.
    expect(checkSchema(JSON.parse(lines[15]), schemas)).toMatchObject({ ok: false, reason: 'UNKNOWN_SCHEMA_VERSION', version: '3' });
    expect(checkSchema({ ...JSON.parse(lines[0]), eventType: 'scroll' }, schemas)).toMatchObject({
      ok: false,
      reason: 'SCHEMA_MISMATCH',
      errors: ['/eventType must be equal to one of the allowed values'],
    });
  });
});

describe('allPiiFields', () => {
  it('lists each path once, preferring redact over hash whichever version comes first', () => {
    const hashFirst = allPiiFields(bundle());
    expect(hashFirst).toHaveLength(3);
    expect(hashFirst).toEqual(
      expect.arrayContaining([
        { path: ['userId'], action: 'redact' },
        { path: ['email'], action: 'redact' },
        { path: ['device', 'ip'], action: 'redact' },
      ]),
    );
    const redactFirst = allPiiFields({ versions: { '2': { validate: v2, pii: V2_PII }, '1': { validate: v1, pii: V1_PII } } });
    expect(redactFirst.find((f) => f.path[0] === 'userId')).toEqual({ path: ['userId'], action: 'redact' });
  });

  it('keeps hash when no version redacts the field', () => {
    expect(allPiiFields({ versions: { '1': { validate: v1, pii: [{ path: ['userId'], action: 'hash' }] }, '2': { validate: v2, pii: [] } } })).toEqual([
      { path: ['userId'], action: 'hash' },
    ]);
  });

  it('is empty without schemas', () => {
    expect(allPiiFields({ versions: {} })).toEqual([]);
  });
});
