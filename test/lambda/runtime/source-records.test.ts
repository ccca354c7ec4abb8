import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { positionId, toSourceBatch, toSourceRecords, type BatchEvent, type EventBridgeEventInput } from '../../../lambda/runtime/source-records';
import { eventBridgeEnvelope, kinesisRecord, QUEUE_ARN, sqsRecord, STREAM_ARN } from '../support/fixtures';

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
    expect(toSourceBatch({ Records: [] })).toEqual({ kind: 'sqs', records: [] });
  });

  it('rejects an unsupported event source, naming it', () => {
    const record = { ...sqsRecord('{}'), eventSource: 'aws:dynamodb' };
    expect(() => toSourceRecords({ Records: [record] } as SQSEvent)).toThrow(/unsupported event source "aws:dynamodb"/);
  });

  it('rejects a record without an event source', () => {
    expect(() => toSourceRecords({ Records: [{ body: '{}' }] } as unknown as SQSEvent)).toThrow(/unsupported event source/);
  });

  it('rejects a batch mixing Kinesis and SQS records, naming both sources', () => {
    const event = { Records: [kinesisRecord('{}'), sqsRecord('{}')] } as unknown as BatchEvent;
    expect(() => toSourceBatch(event)).toThrow('cdk-serverless-etl runtime: mixed event sources in one batch: aws:kinesis, aws:sqs');
  });

  it.each([
    ['an object without Records', {}],
    ['Records that are not an array', { Records: 'nope' }],
    ['an EventBridge-like event without an id', { 'detail-type': 'x', source: 'y', detail: {} }],
  ])('rejects %s with a clear error', (_label, event) => {
    expect(() => toSourceRecords(event as unknown as BatchEvent)).toThrow(
      'cdk-serverless-etl runtime: unsupported event (expected a Kinesis or SQS batch, an EventBridge event or s3JsonLines)',
    );
  });

  it('tells Kinesis and SQS batches apart', () => {
    expect(toSourceBatch({ Records: [kinesisRecord('{}')] }).kind).toBe('kinesis');
    expect(toSourceBatch({ Records: [sqsRecord('{}')] }).kind).toBe('sqs');
  });
});

describe('toSourceBatch: an EventBridge event invoking the function directly', () => {
  const event = {
    ...eventBridgeEnvelope({ eventId: 'evt-eb-1', eventTime: '2026-11-24T09:59:00Z' }, 'eb-direct-1'),
    'event-bus-name': 'clickstream-bus',
  } as unknown as EventBridgeEventInput;

  it('is one record, keyed by the event id, with the whole event as body and its time as receive time', () => {
    const batch = toSourceBatch(event);
    expect(batch).toEqual({
      kind: 'eventbridge',
      records: [
        {
          itemId: 'eb-direct-1',
          position: { kind: 'eventbridge', eventBusName: 'clickstream-bus', eventId: 'eb-direct-1' },
          body: JSON.stringify(event),
          receivedAtMs: Date.parse('2026-11-24T10:00:00Z'),
        },
      ],
    });
    // The body still carries the envelope: parsing unwraps it to the detail and keeps source/detail-type.
    expect(JSON.parse(batch.records[0].body)).toMatchObject({ source: 'com.example.storefront', 'detail-type': 'ClickstreamEvent' });
  });

  it('falls back to the current time when the event time is not a date', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1795514409999);
    try {
      expect(toSourceBatch({ ...event, time: 'not a time' }).records[0].receivedAtMs).toBe(1795514409999);
    } finally {
      now.mockRestore();
    }
  });

  it('leaves the bus name out when the event has none', () => {
    const { 'event-bus-name': _bus, ...withoutBus } = event;
    expect(toSourceBatch(withoutBus as EventBridgeEventInput).records[0].position).toEqual({
      kind: 'eventbridge',
      eventBusName: undefined,
      eventId: 'eb-direct-1',
    });
  });
});

describe('toSourceBatch: an s3JsonLines batch from the batch workflow', () => {
  const batch = {
    s3JsonLines: {
      bucket: 'raw-bucket',
      key: 'uploads/2026/11/24/clicks.jsonl',
      createdAt: '2026-11-24T10:30:00.000Z',
      lines: [
        { line: 7, body: '{"eventId":"evt-7"}' },
        { line: 8, body: '{"eventId":"evt-8"}' },
        { line: 12, body: 'not json' },
      ],
    },
  };

  it('makes one record per line, keyed by object key and line number, in order', () => {
    expect(toSourceBatch(batch)).toEqual({
      kind: 's3',
      records: [7, 8, 12].map((line, i) => ({
        itemId: `uploads/2026/11/24/clicks.jsonl#${line}`,
        position: { kind: 's3', bucket: 'raw-bucket', key: 'uploads/2026/11/24/clicks.jsonl', line },
        body: batch.s3JsonLines.lines[i].body,
        receivedAtMs: Date.parse('2026-11-24T10:30:00.000Z'),
      })),
    });
  });

  it('uses the current time without a valid createdAt', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1795514401111);
    try {
      const { createdAt: _createdAt, ...noTime } = batch.s3JsonLines;
      expect(toSourceBatch({ s3JsonLines: noTime }).records.map((r) => r.receivedAtMs)).toEqual([1795514401111, 1795514401111, 1795514401111]);
      expect(toSourceBatch({ s3JsonLines: { ...noTime, createdAt: 'garbage' } }).records[0].receivedAtMs).toBe(1795514401111);
    } finally {
      now.mockRestore();
    }
  });

  it('handles an object with no lines', () => {
    expect(toSourceBatch({ s3JsonLines: { ...batch.s3JsonLines, lines: [] } })).toEqual({ kind: 's3', records: [] });
  });
});

describe('positionId', () => {
  test('an S3 line is named by bucket, key, object version and line: a new upload under the same key is another input', () => {
    const line = { kind: 's3', bucket: 'raw', key: 'in/a.jsonl', line: 7 } as const;
    expect(positionId({ ...line, etag: '"abc"' })).toBe('s3/raw/in/a.jsonl@abc#7');
    expect(positionId({ ...line, etag: '"def"' })).not.toBe(positionId({ ...line, etag: '"abc"' }));
    expect(positionId(line)).toBe('s3/raw/in/a.jsonl#7');
  });
});
