import { escapeKeyPart, idempotencyKey, recordVersion } from '../../../lambda/runtime/idempotency-key';

describe('idempotencyKey', () => {
  it('is the record id when the pipeline declares no version', () => {
    expect(idempotencyKey({ id: 'evt-1' })).toBe('evt-1');
    expect(idempotencyKey({ id: 'a#1' })).toBe('a#1');
  });

  it('is the id and the version when a version is declared: one key per version, the same for a redelivery', () => {
    const v1 = idempotencyKey({ id: 'evt-1', version: '1' });
    const v2 = idempotencyKey({ id: 'evt-1', version: '2' });
    expect(v1).toBe('evt-1#1');
    expect(v2).not.toBe(v1);
    expect(idempotencyKey({ id: 'evt-1', version: '1' })).toBe(v1);
  });

  it('keeps the plain id of a record without a version, so ordinary ids keep their claims when a version is declared later', () => {
    expect(idempotencyKey({ id: 'evt-1', version: null })).toBe('evt-1');
  });

  it('never lets one record take another one’s key (ids and versions holding # or \\)', () => {
    const keys = [
      { id: 'a#1', version: null },
      { id: 'a', version: '1' },
      { id: 'a#1', version: '' },
      { id: 'a', version: '1#2' },
      { id: 'a#1', version: '2' },
      { id: 'a\\', version: '1' },
      { id: 'a', version: '\\1' },
      { id: 'a\\#1', version: null },
    ].map((parts) => idempotencyKey(parts));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('namespaces a versioned key by the reprocess run, like a plain one', () => {
    expect(idempotencyKey({ id: 'evt-1', version: '2', run: 'reprocess-x' })).toBe('reprocess-x#evt-1#2');
    expect(idempotencyKey({ id: 'evt-1', run: 'reprocess-x' })).toBe('reprocess-x#evt-1');
  });
});

describe('recordVersion', () => {
  it('reads strings and numbers as text, and absent, null or empty as no version (null)', () => {
    expect(recordVersion('2026-11-24T10:00:00Z')).toBe('2026-11-24T10:00:00Z');
    expect(recordVersion(3)).toBe('3');
    expect(recordVersion(undefined)).toBeNull();
    expect(recordVersion(null)).toBeNull();
    expect(recordVersion('')).toBeNull();
  });

  it('reads any other JSON value as its canonical JSON (the same whatever the key order)', () => {
    expect(recordVersion({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(recordVersion({ a: 2, b: 1 })).toBe(recordVersion({ b: 1, a: 2 }));
    expect(recordVersion(true)).toBe('true');
  });
});

describe('escapeKeyPart', () => {
  it('escapes backslash and # with a backslash', () => {
    expect(escapeKeyPart('a#b\\c')).toBe('a\\#b\\\\c');
  });
});
