import { readConfig } from '../../../lambda/runtime/config';
import { RUNTIME_DEFAULTS, RUNTIME_ENV, type RuntimeSetting } from '../../../lib/contract/environment';

const REQUIRED = { PIPELINE_NAME: 'clickstream', CURATED_BUCKET: 'curated', QUARANTINE_BUCKET: 'quarantine' };

describe('readConfig', () => {
  it('names every missing required variable in one error', () => {
    expect(() => readConfig({})).toThrow(
      'cdk-serverless-etl runtime: PIPELINE_NAME is missing; CURATED_BUCKET is missing; QUARANTINE_BUCKET is missing',
    );
  });

  it('names only the variables that are missing (empty counts as missing)', () => {
    expect(() => readConfig({ PIPELINE_NAME: 'p', CURATED_BUCKET: '' })).toThrow(/: CURATED_BUCKET is missing; QUARANTINE_BUCKET is missing$/);
    expect(() => readConfig({ CURATED_BUCKET: 'c', QUARANTINE_BUCKET: 'q' })).toThrow(/: PIPELINE_NAME is missing$/);
  });

  it('applies the defaults: no id field (records get payload-hash ids), no store, no raw bucket', () => {
    const config = readConfig(REQUIRED);
    expect(config).toEqual({
      pipeline: 'clickstream',
      stage: 'transform',
      curatedBucket: 'curated',
      quarantineBucket: 'quarantine',
      dataset: 'clickstream',
      eventTimeField: 'time',
      transformVersion: 'unknown',
      idempotencyTtlSeconds: RUNTIME_DEFAULTS.idempotencyTtlSeconds,
      maxRecordBytes: RUNTIME_DEFAULTS.maxRecordBytes,
      sinkTableKey: 'id',
      claimInFlightSeconds: 900,
      eventTimeEarliestMs: Date.parse('2024-01-01T00:00:00Z'),
      eventTimeMaxSkewSeconds: 900,
      functionTimeoutSeconds: 60,
    });
    expect(config.sinkTable).toBeUndefined();
    expect(config.idField).toBeUndefined();
    expect(config.idempotencyTable).toBeUndefined();
    expect(config.rawBucket).toBeUndefined();
    expect(config.piiSecretArn).toBeUndefined();
    expect(RUNTIME_DEFAULTS.idempotencyTtlSeconds).toBe(30 * 24 * 3600);
    expect(RUNTIME_DEFAULTS.maxRecordBytes).toBe(256 * 1024);
  });

  it('treats an empty RECORD_ID_FIELD as unset', () => {
    expect(readConfig({ ...REQUIRED, RECORD_ID_FIELD: '' }).idField).toBeUndefined();
  });

  it('reads every variable when set', () => {
    const env = {
      ...REQUIRED,
      PIPELINE_STAGE: 'enrich',
      RAW_BUCKET: 'raw',
      DATASET: 'clicks',
      RECORD_ID_FIELD: 'eventId',
      EVENT_TIME_FIELD: 'eventTime',
      TRANSFORM_VERSION: 'abc123',
      IDEMPOTENCY_TABLE: 'clickstream-idempotency',
      IDEMPOTENCY_TTL_SECONDS: '86400',
      PII_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-key',
      MAX_RECORD_BYTES: '1024',
      SINK_TABLE: 'clickstream-events',
      SINK_TABLE_KEY: 'pk',
      CLAIM_IN_FLIGHT_SECONDS: '90',
      EVENT_TIME_EARLIEST: '2025-01-31',
      EVENT_TIME_MAX_SKEW_SECONDS: '120',
      FUNCTION_TIMEOUT_SECONDS: '30',
    };
    expect(readConfig(env)).toEqual({
      pipeline: 'clickstream',
      stage: 'enrich',
      curatedBucket: 'curated',
      quarantineBucket: 'quarantine',
      rawBucket: 'raw',
      dataset: 'clicks',
      idField: 'eventId',
      eventTimeField: 'eventTime',
      transformVersion: 'abc123',
      idempotencyTable: 'clickstream-idempotency',
      idempotencyTtlSeconds: 86400,
      piiSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-key',
      maxRecordBytes: 1024,
      sinkTable: 'clickstream-events',
      sinkTableKey: 'pk',
      claimInFlightSeconds: 90,
      eventTimeEarliestMs: Date.parse('2025-01-31T00:00:00Z'),
      eventTimeMaxSkewSeconds: 120,
      functionTimeoutSeconds: 30,
    });
  });

  it('treats an empty SINK_TABLE as no sink table and an empty SINK_TABLE_KEY as the default "id"', () => {
    const config = readConfig({ ...REQUIRED, SINK_TABLE: '', SINK_TABLE_KEY: '' });
    expect(config.sinkTable).toBeUndefined();
    expect(config.sinkTableKey).toBe('id');
    expect(readConfig({ ...REQUIRED, SINK_TABLE: 'events' })).toMatchObject({ sinkTable: 'events', sinkTableKey: 'id' });
  });

  it.each(['0', '-5', '1.5', 'ten', '1e3x'])('rejects %j as IDEMPOTENCY_TTL_SECONDS and MAX_RECORD_BYTES, naming both', (value) => {
    expect(() => readConfig({ ...REQUIRED, IDEMPOTENCY_TTL_SECONDS: value, MAX_RECORD_BYTES: value })).toThrow(
      'cdk-serverless-etl runtime: IDEMPOTENCY_TTL_SECONDS must be a positive integer; MAX_RECORD_BYTES must be a positive integer',
    );
  });

  it('reads the event time bounds (EVENT_TIME_EARLIEST, EVENT_TIME_MAX_SKEW_SECONDS) and rejects invalid ones', () => {
    const config = readConfig({ ...REQUIRED, EVENT_TIME_EARLIEST: '2025-03-01', EVENT_TIME_MAX_SKEW_SECONDS: '60' });
    expect(config.eventTimeEarliestMs).toBe(Date.parse('2025-03-01T00:00:00Z'));
    expect(config.eventTimeMaxSkewSeconds).toBe(60);
    expect(() => readConfig({ ...REQUIRED, EVENT_TIME_EARLIEST: '2025-3-1', EVENT_TIME_MAX_SKEW_SECONDS: '-1' })).toThrow(
      'EVENT_TIME_EARLIEST must be a date as YYYY-MM-DD; EVENT_TIME_MAX_SKEW_SECONDS must be a positive integer',
    );
  });

  it('reads the current table: on only with CURRENT_TABLE=true, keyed by CURRENT_TABLE_KEY or the record id', () => {
    expect(readConfig(REQUIRED).currentTable).toBeUndefined();
    expect(readConfig({ ...REQUIRED, CURRENT_TABLE: 'false', CURRENT_TABLE_KEY: 'orderId' }).currentTable).toBeUndefined();
    expect(readConfig({ ...REQUIRED, CURRENT_TABLE: 'true' }).currentTable).toEqual({ keyField: undefined, versionField: undefined });
    expect(readConfig({ ...REQUIRED, CURRENT_TABLE: 'true', CURRENT_TABLE_KEY: 'orderId' }).currentTable).toEqual({ keyField: 'orderId', versionField: undefined });
    expect(readConfig({ ...REQUIRED, CURRENT_TABLE: 'true', CURRENT_TABLE_VERSION_FIELD: 'revision' }).currentTable).toEqual({ keyField: undefined, versionField: 'revision' });
  });

  it('collects missing and invalid variables in one error', () => {
    expect(() => readConfig({ PIPELINE_NAME: 'p', MAX_RECORD_BYTES: '0' })).toThrow(
      'cdk-serverless-etl runtime: CURATED_BUCKET is missing; QUARANTINE_BUCKET is missing; MAX_RECORD_BYTES must be a positive integer',
    );
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      for (const name of Object.values(RUNTIME_ENV)) delete process.env[name];
      Object.assign(process.env, REQUIRED, { DATASET: 'from-process-env' });
      expect(readConfig()).toMatchObject({ pipeline: 'clickstream', dataset: 'from-process-env' });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('reads every variable of the contract (the ones TransformFunction sets)', () => {
    // Typed by the contract's settings: a variable added there without being read here fails to compile.
    const given: Record<RuntimeSetting, string> = {
      pipeline: 'orders',
      stage: 'load',
      curatedBucket: 'curated-2',
      quarantineBucket: 'quarantine-2',
      rawBucket: 'raw',
      dataset: 'orders-eu',
      idField: 'eventId',
      recordVersionField: 'revision',
      eventTimeField: 'ts',
      transformVersion: 'abc123',
      idempotencyTable: 'claims',
      idempotencyTtlSeconds: '3600',
      piiSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:pii',
      maxRecordBytes: '2048',
      sinkTable: 'orders',
      sinkTableKey: 'pk',
      claimInFlightSeconds: '120',
      eventTimeEarliest: '2025-01-01',
      eventTimeMaxSkewSeconds: '60',
      functionTimeoutSeconds: '30',
      currentTable: 'true',
      currentTableKey: 'orderId',
      currentTableVersionField: 'revision',
    };
    for (const [setting, value] of Object.entries(given) as Array<[RuntimeSetting, string]>) {
      // The table key and version field are read only for a pipeline with a current table.
      const base = setting === 'currentTableKey' || setting === 'currentTableVersionField' ? { ...REQUIRED, [RUNTIME_ENV.currentTable]: 'true' } : REQUIRED;
      expect([setting, readConfig({ ...base, [RUNTIME_ENV[setting]]: value })]).not.toEqual([setting, readConfig(base)]);
    }
  });
});
