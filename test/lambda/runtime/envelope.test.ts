import { toEnvelope } from '../../../lambda/runtime/envelope';
import { payloadHashId } from '../../../lambda/runtime/record-id';
import type { SourceRecord } from '../../../lambda/runtime/source-records';
import type { SourcePosition } from '../../../lambda/runtime/transform-contract';
import { eventBridgeEnvelope, QUEUE_ARN, sampleEventLines, STREAM_ARN, testConfig } from '../support/fixtures';

const RECEIVED_MS = Date.parse('2026-11-24T10:15:00.500Z');
const SQS_POSITION: SourcePosition = { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'msg-1' };

function source(body: unknown, position: SourcePosition = SQS_POSITION, itemId = 'msg-1'): SourceRecord {
  return { itemId, position, body: typeof body === 'string' ? body : JSON.stringify(body), receivedAtMs: RECEIVED_MS };
}

const withIdField = testConfig(); // idField eventId, eventTimeField eventTime
const hashIds = testConfig({ idField: undefined });
const SAMPLE_0 = JSON.parse(sampleEventLines()[0]) as Record<string, unknown>;

describe('toEnvelope', () => {
  it('builds the envelope of a plain record: id from the id field, event time from the record', () => {
    expect(toEnvelope(source(SAMPLE_0), withIdField)).toEqual({
      ok: true,
      envelope: {
        itemId: 'msg-1',
        id: 'evt-0001',
        source: 'sqs',
        type: undefined,
        eventTime: '2026-11-24T09:00:07.000Z',
        eventTimeFromRecord: true,
        receivedAt: '2026-11-24T10:15:00.500Z',
        payload: SAMPLE_0,
        position: SQS_POSITION,
      },
    });
  });

  describe('record id', () => {
    it('is a hash of the payload when no id field is configured', () => {
      const result = toEnvelope(source(SAMPLE_0), hashIds);
      expect(result.ok && result.envelope.id).toBe(payloadHashId(SAMPLE_0));
      expect(result.ok && result.envelope.id).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes the record the same whatever its key order or how it was delivered', () => {
      const reordered = Object.fromEntries(Object.entries(SAMPLE_0).reverse());
      const a = toEnvelope(source(SAMPLE_0), hashIds);
      const b = toEnvelope(
        source(reordered, { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000000', sequenceNumber: '1' }, '1'),
        hashIds,
      );
      const c = toEnvelope(source(eventBridgeEnvelope(SAMPLE_0)), hashIds);
      expect(a.ok && b.ok && c.ok).toBe(true);
      if (!a.ok || !b.ok || !c.ok) return;
      expect(b.envelope.id).toBe(a.envelope.id);
      // The EventBridge envelope is not part of the hash: only its detail is the payload.
      expect(c.envelope.id).toBe(a.envelope.id);
    });

    it('gives different payloads different hash ids', () => {
      const a = toEnvelope(source(SAMPLE_0), hashIds);
      const b = toEnvelope(source({ ...SAMPLE_0, eventType: 'purchase' }), hashIds);
      expect(a.ok && b.ok && a.envelope.id !== b.envelope.id).toBe(true);
    });

    it('accepts a number as id and makes it a string', () => {
      for (const [value, id] of [
        [0, '0'],
        [1234, '1234'],
        [-7.5, '-7.5'],
      ] as const) {
        const result = toEnvelope(source({ eventId: value }), withIdField);
        expect(result).toMatchObject({ ok: true, envelope: { id } });
      }
    });

    it.each([
      ['missing', { eventTime: '2026-11-24T09:00:00Z' }],
      ['empty', { eventId: '' }],
      ['null', { eventId: null }],
      ['an object', { eventId: { v: 1 } }],
      ['an array', { eventId: ['evt-1'] }],
      ['a boolean', { eventId: true }],
    ])('fails with MISSING_ID when the id field is %s, with the parsed record as input', (_label, record) => {
      expect(toEnvelope(source(record), withIdField)).toEqual({
        ok: false,
        reason: 'MISSING_ID',
        message: 'field "eventId" must be a non-empty string or a number',
        input: record,
      });
    });

    it('never fails for a missing id when ids are hashes', () => {
      expect(toEnvelope(source({ eventTime: '2026-11-24T09:00:00Z' }), hashIds).ok).toBe(true);
    });
  });

  describe('event time', () => {
    it.each([
      ['an ISO-8601 UTC time', '2026-11-24T09:30:00Z', '2026-11-24T09:30:00.000Z'],
      ['an ISO-8601 time with an offset', '2026-11-24T11:30:00+02:00', '2026-11-24T09:30:00.000Z'],
      ['epoch milliseconds', Date.parse('2026-11-24T09:30:00.250Z'), '2026-11-24T09:30:00.250Z'],
    ])('parses %s', (_label, value, expected) => {
      const result = toEnvelope(source({ eventId: 'e', eventTime: value }), withIdField);
      expect(result).toMatchObject({ ok: true, envelope: { eventTime: expected, eventTimeFromRecord: true } });
    });

    it.each([
      ['missing', {}],
      ['not a date', { eventTime: 'yesterday-ish' }],
      ['null', { eventTime: null }],
      ['a boolean', { eventTime: true }],
      ['an object', { eventTime: { iso: '2026-11-24T09:30:00Z' } }],
    ])('falls back to the receive time when it is %s', (_label, extra) => {
      const result = toEnvelope(source({ eventId: 'e', ...extra }), withIdField);
      expect(result).toMatchObject({
        ok: true,
        envelope: { eventTime: '2026-11-24T10:15:00.500Z', eventTimeFromRecord: false, receivedAt: '2026-11-24T10:15:00.500Z' },
      });
    });

    it.each([
      ['before firstPartitionDate', '2023-12-31T23:59:59Z'],
      ['epoch seconds (read as milliseconds: January 1970)', Math.floor(Date.parse('2026-11-24T09:30:00Z') / 1000)],
      ['"1" (read as 2001)', '1'],
      ['1e15 (year 33658, dt=+033658-09)', 1e15],
      ['far in the future', '2099-01-01T00:00:00Z'],
      ['more than the skew past the receive time', '2026-11-24T10:30:01Z'],
    ])('falls back to the receive time, flagged out of bounds, when the event time is %s', (_label, value) => {
      const result = toEnvelope(source({ eventId: 'e', eventTime: value }), withIdField);
      expect(result).toMatchObject({
        ok: true,
        envelope: { eventTime: '2026-11-24T10:15:00.500Z', eventTimeFromRecord: false, eventTimeOutOfBounds: true },
      });
    });

    it('keeps event times within the bounds: from the earliest date to the skew past the receive time', () => {
      for (const value of ['2024-01-01T00:00:00Z', '2026-11-24T10:30:00Z']) {
        const result = toEnvelope(source({ eventId: 'e', eventTime: value }), withIdField);
        expect(result).toMatchObject({ ok: true, envelope: { eventTimeFromRecord: true } });
        expect(result.ok && result.envelope.eventTimeOutOfBounds).toBeFalsy();
      }
      // The bounds are the construct's: a later first partition date, a shorter skew.
      const bounded = testConfig({ eventTimeEarliestMs: Date.parse('2026-06-01T00:00:00Z'), eventTimeMaxSkewSeconds: 60 });
      for (const value of ['2026-05-31T23:59:59Z', '2026-11-24T10:16:01Z']) {
        expect(toEnvelope(source({ eventId: 'e', eventTime: value }), bounded)).toMatchObject({ ok: true, envelope: { eventTimeOutOfBounds: true } });
      }
      expect(toEnvelope(source({ eventId: 'e', eventTime: '2026-06-01T00:00:00Z' }), bounded)).toMatchObject({ ok: true, envelope: { eventTimeFromRecord: true } });
    });

    it('reads the configured event time field', () => {
      const config = testConfig({ eventTimeField: 'ts' });
      const result = toEnvelope(source({ eventId: 'e', ts: '2026-01-02T03:04:05Z', eventTime: '2026-11-24T09:00:00Z' }), config);
      expect(result).toMatchObject({ ok: true, envelope: { eventTime: '2026-01-02T03:04:05.000Z', eventTimeFromRecord: true } });
    });
  });

  it('keeps the EventBridge source and detail-type and unwraps the detail', () => {
    const detail = { eventId: 'evt-eb', eventTime: '2026-11-24T09:59:00Z', eventType: 'click' };
    const result = toEnvelope(source(eventBridgeEnvelope(detail, 'eb-1')), withIdField);
    expect(result).toMatchObject({
      ok: true,
      envelope: { id: 'evt-eb', source: 'com.example.storefront', type: 'ClickstreamEvent', payload: detail, eventTime: '2026-11-24T09:59:00.000Z' },
    });
  });

  it('passes the item id and the source position through unchanged', () => {
    const positions: SourcePosition[] = [
      { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000003', sequenceNumber: '4959' },
      SQS_POSITION,
      { kind: 'eventbridge', eventBusName: 'bus', eventId: 'eb-9' },
      { kind: 's3', bucket: 'raw', key: 'in/a.jsonl', line: 41 },
    ];
    for (const position of positions) {
      const result = toEnvelope(source({ eventId: 'e' }, position, 'item-x'), withIdField);
      expect(result).toMatchObject({ ok: true, envelope: { itemId: 'item-x', position, source: position.kind } });
      if (result.ok) expect(result.envelope.position).toBe(position);
    }
  });

  it('fails with MALFORMED_JSON or NOT_AN_OBJECT, with the raw body as input', () => {
    expect(toEnvelope(source('{"eventId": "evt-0014"'), withIdField)).toMatchObject({ ok: false, reason: 'MALFORMED_JSON', input: '{"eventId": "evt-0014"' });
    expect(toEnvelope(source('[1,2]'), withIdField)).toEqual({ ok: false, reason: 'NOT_AN_OBJECT', message: 'expected a JSON object, got an array', input: '[1,2]' });
  });
});
