import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { toSourceRecords, type BatchEvent } from '../../../lambda/runtime/source-records';
import { kinesisRecord, QUEUE_ARN, sqsRecord, STREAM_ARN } from '../support/fixtures';

describe('toSourceRecords', () => {
  describe('Kinesis', () => {
    const seq = '49590338271490256608559692538361571095921575989136588898';

    it('decodes the base64 data and takes the item id, shard and arrival time from the record', () => {
      const body = '{"eventId":"evt-1","note":"héllo ✓"}';
      const event: KinesisStreamEvent = {
        Records: [kinesisRecord(body, { sequenceNumber: seq, shardId: 'shardId-000000000007', approximateArrivalTimestamp: 1795514400.25 })],
      };

      const [record] = toSourceRecords(event);

      expect(event.Records[0].kinesis.data).not.toBe(body);
      expect(event.Records[0].eventID).toBe(`shardId-000000000007:${seq}`);
      expect(record).toEqual({
        itemId: seq,
        position: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000007', sequenceNumber: seq },
        body,
        receivedAtMs: 1795514400250,
      });
    });

    it('converts the arrival timestamp from seconds to whole milliseconds', () => {
      const [record] = toSourceRecords({ Records: [kinesisRecord('{}', { approximateArrivalTimestamp: 1795514400.1236 })] });
      expect(record.receivedAtMs).toBe(1795514400124);
      expect(new Date(record.receivedAtMs).toISOString()).toBe('2026-11-24T10:00:00.124Z');
    });

    it('keeps the delivery order', () => {
      const event: KinesisStreamEvent = {
        Records: ['a', 'b', 'c'].map((b, i) => kinesisRecord(b, { sequenceNumber: `${seq.slice(0, -1)}${i}` })),
      };
      expect(toSourceRecords(event).map((r) => [r.body, r.itemId])).toEqual([
        ['a', `${seq.slice(0, -1)}0`],
        ['b', `${seq.slice(0, -1)}1`],
        ['c', `${seq.slice(0, -1)}2`],
      ]);
    });
  });

  describe('SQS', () => {
    it('uses the message id as item id and SentTimestamp as the receive time', () => {
      const body = '{"eventId":"evt-2"}';
      const event: SQSEvent = { Records: [sqsRecord(body, { messageId: 'c80e8021-a70a-42c7-a470-796e1186f753', sentTimestamp: 1795514400999 })] };

      const [record] = toSourceRecords(event);

      expect(record).toEqual({
        itemId: 'c80e8021-a70a-42c7-a470-796e1186f753',
        position: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'c80e8021-a70a-42c7-a470-796e1186f753' },
        body,
        receivedAtMs: 1795514400999,
      });
    });

    it('passes the body through untouched (no base64 decoding)', () => {
      const body = 'eyJub3QiOiJkZWNvZGVkIn0=';
      expect(toSourceRecords({ Records: [sqsRecord(body)] })[0].body).toBe(body);
    });

    it('falls back to the current time when SentTimestamp is missing', () => {
      const now = jest.spyOn(Date, 'now').mockReturnValue(1795514401234);
      try {
        expect(toSourceRecords({ Records: [sqsRecord('{}', { sentTimestamp: null })] })[0].receivedAtMs).toBe(1795514401234);
      } finally {
        now.mockRestore();
      }
    });
  });

  it('handles an empty batch', () => {
    expect(toSourceRecords({ Records: [] })).toEqual([]);
  });

  it('rejects an unsupported event source, naming it', () => {
    const record = { ...sqsRecord('{}'), eventSource: 'aws:dynamodb' };
    expect(() => toSourceRecords({ Records: [record] } as SQSEvent)).toThrow(/unsupported event source "aws:dynamodb"/);
  });

  it('rejects a record without an event source', () => {
    expect(() => toSourceRecords({ Records: [{ body: '{}' }] } as unknown as SQSEvent)).toThrow(/unsupported event source/);
  });

  it.each([
    ['an object without Records', {}],
    ['Records that are not an array', { Records: 'nope' }],
    ['an EventBridge event invoking the function directly', { 'detail-type': 'x', source: 'y', detail: {} }],
  ])('rejects %s with a clear error', (_label, event) => {
    expect(() => toSourceRecords(event as unknown as BatchEvent)).toThrow(
      'cdk-serverless-etl runtime: the event has no Records array (expected a Kinesis or SQS batch)',
    );
  });
});
