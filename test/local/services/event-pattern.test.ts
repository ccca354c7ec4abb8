import { LocalEventBridge, matchesEventPattern, validateEventPattern } from '../../../local/services/event-bus';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'ClickstreamEvent',
  source: 'com.example.storefront',
  account: '000000000000',
  time: '2026-11-24T09:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:s3:::raw'],
  detail: { eventType: 'purchase', price: 42.5, tags: ['a', 'b'], user: { tier: 'gold', ip: '10.0.1.7' }, empty: null, file: 'data/2026/x.jsonl' },
};
const match = (pattern: Record<string, unknown>) => matchesEventPattern(event, pattern);

describe('matchesEventPattern', () => {
  test('exact values, any of a list, on top-level and nested fields', () => {
    expect(match({ source: ['com.example.storefront'], 'detail-type': ['ClickstreamEvent'] })).toBe(true);
    expect(match({ source: ['other', 'com.example.storefront'] })).toBe(true);
    expect(match({ source: ['com.example.other'] })).toBe(false);
    expect(match({ detail: { user: { tier: ['gold'] } } })).toBe(true);
    expect(match({ detail: { user: { tier: ['silver'] } } })).toBe(false);
    expect(match({ detail: { price: [42.5] } })).toBe(true);
    expect(match({ detail: { price: ['42.5'] } })).toBe(false); // typed
    expect(match({ detail: { empty: [null] } })).toBe(true);
    expect(match({})).toBe(true);
  });

  test('array values match when one element matches', () => {
    expect(match({ detail: { tags: ['b'] } })).toBe(true);
    expect(match({ resources: [{ prefix: 'arn:aws:s3:::' }] })).toBe(true);
    expect(match({ detail: { tags: ['c'] } })).toBe(false);
  });

  test('prefix, suffix, equals-ignore-case, wildcard', () => {
    expect(match({ source: [{ prefix: 'com.example.' }] })).toBe(true);
    expect(match({ source: [{ prefix: 'org.' }] })).toBe(false);
    expect(match({ detail: { file: [{ suffix: '.jsonl' }] } })).toBe(true);
    expect(match({ source: [{ prefix: { 'equals-ignore-case': 'COM.EXAMPLE' } }] })).toBe(true);
    expect(match({ 'detail-type': [{ 'equals-ignore-case': 'clickstreamevent' }] })).toBe(true);
    expect(match({ detail: { file: [{ wildcard: 'data/*/x.*' }] } })).toBe(true);
    expect(match({ detail: { file: [{ wildcard: 'data/*/y.*' }] } })).toBe(false);
  });

  test('anything-but: values, prefix; a missing field does not match', () => {
    expect(match({ detail: { eventType: [{ 'anything-but': ['click', 'page_view'] }] } })).toBe(true);
    expect(match({ detail: { eventType: [{ 'anything-but': 'purchase' }] } })).toBe(false);
    expect(match({ detail: { eventType: [{ 'anything-but': { prefix: 'pur' } }] } })).toBe(false);
    expect(match({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  test('exists', () => {
    expect(match({ detail: { eventType: [{ exists: true }] } })).toBe(true);
    expect(match({ detail: { missing: [{ exists: true }] } })).toBe(false);
    expect(match({ detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(match({ detail: { eventType: [{ exists: false }] } })).toBe(false);
    expect(match({ nothing: { deeper: [{ exists: false }] } })).toBe(true);
  });

  test('numeric ranges and cidr', () => {
    expect(match({ detail: { price: [{ numeric: ['>', 0, '<=', 42.5] }] } })).toBe(true);
    expect(match({ detail: { price: [{ numeric: ['<', 10] }] } })).toBe(false);
    expect(match({ detail: { price: [{ numeric: ['=', 42.5] }] } })).toBe(true);
    expect(match({ detail: { user: { ip: [{ cidr: '10.0.0.0/16' }] } } })).toBe(true);
    expect(match({ detail: { user: { ip: [{ cidr: '10.1.0.0/16' }] } } })).toBe(false);
  });

  test('$or', () => {
    expect(match({ $or: [{ source: ['x'] }, { detail: { eventType: ['purchase'] } }] })).toBe(true);
    expect(match({ $or: [{ source: ['x'] }, { detail: { eventType: ['click'] } }] })).toBe(false);
  });

  test('invalid patterns are rejected with the path', () => {
    expect(() => validateEventPattern({ source: 'not-an-array' })).toThrow(/source/);
    expect(() => validateEventPattern({ detail: { a: [{ bogus: 1 }] } })).toThrow(/unknown operator "bogus"/);
    expect(() => validateEventPattern({ detail: { a: [{ numeric: ['>', 'x'] }] } })).toThrow(/numeric/);
    expect(() => validateEventPattern({ source: [{ prefix: 'a' }], detail: { a: [{ exists: true }] } })).not.toThrow();
  });
});

describe('LocalEventBridge', () => {
  test('PutEvents wraps entries in the envelope and delivers to matching rules only', async () => {
    const bus = new LocalEventBridge('000000000000', 'us-east-1');
    bus.createEventBus('ingest');
    const delivered: string[] = [];
    bus.putRule({ name: 'r', eventBusName: 'ingest', eventPattern: { source: ['shop'] }, targets: [{ id: 't', deliver: async (p) => void delivered.push(p) }] });
    const out = await bus.putEvents([
      { EventBusName: 'ingest', Source: 'shop', DetailType: 'Click', Detail: '{"a":1}' },
      { EventBusName: 'ingest', Source: 'other', DetailType: 'Click', Detail: '{"a":2}' },
      { EventBusName: 'ingest', Source: 'shop', DetailType: 'Click', Detail: 'not json' },
      { EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/ingest', Source: 'shop', DetailType: 'Click', Detail: JSON.stringify({ b: 'x'.repeat(300 * 1024) }) },
    ]);
    expect(out.failedEntryCount).toBe(2);
    expect(out.entries.map((e) => e.ErrorCode)).toEqual([undefined, undefined, 'MalformedDetail', 'EntryTooLarge']);
    expect(out.unmatched).toBe(1);
    expect(delivered).toHaveLength(1);
    const envelope = JSON.parse(delivered[0]);
    expect(envelope).toEqual(
      expect.objectContaining({ version: '0', source: 'shop', 'detail-type': 'Click', account: '000000000000', region: 'us-east-1', resources: [], detail: { a: 1 } }),
    );
    expect(envelope.id).toEqual(expect.any(String));
    expect(envelope.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test("each stack's account and region: events carry the caller's account and the bus's region; rules see their own environment only", async () => {
    const bus = new LocalEventBridge('000000000000', 'us-east-1');
    const own = { account: '111111111111', region: 'eu-west-1' };
    const other = { account: '222222222222', region: 'us-west-2' };
    bus.createEventBus('ingest', own);
    const delivered: Array<{ rule: string; event: { account: string; region: string } }> = [];
    const rule = (name: string, account: string) => ({
      name,
      eventBusName: 'ingest',
      eventPattern: { account: [account] },
      targets: [{ id: 't', deliver: async (p: string) => void delivered.push({ rule: name, event: JSON.parse(p) }) }],
    });
    bus.putRule(rule('own', own.account), own);
    // The default bus exists in every environment; a bus created in one does not exist in another.
    bus.putRule({ ...rule('s3', own.account), eventBusName: 'default' }, own);
    expect(() => bus.putRule(rule('elsewhere', other.account), other)).toThrow(/event bus "ingest" does not exist/);

    const entry = { EventBusName: 'ingest', Source: 'shop', DetailType: 'Click', Detail: '{"a":1}' };
    const fromOwn = await bus.putEvents([entry], own);
    expect(fromOwn.delivered).toBe(1);
    expect(delivered[0]).toEqual({ rule: 'own', event: expect.objectContaining({ account: '111111111111', region: 'eu-west-1' }) });
    // Without a caller: the constructor's environment, where no "ingest" bus exists.
    expect((await bus.putEvents([entry])).entries[0].ErrorCode).toBe('ResourceNotFoundException');
    // By ARN from another account: the bus's region, the sender's account (the own-account rule does not match).
    const arn = await bus.putEvents([{ ...entry, EventBusName: 'arn:aws:events:eu-west-1:111111111111:event-bus/ingest' }], other);
    expect(arn).toEqual(expect.objectContaining({ failedEntryCount: 0, delivered: 0, unmatched: 1 }));
    expect(bus.rulesOf('ingest', own).map((r) => r.name)).toEqual(['own']);
    expect(bus.rulesOf('ingest')).toEqual([]);
  });

  test('a failing target goes to its dead-letter queue after retries', async () => {
    const bus = new LocalEventBridge('000000000000', 'us-east-1');
    let attempts = 0;
    const dead: string[] = [];
    bus.putRule({
      name: 'r',
      eventBusName: 'default',
      eventPattern: { source: [{ prefix: '' }] },
      targets: [{ id: 't', inputPath: '$.detail', deliver: async () => void (attempts++, (() => { throw new Error('down'); })()), deadLetter: async (p, e) => void dead.push(`${p} ${e.message}`) }],
    });
    const out = await bus.putEvents([{ Source: 'x', DetailType: 'y', Detail: '{"k":1}' }]);
    expect(attempts).toBe(3);
    expect(out.deadLettered).toBe(1);
    expect(dead).toEqual(['{"k":1} down']);
  });
});
