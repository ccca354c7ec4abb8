/**
 * PII probes: records carrying distinctive PII values (e-mail, IP, user id), in every shape the
 * runtime has to handle, go through the real batch handler (mocked S3 and DynamoDB). No probe value
 * may appear in anything it writes: curated, quarantine, lineage, claim checks, claims, sink
 * items, logs, metrics, its response. (The raw bucket's source objects, the stream archives, the
 * event bus buffer and its DLQ hold raw input by design: the handler writes none of them.)
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import Ajv from 'ajv';
import { mockClient } from 'aws-sdk-client-mock';
import { piiFields } from '../../../lib/schema/pii-fields';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import { sinkItemKey } from '../../../lambda/runtime/dynamodb-sink';
import { createPiiHasher } from '../../../lambda/runtime/pii-masking';
import type { CompiledValidator, SchemaBundle } from '../../../lambda/runtime/schema-validation';
import type { PipelineRecord, TransformModule } from '../../../lambda/runtime/transform-contract';
import {
  allStoredObjects,
  eventBridgeEnvelope,
  fakeIdempotencyTable,
  fakeS3Objects,
  fakeS3Store,
  fakeSinkTable,
  kinesisEvent,
  lineageManifests,
  sqsEvent,
  storedObjects,
  testConfig,
} from '../support/fixtures';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
afterAll(() => {
  s3Mock.restore();
  ddbMock.restore();
});

/** The user id is the record id (`idField`) and is itself `x-pii`. */
const SCHEMA = {
  type: 'object',
  required: ['userId', 'eventTime'],
  properties: {
    schemaVersion: { enum: ['1'] },
    userId: { type: 'string', 'x-pii': 'hash' },
    eventTime: { type: 'string' },
    ip: { type: 'string', 'x-pii': 'redact' },
    // No `type`: any shape validates, so masking must follow the path whatever the shape.
    user: { properties: { email: { 'x-pii': 'redact' }, ip: { 'x-pii': 'hash' } } },
    items: { items: { properties: { email: { 'x-pii': 'hash' } } } },
    contact: { type: 'object', properties: { email: { type: 'string', 'x-pii': 'redact' } } },
    fail: { type: 'boolean' },
  },
};

function schemas(): SchemaBundle {
  const ajv = new Ajv({ allErrors: true });
  ajv.addKeyword({ keyword: 'x-pii' });
  return {
    versionField: 'schemaVersion',
    defaultVersion: '1',
    versions: { '1': { validate: ajv.compile(SCHEMA) as unknown as CompiledValidator, pii: piiFields(SCHEMA) } },
  };
}

const passThrough: TransformModule = {
  transform: (record: PipelineRecord) => {
    if (record.fail === true) throw new Error('cannot transform this record');
    return record;
  },
};

const TIME = '2026-11-24T09:00:00Z';
const email = (n: number) => `probe.${n}@example.com`;
const ip = (n: number) => `203.0.113.${n}`;
const user = (n: number) => `probe-user-${String(n).padStart(3, '0')}`;
/** Any probe value, however it is embedded. */
const PROBE = /probe\.\d+@example\.com|203\.0\.113\.\d+|probe-user-\d+/;

const valid = (n: number, extra: Record<string, unknown> = {}) => ({ userId: user(n), eventTime: TIME, ip: ip(n), contact: { email: email(n) }, ...extra });

/** One body per shape PII can come in. */
const BODIES: Array<[label: string, body: string]> = [
  ['valid, flat', JSON.stringify(valid(1))],
  ['valid, user: [{email, ip}] where the schema says object', JSON.stringify(valid(2, { user: [{ email: email(102), ip: ip(102) }, [{ email: email(202) }]] }))],
  ['valid, items: {email} where the schema says array', JSON.stringify(valid(3, { items: { email: email(103) } }))],
  ['valid, large (claim-checked to the raw bucket)', JSON.stringify(valid(4, { user: { email: email(104) }, padding: 'x'.repeat(3000) }))],
  ['a duplicate of the first', JSON.stringify(valid(1))],
  ['double-encoded', JSON.stringify(JSON.stringify(valid(5)))],
  ['triple-encoded', JSON.stringify(JSON.stringify(JSON.stringify(valid(6))))],
  ['an EventBridge event whose detail is double-encoded', JSON.stringify(eventBridgeEnvelope(JSON.stringify(valid(7))))],
  ['a list of records', JSON.stringify([valid(8), { user: [{ email: email(108) }] }])],
  ['malformed, escaped keys', `{"userId":"${user(9)}","em\\u0061il":"${email(9)}","\\u0069p":"${ip(9)}","contact":{"EMAIL":"${email(109)}"`],
  ['malformed, other quotes and case', `{'UserID': '${user(10)}', 'Email': '${email(10)}', IP: ${ip(10)}, "x":`],
  ['malformed, a double-encoded record cut short', JSON.stringify(JSON.stringify(valid(11))).slice(0, -20)],
  ['schema mismatch, contact: [{email}] where the schema says object', JSON.stringify(valid(12, { contact: [{ email: email(112) }], user: { EMAIL: email(212) } }))],
  ['unknown schema version', JSON.stringify({ ...valid(13), schemaVersion: '9', extra: { Email: email(113) } })],
  ['missing id', JSON.stringify({ eventTime: TIME, ip: ip(14), contact: { email: email(14) }, user: [{ email: email(114) }] })],
  ['transform error', JSON.stringify(valid(15, { fail: true, items: [{ email: email(115) }] }))],
];

function captureOutput() {
  const printed: string[] = [];
  const capture = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  return {
    printed,
    restore: () => {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}

const BATCH_KEY = 'batch/probes.jsonl';
/** The same bodies through each source the runtime reads. */
const SOURCES: Array<[name: string, event: () => unknown]> = [
  ['Kinesis', () => kinesisEvent(BODIES.map(([, body]) => body))],
  ['SQS', () => sqsEvent(BODIES.map(([, body]) => body))],
  ['an S3 JSON Lines object (batch workflow)', () => ({ s3Object: { bucket: 'raw-bucket', key: BATCH_KEY } })],
];

const hasher = createPiiHasher('pii-probe-test-key-0123456789');
const config = testConfig({ idField: 'userId', rawBucket: 'raw-bucket', idempotencyTable: 'claims', sinkTable: 'sink', maxRecordBytes: 2000 });

/** Runs the handler on `event` against fresh mocks; returns what it answered, stored and printed. */
async function run(event: unknown) {
  s3Mock.reset();
  ddbMock.reset();
  fakeS3Store(s3Mock);
  fakeS3Objects(s3Mock, { [`raw-bucket/${BATCH_KEY}`]: BODIES.map(([, body]) => body).join('\n') });
  const claims = fakeIdempotencyTable(ddbMock, 'claims');
  const sink = fakeSinkTable(ddbMock, 'sink', 'id');
  const metricLines: string[] = [];
  const output = captureOutput();
  let response;
  try {
    const logger = new Logger({ serviceName: 'pii-probes', logLevel: 'DEBUG' });
    const handler = createBatchHandler(passThrough, schemas(), { s3: new S3Client({ region: 'us-east-1' }), dynamodb: new DynamoDBClient({ region: 'us-east-1' }), config, logger, hasher, writeMetrics: (l) => metricLines.push(l) });
    response = await handler(event as Parameters<typeof handler>[0]);
  } finally {
    output.restore();
  }
  return { response, claims, sink, metricLines, logs: output.printed.join('') };
}

describe.each(SOURCES)('PII stays masked in every store the library writes (%s)', (_source, sourceEvent) => {
  it('no probe value in curated, quarantine, lineage, claim checks, claims, sink items, logs, metrics or the response', async () => {
    const { response, claims, sink, metricLines, logs } = await run(sourceEvent());
    expect(response).toMatchObject({ batchItemFailures: [] });
    const objects = allStoredObjects(s3Mock);
    expect(new Set(objects.map((o) => o.bucket))).toEqual(new Set(['curated-bucket', 'quarantine-bucket', 'raw-bucket']));
    expect(lineageManifests(s3Mock).length).toBeGreaterThan(0);
    const leaks: string[] = [];
    const look = (where: string, text: string) => {
      const found = PROBE.exec(text);
      if (found) leaks.push(`${where}: ${found[0]}`);
    };
    for (const o of objects) look(`s3://${o.bucket}/${o.key}`, `${o.key}\n${o.text}\n${JSON.stringify(o.metadata)}`);
    for (const call of ddbMock.calls()) look('a DynamoDB request', JSON.stringify(call.args[0].input));
    look('the logs', logs);
    look('the metrics', metricLines.join('\n'));
    look('the response', JSON.stringify(response));
    expect(leaks).toEqual([]);

    // Every shape was exercised: 4 curated (the duplicate skipped), the rest quarantined, masked.
    const curated = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records);
    expect(curated).toHaveLength(4);
    const quarantined = storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
    expect(quarantined.map((q) => q.reason).sort()).toEqual(
      [
        'NOT_AN_OBJECT', 'NOT_AN_OBJECT', 'NOT_AN_OBJECT', 'NOT_AN_OBJECT',
        'MALFORMED_JSON', 'MALFORMED_JSON', 'MALFORMED_JSON',
        'SCHEMA_MISMATCH', 'UNKNOWN_SCHEMA_VERSION', 'MISSING_ID', 'TRANSFORM_ERROR',
      ].sort(),
    );
    expect(claims.size).toBeGreaterThan(0);
    expect(sink.size).toBe(4);
  });

  it('an idField marked x-pii: the record id everywhere is its keyed hash (the value the field itself is masked to)', async () => {
    const { claims, sink, logs } = await run(sourceEvent());
    const ids = [1, 2, 3, 4].map((n) => hasher(user(n)));
    const curated = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records);
    expect(curated.map((r) => r.userId ?? r.recordId).sort()).toEqual([...ids].sort());
    expect([...claims.keys()].filter((k) => !k.startsWith('quarantine#')).sort()).toEqual([...ids].sort());
    expect([...sink.keys()].sort()).toEqual(ids.map((id) => sinkItemKey(id, 0)).sort());
    const lineage = lineageManifests(s3Mock).map((m) => JSON.stringify(m.manifest)).join('\n');
    for (const id of ids) expect(lineage).toContain(id);
    const quarantined = storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
    expect(quarantined.filter((q) => q.reason === 'SCHEMA_MISMATCH').map((q) => q.recordId)).toEqual([hasher(user(12))]);
    expect(logs).toContain(hasher(user(15)));
  });
});

describe('PII probes: the schema sample and the configuration', () => {
  it('sanity: every body carries probe values', () => {
    for (const [label, body] of BODIES) expect([label, PROBE.test(body)]).toEqual([label, true]);
  });

  it('a validate-only schema sample (logged and returned) holds no probe value', async () => {
    const { response, logs } = await run({ s3Object: { bucket: 'raw-bucket', key: BATCH_KEY }, validateOnly: true });
    expect(response).toMatchObject({ sample: { recordsIn: BODIES.length } });
    expect(logs).toContain('schema sample checked');
    expect(`${JSON.stringify(response)}\n${logs}`).not.toMatch(PROBE);
    expect(allStoredObjects(s3Mock)).toEqual([]);
  });

  it('refuses to start when the id field is x-pii and no hashing key is configured', () => {
    const redactOnly: SchemaBundle = { versions: { '1': { validate: (() => true) as CompiledValidator, pii: [{ path: ['userId'], action: 'redact' }] } } };
    expect(() => createBatchHandler(passThrough, redactOnly, { config, logger: new Logger({ logLevel: 'SILENT' }) })).toThrow(
      'the id field "userId" is marked "x-pii" (record ids are its keyed hash) but PII_SECRET_ARN is not set',
    );
  });
});
