import type { Envelope } from '../../../lambda/runtime/envelope';
import { idempotencyKey } from '../../../lambda/runtime/idempotency-key';
import { createPiiHasher } from '../../../lambda/runtime/pii-masking';
import { partitionOf, processBatch, type DuplicateFilter } from '../../../lambda/runtime/process-batch';
import { payloadHashId } from '../../../lambda/runtime/record-id';
import type { SourceRecord } from '../../../lambda/runtime/source-records';
import type { PipelineRecord, TransformContext, TransformFn, TransformModule } from '../../../lambda/runtime/transform-contract';
import { clickstreamSchemas, QUEUE_ARN, sampleEventLines, STREAM_ARN, testConfig } from '../support/fixtures';

const config = testConfig();
const RECEIVED_MS = Date.parse('2026-11-24T10:15:00.500Z');

function sqs(body: unknown, messageId = 'msg-1', receivedAtMs = RECEIVED_MS): SourceRecord {
  return {
    itemId: messageId,
    position: { kind: 'sqs', queueArn: QUEUE_ARN, messageId },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    receivedAtMs,
  };
}

function kinesis(body: unknown, sequenceNumber: string): SourceRecord {
  return {
    itemId: sequenceNumber,
    position: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000001', sequenceNumber },
    body: JSON.stringify(body),
    receivedAtMs: RECEIVED_MS,
  };
}

function moduleOf(transform: TransformFn): TransformModule {
  return { transform };
}

const event = (id: string, extra: PipelineRecord = {}): PipelineRecord => ({
  eventId: id,
  eventTime: '2026-11-24T09:30:00Z',
  value: 1,
  ...extra,
});

describe('processBatch', () => {
  it('curates the object a transform returns, partitioned by event time', async () => {
    const outcome = await processBatch([sqs(event('evt-1'))], moduleOf((r) => ({ id: r.eventId, doubled: 2 })), config);

    expect(outcome).toEqual({
      curated: [
        {
          itemId: 'msg-1',
          recordId: 'evt-1',
          partition: 'dt=2026-11-24/hr=09',
          eventTime: '2026-11-24T09:30:00.000Z',
          eventTimeFromRecord: true,
          source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'msg-1' },
          receivedAt: '2026-11-24T10:15:00.500Z',
          records: [{ id: 'evt-1', doubled: 2 }],
          lines: ['{"id":"evt-1","doubled":2}'],
        },
      ],
      quarantined: [],
      dropped: [],
      duplicates: [],
      deferred: [],
    });
    expect(outcome.curated[0].schemaVersion).toBeUndefined();
    expect(outcome.curated[0].staleObjectKey).toBeUndefined();
  });

  it('supports async transforms', async () => {
    const outcome = await processBatch([sqs(event('evt-1'))], moduleOf(async (r) => ({ id: r.eventId })), config);
    expect(outcome.curated[0].records).toEqual([{ id: 'evt-1' }]);
  });

  it('falls back to the receive time partition when the event time is missing', async () => {
    const outcome = await processBatch([sqs({ eventId: 'evt-1' })], moduleOf((r) => r), config);
    expect(outcome.curated[0]).toMatchObject({
      partition: 'dt=2026-11-24/hr=10',
      eventTime: '2026-11-24T10:15:00.500Z',
      eventTimeFromRecord: false,
    });
  });

  it('uses the configured id and event time fields', async () => {
    const custom = testConfig({ idField: 'uuid', eventTimeField: 'ts' });
    const outcome = await processBatch(
      [sqs({ uuid: 'u-1', ts: '2026-01-02T03:04:05Z', eventId: 'ignored', eventTime: '2026-11-24T09:00:00Z' })],
      moduleOf((r) => r),
      custom,
    );
    expect(outcome.curated[0]).toMatchObject({ recordId: 'u-1', partition: 'dt=2026-01-02/hr=03' });
  });

  it('fans out an array of objects', async () => {
    const outcome = await processBatch(
      [sqs(event('evt-1'))],
      moduleOf((r) => [
        { id: r.eventId, part: 1 },
        { id: r.eventId, part: 2 },
        { id: r.eventId, part: 3 },
      ]),
      config,
    );
    expect(outcome.curated).toHaveLength(1);
    expect(outcome.curated[0].records).toEqual([
      { id: 'evt-1', part: 1 },
      { id: 'evt-1', part: 2 },
      { id: 'evt-1', part: 3 },
    ]);
    expect(outcome.quarantined).toEqual([]);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
  ])('drops a record on purpose when the transform returns %s', async (_label, value) => {
    const outcome = await processBatch([sqs(event('evt-1'), 'drop-me'), sqs(event('evt-2'), 'keep-me')], moduleOf((r) => (r.eventId === 'evt-1' ? value : r)), config);
    expect(outcome.dropped).toEqual(['drop-me']);
    expect(outcome.curated.map((c) => c.itemId)).toEqual(['keep-me']);
    expect(outcome.quarantined).toEqual([]);
  });

  it('quarantines a throwing transform as TRANSFORM_ERROR with the error, input and position, and goes on', async () => {
    const input = event('evt-1', { email: 'a@example.com' });
    const outcome = await processBatch(
      [sqs(input, 'bad'), sqs(event('evt-2'), 'good')],
      moduleOf((r) => {
        if (r.eventId === 'evt-1') throw new TypeError('page.url must be a string');
        return r;
      }),
      config,
    );

    expect(outcome.quarantined).toEqual([
      {
        itemId: 'bad',
        recordId: 'evt-1',
        reason: 'TRANSFORM_ERROR',
        error: 'TypeError: page.url must be a string',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'bad' },
        receivedAt: '2026-11-24T10:15:00.500Z',
        input,
      },
    ]);
    expect(outcome.curated.map((c) => c.itemId)).toEqual(['good']);
  });

  it('quarantines a rejected promise and a thrown non-Error', async () => {
    const outcome = await processBatch(
      [sqs(event('evt-1'), 'a'), sqs(event('evt-2'), 'b')],
      moduleOf(async (r) => {
        if (r.eventId === 'evt-1') throw new RangeError('async failure');
        throw 'plain string failure';
      }),
      config,
    );
    expect(outcome.quarantined.map((q) => [q.itemId, q.reason, q.error])).toEqual([
      ['a', 'TRANSFORM_ERROR', 'RangeError: async failure'],
      ['b', 'TRANSFORM_ERROR', 'plain string failure'],
    ]);
  });

  it.each([
    ['a string', 'not an object'],
    ['a number', 42],
    ['a boolean', true],
    ['an array with a non-object', [{ ok: 1 }, 'nope']],
    ['an array with null', [null]],
    ['a nested array', [[{ ok: 1 }]]],
  ])('quarantines a transform returning %s as INVALID_OUTPUT', async (_label, value) => {
    const input = event('evt-1');
    const outcome = await processBatch([sqs(input)], moduleOf(() => value as unknown as PipelineRecord), config);
    expect(outcome.curated).toEqual([]);
    expect(outcome.dropped).toEqual([]);
    expect(outcome.quarantined).toEqual([
      expect.objectContaining({
        itemId: 'msg-1',
        recordId: 'evt-1',
        reason: 'INVALID_OUTPUT',
        error: 'transform must return an object, an array of objects, or null',
        input,
      }),
    ]);
  });

  it.each([
    ['missing', { eventTime: '2026-11-24T09:00:00Z' }],
    ['empty', { eventId: '' }],
    ['null', { eventId: null }],
    ['an object', { eventId: { v: 1 } }],
    ['a boolean', { eventId: true }],
  ])('quarantines a record whose id is %s as MISSING_ID without calling the transform', async (_label, input) => {
    const transform = jest.fn((r: PipelineRecord) => r);
    const outcome = await processBatch([sqs(input)], moduleOf(transform), config);
    expect(transform).not.toHaveBeenCalled();
    expect(outcome.quarantined).toEqual([
      {
        itemId: 'msg-1',
        reason: 'MISSING_ID',
        error: 'field "eventId" must be a non-empty string or a number',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'msg-1' },
        receivedAt: '2026-11-24T10:15:00.500Z',
        input,
      },
    ]);
  });

  it('accepts a numeric id and passes it on as a string', async () => {
    const outcome = await processBatch([sqs({ eventId: 0 }), sqs({ eventId: 1234 }, 'msg-2')], moduleOf((r) => r), config);
    expect(outcome.curated.map((c) => c.recordId)).toEqual(['0', '1234']);
  });

  it('quarantines malformed JSON and non-objects with the raw body, without calling the transform', async () => {
    const transform = jest.fn((r: PipelineRecord) => r);
    const outcome = await processBatch([sqs('{"eventId": "evt-0014"', 'broken'), sqs('[1,2,3]', 'array')], moduleOf(transform), config);
    expect(transform).not.toHaveBeenCalled();
    expect(outcome.quarantined).toEqual([
      expect.objectContaining({ itemId: 'broken', reason: 'MALFORMED_JSON', input: '{"eventId": "evt-0014"' }),
      expect.objectContaining({ itemId: 'array', reason: 'NOT_AN_OBJECT', input: '[1,2,3]', error: 'expected a JSON object, got an array' }),
    ]);
    expect(outcome.quarantined[0].recordId).toBeUndefined();
  });

  it('gives the transform the pipeline, stage, record id, source position and receive time', async () => {
    const contexts: TransformContext[] = [];
    const records: PipelineRecord[] = [];
    await processBatch(
      [kinesis(event('evt-k'), '49590000000000000000000000000000000000000000000000000001'), sqs(event('evt-s'), 'msg-7')],
      moduleOf((r, ctx) => {
        records.push(r);
        contexts.push(ctx);
        return r;
      }),
      testConfig({ pipeline: 'orders', stage: 'enrich' }),
    );

    expect(records.map((r) => r.eventId)).toEqual(['evt-k', 'evt-s']);
    expect(contexts).toEqual([
      {
        pipeline: 'orders',
        stage: 'enrich',
        recordId: 'evt-k',
        eventTime: '2026-11-24T09:30:00.000Z',
        source: {
          kind: 'kinesis',
          streamArn: STREAM_ARN,
          shardId: 'shardId-000000000001',
          sequenceNumber: '49590000000000000000000000000000000000000000000000000001',
        },
        receivedAt: '2026-11-24T10:15:00.500Z',
      },
      {
        pipeline: 'orders',
        stage: 'enrich',
        recordId: 'evt-s',
        eventTime: '2026-11-24T09:30:00.000Z',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'msg-7' },
        receivedAt: '2026-11-24T10:15:00.500Z',
      },
    ]);
  });

  it('gives the transform the EventBridge detail, not the envelope', async () => {
    const detail = event('evt-eb');
    const seen: PipelineRecord[] = [];
    const envelope = { version: '0', id: 'eb-1', 'detail-type': 'ClickstreamEvent', source: 'com.example.storefront', detail };
    const outcome = await processBatch(
      [sqs(envelope)],
      moduleOf((r) => {
        seen.push(r);
        return r;
      }),
      config,
    );
    expect(seen).toEqual([detail]);
    expect(outcome.curated[0]).toMatchObject({ recordId: 'evt-eb', partition: 'dt=2026-11-24/hr=09' });
  });

  it('sorts a mixed batch and keeps the input order within each outcome', async () => {
    const outcome = await processBatch(
      [
        sqs(event('evt-1'), 'm1'),
        sqs('nope', 'm2'),
        sqs(event('evt-3', { drop: true }), 'm3'),
        sqs(event('evt-4'), 'm4'),
        sqs({ value: 1 }, 'm5'),
        sqs(event('evt-6', { fail: true }), 'm6'),
        sqs(event('evt-7', { drop: true }), 'm7'),
      ],
      moduleOf((r) => {
        if (r.fail) throw new Error('boom');
        return r.drop ? null : { id: r.eventId };
      }),
      config,
    );
    expect(outcome.curated.map((c) => c.itemId)).toEqual(['m1', 'm4']);
    expect(outcome.quarantined.map((q) => [q.itemId, q.reason])).toEqual([
      ['m2', 'MALFORMED_JSON'],
      ['m5', 'MISSING_ID'],
      ['m6', 'TRANSFORM_ERROR'],
    ]);
    expect(outcome.dropped).toEqual(['m3', 'm7']);
    expect(outcome.duplicates).toEqual([]);
  });
});

describe('processBatch: empty fan-out', () => {
  it('counts a transform returning [] as dropped on purpose, not curated', async () => {
    const input = JSON.stringify({ eventId: 'evt-e', eventTime: '2026-11-24T09:00:00Z' });
    const outcome = await processBatch(
      [{ itemId: 'm', position: { kind: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', messageId: 'm' }, body: input, receivedAtMs: 0 }],
      { transform: () => [] },
      testConfig({ idField: 'eventId', eventTimeField: 'eventTime' }),
    );
    expect(outcome.curated).toEqual([]);
    expect(outcome.dropped).toEqual(['m']);
  });
});

describe('processBatch: record ids and duplicates', () => {
  it('uses a hash of the payload as id when no id field is configured', async () => {
    const record = { user: 'u', n: 1 };
    const outcome = await processBatch([sqs(record)], moduleOf((r) => r), testConfig({ idField: undefined }));
    expect(outcome.curated[0].recordId).toBe(payloadHashId(record));
  });

  it('skips and counts later records with an id already seen in the batch, without transforming them', async () => {
    const transform = jest.fn((r: PipelineRecord) => ({ id: r.eventId }));
    const outcome = await processBatch(
      [sqs(event('evt-1'), 'm1'), sqs(event('evt-2'), 'm2'), sqs(event('evt-1', { value: 2 }), 'm3'), sqs(event('evt-1'), 'm4')],
      moduleOf(transform),
      config,
    );
    expect(outcome.curated.map((c) => c.itemId)).toEqual(['m1', 'm2']);
    // Each in-batch duplicate names the item it duplicates (it shares that item's fate).
    expect(outcome.duplicates).toEqual([
      { itemId: 'm3', recordId: 'evt-1', of: 'm1' },
      { itemId: 'm4', recordId: 'evt-1', of: 'm1' },
    ]);
    expect(transform).toHaveBeenCalledTimes(2);
  });

  it('dedupes identical payloads in the batch when ids are hashes', async () => {
    const outcome = await processBatch([sqs({ a: 1, b: 2 }, 'm1'), sqs({ b: 2, a: 1 }, 'm2'), sqs({ a: 1, b: 3 }, 'm3')], moduleOf((r) => r), testConfig({ idField: undefined }));
    expect(outcome.curated.map((c) => c.itemId)).toEqual(['m1', 'm3']);
    expect(outcome.duplicates.map((d) => d.itemId)).toEqual(['m2']);
  });

  it('asks the duplicate filter about the first record of each id only, then skips its duplicates and passes stale claims on', async () => {
    const seen: Array<Array<Pick<Envelope, 'id' | 'itemId'>>> = [];
    const duplicateFilter: DuplicateFilter = async (envelopes) => {
      seen.push([...envelopes]);
      return { duplicates: new Set(['m2']), stale: new Map([['evt-3', 'clicks/dt=2026-11-24/hr=09/old.jsonl.gz']]) };
    };
    const transform = jest.fn((r: PipelineRecord) => r);
    const outcome = await processBatch(
      [sqs(event('evt-1'), 'm1'), sqs(event('evt-2'), 'm2'), sqs(event('evt-3'), 'm3'), sqs(event('evt-1'), 'm4'), sqs('bad json', 'm5')],
      moduleOf(transform),
      config,
      { duplicateFilter },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0].map((e) => [e.itemId, e.id])).toEqual([
      ['m1', 'evt-1'],
      ['m2', 'evt-2'],
      ['m3', 'evt-3'],
    ]);
    expect(transform).toHaveBeenCalledTimes(2);
    expect(outcome.curated.map((c) => [c.itemId, c.staleObjectKey])).toEqual([
      ['m1', undefined],
      ['m3', 'clicks/dt=2026-11-24/hr=09/old.jsonl.gz'],
    ]);
    // In-batch duplicates name their first item; duplicates of earlier batches do not.
    expect(outcome.duplicates).toEqual([
      { itemId: 'm4', recordId: 'evt-1', of: 'm1' },
      { itemId: 'm2', recordId: 'evt-2' },
    ]);
    expect(outcome.duplicates[1].of).toBeUndefined();
    expect(outcome.quarantined.map((q) => q.itemId)).toEqual(['m5']);
  });

  it('with a record version field, dedupes by (id, version): a redelivered version is a duplicate, another version a record of its own', async () => {
    const versioned = testConfig({ recordVersionField: 'revision' });
    const transform = jest.fn((r: PipelineRecord, ctx: TransformContext) => ({ id: r.eventId, revision: r.revision, seenAs: ctx.recordId }));
    const outcome = await processBatch(
      [
        sqs(event('evt-1', { revision: 1 }), 'm1'),
        sqs(event('evt-1', { revision: 2 }), 'm2'),
        sqs(event('evt-1', { revision: 1 }), 'm3'),
        sqs(event('evt-1'), 'm4'),
        sqs(event('evt-1', { revision: null }), 'm5'),
      ],
      moduleOf(transform),
      versioned,
    );
    expect(outcome.curated.map((c) => [c.itemId, c.recordId, c.version, idempotencyKey({ id: c.recordId, version: c.version })])).toEqual([
      ['m1', 'evt-1', '1', 'evt-1#1'],
      ['m2', 'evt-1', '2', 'evt-1#2'],
      ['m4', 'evt-1', null, 'evt-1'],
    ]);
    expect(outcome.duplicates).toEqual([
      { itemId: 'm3', recordId: 'evt-1', of: 'm1' },
      { itemId: 'm5', recordId: 'evt-1', of: 'm4' },
    ]);
    // The transform sees the record id, not the key.
    expect(outcome.curated.map((c) => c.records[0].seenAs)).toEqual(['evt-1', 'evt-1', 'evt-1']);
    expect(transform).toHaveBeenCalledTimes(3);
  });

  it('with a record version field, asks the duplicate filter about the (id, version) key and passes its stale claims on by that key', async () => {
    const seen: string[] = [];
    const duplicateFilter: DuplicateFilter = async (envelopes) => {
      seen.push(...envelopes.map(idempotencyKey));
      return { duplicates: new Set(['m1']), stale: new Map([['evt-1#3', 'old-object']]), inFlight: new Set(['m3']) };
    };
    const outcome = await processBatch(
      [sqs(event('evt-1', { revision: 2 }), 'm1'), sqs(event('evt-1', { revision: 3 }), 'm2'), sqs(event('evt-2', { revision: 'b#1' }), 'm3')],
      moduleOf((r) => r),
      testConfig({ recordVersionField: 'revision' }),
      { duplicateFilter },
    );
    expect(seen).toEqual(['evt-1#2', 'evt-1#3', 'evt-2#b\\#1']);
    expect(outcome.duplicates).toEqual([{ itemId: 'm1', recordId: 'evt-1' }]);
    expect(outcome.curated.map((c) => [c.itemId, c.staleObjectKey])).toEqual([['m2', 'old-object']]);
    expect(outcome.deferred).toEqual([{ itemId: 'm3', recordId: 'evt-2', version: 'b#1', position: expect.objectContaining({ messageId: 'm3' }) }]);
  });

  it('lets a failing duplicate filter fail the batch (a transient failure)', async () => {
    await expect(
      processBatch([sqs(event('evt-1'))], moduleOf((r) => r), config, {
        duplicateFilter: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      }),
    ).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('processBatch: schemas and PII', () => {
  const hasher = createPiiHasher('process-batch-test-key-0123456789');
  const schemas = clickstreamSchemas();
  const SAMPLE = sampleEventLines();
  const valid = JSON.parse(SAMPLE[0]) as PipelineRecord;

  it('validates, masks, then transforms: the transform never sees raw PII', async () => {
    const seen: Array<[PipelineRecord, TransformContext]> = [];
    const outcome = await processBatch(
      [sqs(valid)],
      moduleOf((r, ctx) => {
        seen.push([r, ctx]);
        return r;
      }),
      config,
      { schemas, hasher },
    );
    const { email: _e, ip: _i, ...rest } = valid;
    expect(seen[0][0]).toEqual({ ...rest, userId: hasher('user-101') });
    expect(seen[0][1].schemaVersion).toBe('1');
    expect(outcome.curated[0]).toMatchObject({ schemaVersion: '1', recordId: 'evt-0001' });
    expect(outcome.curated[0].lines[0]).not.toMatch(/user-101|user1@example\.com|203\.0\.113\.1/);
  });

  it('quarantines a schema mismatch with its errors, masked with every version’s PII fields, without transforming it', async () => {
    const transform = jest.fn((r: PipelineRecord) => r);
    const input = { ...valid, eventType: 'scroll' };
    const outcome = await processBatch([sqs(input, 'bad')], moduleOf(transform), config, { schemas, hasher });
    expect(transform).not.toHaveBeenCalled();
    expect(outcome.quarantined).toEqual([
      {
        itemId: 'bad',
        recordId: 'evt-0001',
        reason: 'SCHEMA_MISMATCH',
        error: '/eventType must be equal to one of the allowed values',
        errors: ['/eventType must be equal to one of the allowed values'],
        schemaVersion: '1',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'bad' },
        receivedAt: '2026-11-24T10:15:00.500Z',
        input: { ...input, email: undefined, ip: undefined, userId: hasher('user-101') },
      },
    ]);
    expect(outcome.quarantined[0].input).not.toHaveProperty('email');
    expect(outcome.quarantined[0].input).not.toHaveProperty('ip');
  });

  it('quarantines an unknown schema version as UNKNOWN_SCHEMA_VERSION, masked', async () => {
    const drifted = JSON.parse(SAMPLE[15]) as PipelineRecord;
    const outcome = await processBatch([sqs(drifted)], moduleOf((r) => r), config, { schemas, hasher });
    expect(outcome.quarantined).toEqual([
      expect.objectContaining({ reason: 'UNKNOWN_SCHEMA_VERSION', schemaVersion: '3', recordId: 'evt-0015', errors: [expect.stringContaining('"3" is not registered')] }),
    ]);
    expect(JSON.stringify(outcome.quarantined[0].input)).not.toMatch(/user-100|user0@example\.com|203\.0\.113\.15/);
  });

  it('quarantines a throwing transform with the masked input', async () => {
    const outcome = await processBatch(
      [sqs(valid)],
      moduleOf(() => {
        throw new Error('boom');
      }),
      config,
      { schemas, hasher },
    );
    expect(outcome.quarantined[0]).toMatchObject({ reason: 'TRANSFORM_ERROR', input: { userId: hasher('user-101') } });
    expect(JSON.stringify(outcome.quarantined[0].input)).not.toMatch(/user-101|@example\.com|203\.0\.113\./);
  });

  it('masks a record without an id before quarantining it', async () => {
    const { eventId: _id, ...noId } = valid;
    const outcome = await processBatch([sqs(noId)], moduleOf((r) => r), config, { schemas, hasher });
    expect(outcome.quarantined[0]).toMatchObject({ reason: 'MISSING_ID', input: { userId: hasher('user-101') } });
    expect(JSON.stringify(outcome.quarantined[0].input)).not.toMatch(/user-101|@example\.com|203\.0\.113\./);
  });

  it('scrubs the PII fields out of malformed text before quarantining it', async () => {
    const truncated = SAMPLE[0].slice(0, SAMPLE[0].indexOf('"properties"'));
    const outcome = await processBatch([sqs(truncated), sqs('["user-101","user1@example.com"]', 'arr')], moduleOf((r) => r), config, { schemas, hasher });
    expect(outcome.quarantined[0]).toMatchObject({ reason: 'MALFORMED_JSON' });
    expect(outcome.quarantined[0].input).toEqual(expect.stringContaining('"eventId":"evt-0001"'));
    expect(outcome.quarantined[0].input).not.toMatch(/user-101|user1@example\.com|203\.0\.113\.1/);
    // Text without field names cannot be scrubbed field by field; it is kept as is (best effort).
    expect(outcome.quarantined[1]).toMatchObject({ reason: 'NOT_AN_OBJECT' });
  });

  it('does not let a JSON parser message carry PII into quarantine', async () => {
    // A producer template bug: an unquoted value. V8's message quotes the text around the bad token.
    const body = '{"eventId":"evt-m3","userId":user-778,"email":"m3@example.com"}';
    const outcome = await processBatch([sqs(body)], moduleOf((r) => r), config, { schemas, hasher });
    expect(outcome.quarantined[0].reason).toBe('MALFORMED_JSON');
    expect(JSON.stringify(outcome.quarantined[0])).not.toMatch(/user-778|m3@example\.com/);
  });

  it('throws when a schema hashes a field and no hasher is given (a configuration error)', async () => {
    await expect(processBatch([sqs(valid)], moduleOf((r) => r), config, { schemas })).rejects.toThrow(/no hashing key is configured/);
  });
});

describe('partitionOf', () => {
  it('is the Hive-style UTC date and hour', () => {
    expect(partitionOf('2026-11-24T09:59:59.999Z')).toBe('dt=2026-11-24/hr=09');
    expect(partitionOf('2026-01-02T23:00:00.000Z')).toBe('dt=2026-01-02/hr=23');
  });
});

describe('processBatch with a current table', () => {
  const tableConfig = testConfig({ currentTable: { keyField: 'orderId' } });
  const now = () => Date.parse('2026-11-24T10:15:01.000Z');

  it('writes the lakehouse columns on every curated line: key, op, times, versions, position', async () => {
    const outcome = await processBatch([kinesis(event('evt-1', { orderId: 'o-1' }), '42')], moduleOf((r) => ({ orderId: r.orderId, total: 3 })), tableConfig, { now });
    expect(outcome.quarantined).toEqual([]);
    expect(JSON.parse(outcome.curated[0].lines[0])).toEqual({
      orderId: 'o-1',
      total: 3,
      _etl_key: 'o-1',
      _etl_op: 'upsert',
      _etl_event_time: '2026-11-24T09:30:00.000Z',
      _etl_processed_at: '2026-11-24T10:15:01.000Z',
      _etl_transform_version: 'v-test',
      _etl_schema_version: null,
      _etl_position: 'shardId-000000000001/42#000000',
    });
  });

  it('writes a delete the transform returns, ordered by the input event time', async () => {
    const { deleteRecord } = await import('../../../lambda/runtime/record-operations');
    const outcome = await processBatch([kinesis(event('evt-2', { orderId: 'o-1' }), '43')], moduleOf((r) => deleteRecord(String(r.orderId))), tableConfig, { now });
    expect(JSON.parse(outcome.curated[0].lines[0])).toMatchObject({ _etl_key: 'o-1', _etl_op: 'delete', _etl_event_time: '2026-11-24T09:30:00.000Z' });
  });

  it('quarantines outputs it cannot key, or that set reserved columns, with the reason', async () => {
    const outcome = await processBatch(
      [kinesis(event('evt-3'), '44'), kinesis(event('evt-4', { orderId: 'o-4' }), '45')],
      moduleOf((r) => (r.eventId === 'evt-3' ? { total: 1 } : { orderId: r.orderId, _etl_op: 'upsert' })),
      tableConfig,
      { now },
    );
    expect(outcome.curated).toEqual([]);
    expect(outcome.quarantined.map((q) => [q.recordId, q.reason, q.error])).toEqual([
      ['evt-3', 'INVALID_OUTPUT', 'output 0 has no table key: field "orderId" must be a non-empty string or a number'],
      ['evt-4', 'INVALID_OUTPUT', 'output 0 sets "_etl_op": fields starting with "_etl_" are the runtime\'s (return deleteRecord(key) to delete a row)'],
    ]);
  });

  it('leaves pipelines without a current table unchanged, and quarantines a delete there', async () => {
    const plain = await processBatch([sqs(event('evt-1'))], moduleOf((r) => ({ id: r.eventId })), config);
    expect(plain.curated[0].lines).toEqual(['{"id":"evt-1"}']);
    const deleted = await processBatch([sqs(event('evt-1'))], moduleOf(() => ({ _etl_op: 'delete', _etl_key: 'evt-1' })), config);
    expect(deleted.quarantined.map((q) => [q.reason, q.error])).toEqual([
      ['INVALID_OUTPUT', 'transform returned a delete (deleteRecord), but the pipeline keeps no current table'],
    ]);
  });
});
