import { isEventBridgeEvent, MAX_RECORD_DEPTH, nestingDepth, parseRecordBody } from '../../../lambda/runtime/parse-record';
import { eventBridgeEnvelope } from '../support/fixtures';

describe('parseRecordBody', () => {
  it('passes a plain JSON object through', () => {
    const record = { eventId: 'evt-1', page: { url: 'https://shop.example.com/' }, n: 1 };
    expect(parseRecordBody(JSON.stringify(record))).toEqual({ ok: true, record });
  });

  it.each(['{"eventId": "evt-0014", "eventType": "click"', '', 'not json', "{'single': 'quotes'}", '{"a":1}{"b":2}'])(
    'reports malformed JSON %j as MALFORMED_JSON with the parser message',
    (body) => {
      const result = parseRecordBody(body);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe('MALFORMED_JSON');
      expect(result.message).not.toBe('');
    },
  );

  it.each([
    ['[1,2]', 'an array'],
    ['[]', 'an array'],
    ['"a string"', 'a string'],
    ['null', 'null'],
    ['42', 'a number'],
    ['true', 'a boolean'],
  ])('reports %s as NOT_AN_OBJECT (%s)', (body, described) => {
    expect(parseRecordBody(body)).toEqual({ ok: false, reason: 'NOT_AN_OBJECT', message: `expected a JSON object, got ${described}` });
  });

  it('unwraps an EventBridge event to its detail, keeping its id, source and detail-type', () => {
    const detail = { eventId: 'evt-9', eventTime: '2026-11-24T09:00:00Z', page: { url: 'https://shop.example.com/a' } };
    const result = parseRecordBody(JSON.stringify(eventBridgeEnvelope(detail, 'eb-9')));
    expect(result).toEqual({
      ok: true,
      record: detail,
      eventBridge: { id: 'eb-9', source: 'com.example.storefront', detailType: 'ClickstreamEvent' },
    });
  });

  it('gives a plain record no EventBridge metadata', () => {
    const result = parseRecordBody('{"eventId":"evt-1"}');
    expect(result.ok && result.eventBridge).toBeUndefined();
  });

  it('rejects an EventBridge event whose detail is not an object', () => {
    for (const detail of [null, 'text', [1]]) {
      const result = parseRecordBody(JSON.stringify(eventBridgeEnvelope(detail)));
      expect(result).toMatchObject({ ok: false, reason: 'NOT_AN_OBJECT' });
    }
  });

  it('does not unwrap an object that merely has a detail field', () => {
    const record = { id: 'r-1', detail: { nested: true } };
    expect(parseRecordBody(JSON.stringify(record))).toEqual({ ok: true, record });
  });
});

describe('isEventBridgeEvent', () => {
  it('needs a string id and source, a detail-type and a detail', () => {
    expect(isEventBridgeEvent(eventBridgeEnvelope({}))).toBe(true);
    expect(isEventBridgeEvent({ id: 'x', source: 's', 'detail-type': 't', detail: null })).toBe(true);
    expect(isEventBridgeEvent({ source: 's', 'detail-type': 't', detail: {} })).toBe(false);
    expect(isEventBridgeEvent({ id: 1, source: 's', 'detail-type': 't', detail: {} })).toBe(false);
    expect(isEventBridgeEvent({ id: 'x', source: 's', detail: {} })).toBe(false);
    expect(isEventBridgeEvent(null)).toBe(false);
    expect(isEventBridgeEvent('text')).toBe(false);
  });
});

describe('nesting depth (hostile input)', () => {
  const nested = (levels: number) => `{"d":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  it(`quarantines a record nested deeper than MAX_RECORD_DEPTH (${MAX_RECORD_DEPTH}) as TOO_DEEP, without recursion`, () => {
    expect(parseRecordBody(nested(8000))).toEqual({ ok: false, reason: 'TOO_DEEP', message: `nested more than ${MAX_RECORD_DEPTH} levels deep` });
    expect(parseRecordBody(nested(MAX_RECORD_DEPTH + 1))).toMatchObject({ ok: false, reason: 'TOO_DEEP' });
    expect(parseRecordBody(nested(MAX_RECORD_DEPTH))).toMatchObject({ ok: true });
  });

  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(nestingDepth('{"a":"[[[[{{{{\\"[[[["}')).toBe(1);
    expect(nestingDepth('{"a":[{"b":"]]]]"}]}')).toBe(3);
    const manyInString = `{"s":"${'['.repeat(10000)}"}`;
    expect(parseRecordBody(manyInString)).toMatchObject({ ok: true });
  });
});
