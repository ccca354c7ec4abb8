import { sampleSchema } from '../../../lambda/runtime/schema-sample';
import { toSourceBatch } from '../../../lambda/runtime/source-records';
import { clickstreamSchemas, testConfig } from '../support/fixtures';

const valid = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: `evt-${i}`,
    eventTime: '2026-11-24T09:00:00.000Z',
    eventType: 'click',
    userId: `user-${i}`,
    sessionId: 's',
    page: { url: 'https://shop.example.com/' },
    email: `user${i}@example.com`,
    schemaVersion: '1',
    ...extra,
  });

const records = (bodies: string[]) =>
  toSourceBatch({ s3JsonLines: { bucket: 'raw', key: 'batch/a.jsonl', lines: bodies.map((body, i) => ({ line: i + 1, body })) } }).records;

describe('sampleSchema', () => {
  it('counts schema mismatches over records in, as the workflow summary computes the drift rate', () => {
    const bodies = [
      valid(1),
      valid(2, { eventType: 'swipe' }), // enum mismatch
      valid(3, { schemaVersion: '7' }), // version not registered
      '{"not json',
      valid(4),
    ];
    const sample = sampleSchema(records(bodies), clickstreamSchemas(), testConfig());
    expect(sample).toEqual({
      recordsIn: 5,
      parsed: 4,
      malformed: 1,
      schemaMismatches: 2,
      driftRate: 0.4,
      versions: { '1': 3, '7': 1 },
      errors: [
        'SCHEMA_MISMATCH: /eventType must be equal to one of the allowed values',
        'UNKNOWN_SCHEMA_VERSION: schema version "7" is not registered (known: 1)',
      ],
    });
  });

  it('never reports record content: messages name JSON pointers and rules only', () => {
    const bodies = Array.from({ length: 20 }, (_, i) => valid(i, { userId: 42, email: 7 }));
    const sample = sampleSchema(records(bodies), clickstreamSchemas(), testConfig());
    expect(sample.schemaMismatches).toBe(20);
    expect(sample.errors).toEqual(['SCHEMA_MISMATCH: /userId must be string', 'SCHEMA_MISMATCH: /email must be string']);
    expect(JSON.stringify(sample)).not.toMatch(/user\d|example\.com/);
  });

  it('caps the distinct messages at five and bounds version labels taken from records', () => {
    const bodies = Array.from({ length: 8 }, (_, i) => valid(i, { schemaVersion: `v${i}-${'x'.repeat(100)}` }));
    const sample = sampleSchema(records(bodies), clickstreamSchemas(), testConfig());
    expect(sample.errors).toHaveLength(5);
    expect(Object.keys(sample.versions).every((v) => v.length <= 40)).toBe(true);
    expect(sample.driftRate).toBe(1);
  });

  it('has a zero rate for an empty sample and without schemas', () => {
    expect(sampleSchema([], clickstreamSchemas(), testConfig()).driftRate).toBe(0);
    const noSchemas = sampleSchema(records([valid(1, { eventType: 'swipe' })]), { versions: {} }, testConfig());
    expect(noSchemas).toMatchObject({ recordsIn: 1, schemaMismatches: 0, driftRate: 0 });
  });
});

describe('prototype-free maps (dead-end metadata)', () => {
  it('counts versions named "constructor", "__proto__" and "toString" as versions, not as inherited members', () => {
    const bodies = [valid(1), valid(2, { schemaVersion: 'constructor' }), valid(3, { schemaVersion: '__proto__' }), valid(4, { schemaVersion: 'toString' })];
    const sample = sampleSchema(records(bodies), clickstreamSchemas(), testConfig());
    expect(Object.entries(sample.versions).sort()).toEqual([
      ['1', 1],
      ['__proto__', 1],
      ['constructor', 1],
      ['toString', 1],
    ]);
    // What the workflow state and the run manifest hold.
    expect(JSON.stringify(sample.versions)).toBe('{"1":1,"constructor":1,"__proto__":1,"toString":1}');
    expect(sample.schemaMismatches).toBe(3);
  });

  it('with a hand-built schema map that has a prototype, "constructor" is an unknown version, not a crash', () => {
    const plain = { ...clickstreamSchemas(), versions: { ...clickstreamSchemas().versions } };
    const sample = sampleSchema(records([valid(1, { schemaVersion: 'constructor' })]), plain, testConfig());
    expect(sample).toMatchObject({ schemaMismatches: 1, errors: [expect.stringMatching(/^UNKNOWN_SCHEMA_VERSION: schema version "constructor" is not registered/)] });
  });
});
