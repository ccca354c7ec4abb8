import { createHash, createHmac } from 'node:crypto';
import {
  createPiiHasher,
  isPiiIdField,
  MAX_MASK_DEPTH,
  maskQuarantineInput,
  maskRecord,
  piiFieldNames,
  scrubPiiText,
  type PiiField,
} from '../../../lambda/runtime/pii-masking';
import { sampleEventLines } from '../support/fixtures';

const KEY = 'pii-test-key-0123456789abcdef';
const hasher = createPiiHasher(KEY);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SAMPLE_0 = JSON.parse(sampleEventLines()[0]) as Record<string, unknown>;

const CLICKSTREAM_PII: PiiField[] = [
  { path: ['userId'], action: 'hash' },
  { path: ['email'], action: 'redact' },
  { path: ['ip'], action: 'redact' },
];

describe('createPiiHasher', () => {
  it('is a keyed HMAC-SHA256 (hex): equal for the same value and key', () => {
    expect(hasher('user-101')).toBe(createHmac('sha256', KEY).update('user-101').digest('hex'));
    expect(hasher('user-101')).toBe(createPiiHasher(KEY)('user-101'));
    expect(hasher('user-101')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs with another key, and is not the plain SHA-256 of the value', () => {
    expect(createPiiHasher('another-key-0123456789abcdef')('user-101')).not.toBe(hasher('user-101'));
    expect(hasher('user-101')).not.toBe(sha256('user-101'));
  });

  it('differs for different values', () => {
    expect(hasher('user-101')).not.toBe(hasher('user-102'));
  });

  it('accepts a Buffer key', () => {
    expect(createPiiHasher(Buffer.from(KEY))('x')).toBe(hasher('x'));
  });

  it('hashes non-strings by their canonical JSON (key order does not matter)', () => {
    expect(hasher(42)).toBe(createHmac('sha256', KEY).update('42').digest('hex'));
    expect(hasher({ b: 1, a: 2 })).toBe(hasher({ a: 2, b: 1 }));
    expect(hasher(42)).not.toBe(hasher({ a: 2, b: 1 }));
  });
});

describe('maskRecord', () => {
  it('hashes hash fields with the key and removes redact fields', () => {
    const masked = maskRecord(SAMPLE_0, CLICKSTREAM_PII, hasher);
    expect(masked.userId).toBe(hasher('user-101'));
    expect(masked).not.toHaveProperty('email');
    expect(masked).not.toHaveProperty('ip');
    const { userId: _u, email: _e, ip: _i, ...rest } = SAMPLE_0;
    const { userId: _mu, ...maskedRest } = masked;
    expect(maskedRest).toEqual(rest);
    expect(JSON.stringify(masked)).not.toMatch(/user-101|user1@example\.com|203\.0\.113\.1/);
  });

  it('does not modify the input', () => {
    const input = JSON.parse(JSON.stringify({ ...SAMPLE_0, device: { ip: '198.51.100.1', os: 'x' } })) as Record<string, unknown>;
    const before = JSON.stringify(input);
    const masked = maskRecord(input, [...CLICKSTREAM_PII, { path: ['device', 'ip'], action: 'redact' }], hasher);
    expect(JSON.stringify(input)).toBe(before);
    expect(masked).not.toBe(input);
    expect(masked.device).not.toBe(input.device);
    // Objects off the PII paths are shared, not copied.
    expect(masked.page).toBe(input.page);
  });

  it('masks nested paths', () => {
    const record = { a: { b: { email: 'x@example.com', keep: 1 }, userId: 'u-1' } };
    const masked = maskRecord(
      record,
      [
        { path: ['a', 'b', 'email'], action: 'redact' },
        { path: ['a', 'userId'], action: 'hash' },
      ],
      hasher,
    );
    expect(masked).toEqual({ a: { b: { keep: 1 }, userId: hasher('u-1') } });
  });

  it('masks every element of an array on a `*` path', () => {
    const record = {
      contacts: [
        { email: 'a@example.com', userId: 'u-a', n: 1 },
        { email: 'b@example.com', userId: 'u-b', n: 2 },
        { n: 3 },
      ],
    };
    const masked = maskRecord(
      record,
      [
        { path: ['contacts', '*', 'email'], action: 'redact' },
        { path: ['contacts', '*', 'userId'], action: 'hash' },
      ],
      hasher,
    );
    expect(masked).toEqual({ contacts: [{ userId: hasher('u-a'), n: 1 }, { userId: hasher('u-b'), n: 2 }, { n: 3 }] });
    expect(record.contacts[0].email).toBe('a@example.com');
  });

  describe('masks by the field path whatever the shape', () => {
    it('an array where the schema says object (user: [{email}] for user.email), nested arrays too', () => {
      const record = { user: [{ email: 'a@example.com', n: 1 }, [{ email: 'b@example.com' }], 'x'], keep: 1 };
      const masked = maskRecord(record, [{ path: ['user', 'email'], action: 'redact' }], hasher);
      expect(masked).toEqual({ user: [{ n: 1 }, [{}], 'x'], keep: 1 });
      const hashed = maskRecord({ user: [{ userId: 'u-1' }] }, [{ path: ['user', 'userId'], action: 'hash' }], hasher);
      expect(hashed).toEqual({ user: [{ userId: hasher('u-1') }] });
      expect(record.user[0]).toEqual({ email: 'a@example.com', n: 1 });
    });

    it('an object where the schema says array (items: {email} for items.*.email), and a map of elements', () => {
      expect(maskRecord({ items: { email: 'a@example.com', n: 1 } }, [{ path: ['items', '*', 'email'], action: 'redact' }], hasher)).toEqual({
        items: { n: 1 },
      });
      expect(maskRecord({ items: { a: { email: 'a@example.com' }, b: { email: 'b@example.com', n: 2 } } }, [{ path: ['items', '*', 'email'], action: 'hash' }], hasher)).toEqual({
        items: { a: { email: hasher('a@example.com') }, b: { email: hasher('b@example.com'), n: 2 } },
      });
    });

    it('a single value or an object where the schema says an array of PII values (emails.*)', () => {
      expect(maskRecord({ emails: 'a@example.com', n: 1 }, [{ path: ['emails', '*'], action: 'redact' }], hasher)).toEqual({ n: 1 });
      expect(maskRecord({ emails: { primary: 'a@example.com' } }, [{ path: ['emails', '*'], action: 'hash' }], hasher)).toEqual({
        emails: hasher({ primary: 'a@example.com' }),
      });
    });

    it('an object where the schema says a scalar is hashed or removed as a whole', () => {
      expect(maskRecord({ email: { value: 'a@example.com' } }, [{ path: ['email'], action: 'hash' }], hasher)).toEqual({
        email: hasher({ value: 'a@example.com' }),
      });
    });

    it('arrays nested deeper than MAX_MASK_DEPTH on a PII path are replaced, not recursed into', () => {
      let deep: unknown = { email: 'deep@example.com' };
      for (let i = 0; i < 10_000; i++) deep = [deep];
      const masked = maskRecord({ user: deep }, [{ path: ['user', 'email'], action: 'redact' }], hasher);
      expect(JSON.stringify(masked).length).toBeLessThan(200);
      expect(JSON.stringify(masked)).not.toContain('deep@example.com');
      expect(MAX_MASK_DEPTH).toBe(32);
    });
  });

  it('leaves missing fields and paths through missing objects untouched', () => {
    const record = { eventId: 'e', page: 'https://shop.example.com/' };
    const masked = maskRecord(
      record,
      [
        { path: ['email'], action: 'redact' },
        { path: ['userId'], action: 'hash' },
        { path: ['page', 'url'], action: 'hash' },
        { path: ['device', 'ip'], action: 'redact' },
      ],
      hasher,
    );
    expect(masked).toEqual(record);
    expect(masked).not.toHaveProperty('email');
    expect(masked).not.toHaveProperty('userId');
    expect(masked).not.toHaveProperty('device');
  });

  it('leaves a null hash field null (and an undefined one alone)', () => {
    expect(maskRecord({ userId: null, x: 1 }, [{ path: ['userId'], action: 'hash' }], hasher)).toEqual({ userId: null, x: 1 });
    const masked = maskRecord({ userId: undefined, x: 1 }, [{ path: ['userId'], action: 'hash' }], hasher);
    expect(masked.userId).toBeUndefined();
  });

  it('hashes object and number values by their canonical JSON', () => {
    const masked = maskRecord({ userId: { org: 'o', id: 7 }, n: 5 }, [{ path: ['userId'], action: 'hash' }, { path: ['n'], action: 'hash' }], hasher);
    expect(masked).toEqual({ userId: hasher({ id: 7, org: 'o' }), n: hasher(5) });
  });

  it('throws when a hash field has no hasher, even if the record lacks the field', () => {
    expect(() => maskRecord({ userId: 'u' }, [{ path: ['userId'], action: 'hash' }], undefined)).toThrow(
      'cdk-serverless-etl runtime: a schema marks fields "x-pii": "hash" but no hashing key is configured',
    );
    expect(() => maskRecord({}, [{ path: ['userId'], action: 'hash' }], undefined)).toThrow(/no hashing key/);
  });

  it('needs no hasher for redact fields only', () => {
    expect(maskRecord({ email: 'a@example.com', x: 1 }, [{ path: ['email'], action: 'redact' }], undefined)).toEqual({ x: 1 });
  });

  it('returns the record unchanged for no fields', () => {
    expect(maskRecord(SAMPLE_0, [], undefined)).toBe(SAMPLE_0);
  });

  // lib/schema/pii-fields.ts emits a path ending in '*' for `"items": { "x-pii": ... }` (every
  // element of an array of PII values) and an index segment for tuple items.
  it('masks the elements themselves on a path ending in `*` (an array of PII values)', () => {
    const record = { emails: ['a@example.com', 'b@example.com'], userIds: ['u-1', 'u-2'] };
    const masked = maskRecord(
      record,
      [
        { path: ['emails', '*'], action: 'redact' },
        { path: ['userIds', '*'], action: 'hash' },
      ],
      hasher,
    );
    expect(masked.userIds).toEqual([hasher('u-1'), hasher('u-2')]);
    expect(JSON.stringify(masked)).not.toMatch(/a@example\.com|b@example\.com|"u-1"|"u-2"/);
  });

  it('masks a tuple position (an index segment on an array)', () => {
    const masked = maskRecord({ pair: ['u-1', 'public'] }, [{ path: ['pair', '0'], action: 'hash' }], hasher);
    expect(masked).toEqual({ pair: [hasher('u-1'), 'public'] });
  });
});

describe('scrubPiiText', () => {
  const names = ['userId', 'email', 'ip'];

  it('replaces string values of the named fields in malformed JSON text and keeps the rest', () => {
    const text = '{"eventId":"evt-m1","userId":"user-777","email":"m1@example.com","ip":"192.0.2.77","page":{"url":"https://shop.example.com/"';
    const scrubbed = scrubPiiText(text, names);
    expect(scrubbed).toBe(
      '{"eventId":"evt-m1","userId":"[pii removed]","email":"[pii removed]","ip":"[pii removed]","page":{"url":"https://shop.example.com/"',
    );
  });

  it('replaces numbers, literals and unquoted values', () => {
    expect(scrubPiiText('{"userId": 12345, "ip":192.0.2.1}, "x": 1', names)).toBe('{"userId": "[pii removed]", "ip":"[pii removed]"}, "x": 1');
    expect(scrubPiiText('{"email":user9@example.com,"n":2', names)).toBe('{"email":"[pii removed]","n":2');
  });

  it('replaces an unterminated value at the end of the text', () => {
    expect(scrubPiiText('{"eventId":"e","email":"m2@exam', names)).toBe('{"eventId":"e","email":"[pii removed]"');
    expect(scrubPiiText('{"eventId":"e","userId":98765', names)).toBe('{"eventId":"e","userId":"[pii removed]"');
  });

  it('handles escaped quotes inside values and nested occurrences', () => {
    const text = '{"email":"a\\"b@example.com","properties":{"email":"c@example.com"},"note":"email"';
    const scrubbed = scrubPiiText(text, names);
    expect(scrubbed).toBe('{"email":"[pii removed]","properties":{"email":"[pii removed]"},"note":"email"');
  });

  it('leaves fields that are not named, and text without them, unchanged', () => {
    const text = '{"eventId":"evt-0014","eventTime":"2026-11-24T09:10:00Z","emailVerified":true,"myip":"x"';
    expect(scrubPiiText(text, names)).toBe(text);
    expect(scrubPiiText('{"email":"a@example.com"', [])).toBe('{"email":"a@example.com"');
  });

  it('escapes regular-expression characters in field names', () => {
    expect(scrubPiiText('{"a.b":"secret","axb":"public"', ['a.b'])).toBe('{"a.b":"[pii removed]","axb":"public"');
  });

  it('scrubs an array-valued PII field (path ending in `*`) from malformed text', () => {
    const fields: PiiField[] = [{ path: ['emails', '*'], action: 'redact' }];
    const scrubbed = scrubPiiText('{"eventId":"e","emails":["a@example.com","b@example.com"],"n":1', piiFieldNames(fields));
    expect(scrubbed).not.toMatch(/a@example\.com|b@example\.com/);
  });
});

describe('scrubPiiText: escapes, quotes and case', () => {
  const names = ['userId', 'email', 'ip'];
  const PROBES = /probe-user-1|probe1@example\.com|198\.51\.100\.7|u-9/;

  it.each([
    ['an escaped key', '{"em\\u0061il":"probe1@example.com","n":1'],
    ['an escaped key (\\u upper case hex)', '{"\\u0045MAIL":"probe1@example.com"'],
    ['a key in another case', '{"EMAIL":"probe1@example.com","UserID":"probe-user-1","IP":"198.51.100.7"'],
    ['single quotes', "{'email': 'probe1@example.com', 'userId': 'probe-user-1'"],
    ['unquoted keys', '{email: probe1@example.com, ip: 198.51.100.7'],
    ['a query string', 'GET /?email=probe1@example.com&ip=198.51.100.7 HTTP/1.1'],
    ['a double-encoded record', '"{\\"email\\":\\"probe1@example.com\\",\\"ip\\":\\"198.51.100.7\\",\\"userId\\":\\"probe-user-1\\"}'],
    ['a double-encoded record with an escaped key', '"{\\"em\\\\u0061il\\":\\"probe1@example.com\\"'],
    ['a triple-encoded record', JSON.stringify(JSON.stringify(JSON.stringify({ email: 'probe1@example.com', userId: 'probe-user-1' }))).slice(0, -3)],
    ['an array value with brackets and quotes inside strings', '{"email":["probe1@example.com","a]\\"u-9"],"n":1'],
    ['an object value', '{"userId":{"id":"probe-user-1","ip":"198.51.100.7"},"n":1'],
    ['a value with the other quote inside', '{"email":"o\'probe1@example.com","n":1'],
  ])('removes the values of %s', (_label, text) => {
    expect(text).toMatch(PROBES);
    const scrubbed = scrubPiiText(text, names);
    expect(scrubbed).not.toMatch(PROBES);
    expect(scrubbed).toContain('[pii removed]');
  });

  it('keeps what follows a scrubbed value, at its escape level', () => {
    expect(scrubPiiText('{"EMAIL" : "a@example.com", "page":"/home"', names)).toBe('{"EMAIL" : "[pii removed]", "page":"/home"');
    expect(scrubPiiText('"{\\"email\\":\\"a\\\\\\"b\\",\\"page\\":\\"/home\\"}"', names)).toBe('"{\\"email\\":\\"[pii removed]\\",\\"page\\":\\"/home\\"}"');
    expect(scrubPiiText("{'ip': '1.2.3.4', 'page': '/'}", names)).toBe("{'ip': '[pii removed]', 'page': '/'}");
  });

  it('takes linear time on hostile text (long runs of backslashes and quotes)', () => {
    const started = Date.now();
    scrubPiiText(`${'\\'.repeat(100_000)}"email":${'"'.repeat(100_000)}`, names);
    scrubPiiText(`{${'"a":"b",'.repeat(20_000)}"email":"x"`, names);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('maskQuarantineInput', () => {
  const fields: PiiField[] = [
    { path: ['userId'], action: 'hash' },
    { path: ['user', 'email'], action: 'redact' },
    { path: ['items', '*', 'ip'], action: 'redact' },
  ];
  const PROBES = /probe-user-1|probe1@example\.com|198\.51\.100\.7/;

  it('masks a double-encoded body (JSON text of a JSON string) by path and keeps it text', () => {
    const body = JSON.stringify(JSON.stringify({ userId: 'probe-user-1', user: { email: 'probe1@example.com' }, items: [{ ip: '198.51.100.7' }], n: 1 }));
    const masked = maskQuarantineInput(body, fields, hasher) as string;
    expect(masked).not.toMatch(PROBES);
    expect(JSON.parse(JSON.parse(masked) as string)).toEqual({ userId: hasher('probe-user-1'), user: {}, items: [{}], n: 1 });
  });

  it('masks PII names anywhere, without case, in a record that failed (and in JSON strings inside it)', () => {
    const input = {
      userId: 'probe-user-1',
      other: { EMAIL: 'probe1@example.com', deeper: [{ Ip: '198.51.100.7' }] },
      note: JSON.stringify({ email: 'probe1@example.com' }),
      text: 'contact email: probe1@example.com',
      UserID: 'probe-user-1',
    };
    const masked = maskQuarantineInput(input, fields, hasher) as Record<string, unknown>;
    expect(JSON.stringify(masked)).not.toMatch(PROBES);
    // The path-masked value is hashed once (not hashed again by name).
    expect(masked.userId).toBe(hasher('probe-user-1'));
    expect(masked.UserID).toBe(hasher('probe-user-1'));
    expect(masked.other).toEqual({ deeper: [{}] });
  });

  it('masks a list of records (a body that is an array) element by element', () => {
    const masked = maskQuarantineInput('[{"userId":"probe-user-1","user":[{"email":"probe1@example.com"}]}]', fields, hasher) as string;
    expect(JSON.parse(masked)).toEqual([{ userId: hasher('probe-user-1'), user: [{}] }]);
  });

  it('removes what is nested deeper than it looks, and never recurses on hostile nesting', () => {
    let deep: unknown = { email: 'probe1@example.com' };
    for (let i = 0; i < 8000; i++) deep = [deep];
    const masked = maskQuarantineInput({ n: deep, userId: 'probe-user-1' }, fields, hasher);
    expect(JSON.stringify(masked)).not.toMatch(PROBES);
    expect(JSON.stringify(masked).length).toBeLessThan(1000);
    const text = maskQuarantineInput(`{"n":${JSON.stringify([[{ email: 'probe1@example.com' }]])}}`, fields, hasher) as string;
    expect(JSON.parse(text)).toEqual({ n: [[{}]] });
  });

  it('does not parse text nested deeper than it looks (scrubs it as text, in linear time)', () => {
    const depth = 300_000;
    const text = `{"userId":"probe-user-1","n":${'['.repeat(depth)}{"email":"probe1@example.com"}${']'.repeat(depth)}}`;
    const started = Date.now();
    const masked = maskQuarantineInput(text, fields, hasher) as string;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(masked).not.toMatch(PROBES);
  });

  it('scrubs text that is not JSON, and leaves input alone without PII fields', () => {
    expect(maskQuarantineInput('{"user":{"email":"probe1@example.com"', fields, hasher)).toBe('{"user":{"email":"[pii removed]"');
    expect(maskQuarantineInput('{"email":"x"', [], hasher)).toBe('{"email":"x"');
  });
});

describe('isPiiIdField', () => {
  it('is true when the id field (top level) is marked, also as an array of values', () => {
    expect(isPiiIdField('userId', [{ path: ['userId'], action: 'hash' }])).toBe(true);
    expect(isPiiIdField('userId', [{ path: ['userId', '*'], action: 'redact' }])).toBe(true);
    expect(isPiiIdField('userId', [{ path: ['user', 'userId'], action: 'hash' }])).toBe(false);
    expect(isPiiIdField('eventId', [{ path: ['userId'], action: 'hash' }])).toBe(false);
    expect(isPiiIdField(undefined, [{ path: ['userId'], action: 'hash' }])).toBe(false);
  });
});

describe('piiFieldNames', () => {
  it('lists the last segment of each path once', () => {
    expect(
      piiFieldNames([
        { path: ['userId'], action: 'hash' },
        { path: ['contacts', '*', 'email'], action: 'redact' },
        { path: ['email'], action: 'redact' },
      ]),
    ).toEqual(['userId', 'email']);
  });
});
