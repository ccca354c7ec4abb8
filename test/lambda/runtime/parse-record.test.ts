import { parseRecordBody } from '../../../lambda/runtime/parse-record';
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

  it('unwraps an EventBridge event to its detail', () => {
    const detail = { eventId: 'evt-9', eventTime: '2026-11-24T09:00:00Z', page: { url: 'https://shop.example.com/a' } };
    const result = parseRecordBody(JSON.stringify(eventBridgeEnvelope(detail)));
    expect(result).toEqual({ ok: true, record: detail });
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
