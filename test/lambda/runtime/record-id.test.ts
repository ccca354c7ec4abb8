import { createHash } from 'node:crypto';
import { canonicalJson, payloadHashId } from '../../../lambda/runtime/record-id';
import { sampleEventLines } from '../support/fixtures';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('payloadHashId', () => {
  const [first, second] = sampleEventLines().map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {};
    }
  });

  it('is the hex SHA-256 of the canonical JSON', () => {
    expect(payloadHashId({ b: 1, a: 'x' })).toBe(sha256('{"a":"x","b":1}'));
    expect(payloadHashId(first)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order, at any depth', () => {
    const reordered = Object.fromEntries(
      Object.entries(first)
        .reverse()
        .map(([k, v]) => [k, v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v]),
    );
    expect(Object.keys(reordered)).not.toEqual(Object.keys(first));
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(first));
    expect(payloadHashId(reordered)).toBe(payloadHashId(first));
    expect(payloadHashId({ a: { y: [1, { q: 1, p: 2 }], x: null } })).toBe(payloadHashId({ a: { x: null, y: [1, { p: 2, q: 1 }] } }));
  });

  it('ignores undefined properties (as JSON does)', () => {
    expect(payloadHashId({ a: 1, b: undefined })).toBe(payloadHashId({ a: 1 }));
    expect(payloadHashId({ a: { c: undefined, d: 2 } })).toBe(payloadHashId({ a: { d: 2 } }));
  });

  it('differs for different payloads', () => {
    expect(payloadHashId(first)).not.toBe(payloadHashId(second));
    expect(payloadHashId({ a: 1 })).not.toBe(payloadHashId({ a: '1' }));
    expect(payloadHashId({ a: [1, 2] })).not.toBe(payloadHashId({ a: [2, 1] }));
    expect(payloadHashId({ a: null })).not.toBe(payloadHashId({}));
    expect(payloadHashId({ a: { b: 1 } })).not.toBe(payloadHashId({ 'a.b': 1 }));
  });

  it('is stable across calls', () => {
    expect(payloadHashId(first)).toBe(payloadHashId(JSON.parse(JSON.stringify(first))));
  });
});

describe('canonicalJson', () => {
  it('sorts keys, keeps array order and renders scalars like JSON.stringify', () => {
    expect(canonicalJson({ z: [3, 1, 2], a: { d: true, c: null }, m: 'é"\n' })).toBe('{"a":{"c":null,"d":true},"m":"é\\"\\n","z":[3,1,2]}');
    expect(canonicalJson('text')).toBe('"text"');
    expect(canonicalJson(42)).toBe('42');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('parses back to an equal value', () => {
    const value = { b: [{ y: 1, x: [true, 'a'] }], a: -1.5 };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});

describe('canonicalJson on hostile input', () => {
  it('does not throw on a value nested 8,000 levels deep (iterative, no recursion)', () => {
    let value: unknown = 1;
    for (let i = 0; i < 8000; i++) value = i % 2 === 0 ? [value] : { b: value, a: undefined };
    const text = canonicalJson(value);
    expect(text.length).toBeGreaterThan(8000 * 3);
    expect(text.startsWith('{"b":[{"b":[')).toBe(true);
    expect(() => payloadHashId(value)).not.toThrow();
  });

  it('matches JSON.stringify of a key-sorted copy on ordinary values', () => {
    const value = { z: [1, 'two', null, { y: true, x: [] }, undefined], a: { c: {}, b: -0.5 }, u: undefined, d: new Date(0) };
    expect(canonicalJson(value)).toBe('{"a":{"b":-0.5,"c":{}},"d":{},"z":[1,"two",null,{"x":[],"y":true},null]}');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(undefined)).toBe('null');
  });
});
