import { ENV, readConfig } from '../../../lambda/runtime/config';

const REQUIRED = { PIPELINE_NAME: 'clickstream', CURATED_BUCKET: 'curated', QUARANTINE_BUCKET: 'quarantine' };

describe('readConfig', () => {
  it('names every missing required variable in one error', () => {
    expect(() => readConfig({})).toThrow(
      'cdk-serverless-etl runtime: missing environment variables PIPELINE_NAME, CURATED_BUCKET, QUARANTINE_BUCKET',
    );
  });

  it('names only the variables that are missing (empty counts as missing)', () => {
    expect(() => readConfig({ PIPELINE_NAME: 'p', CURATED_BUCKET: '' })).toThrow(
      /missing environment variables CURATED_BUCKET, QUARANTINE_BUCKET$/,
    );
    expect(() => readConfig({ CURATED_BUCKET: 'c', QUARANTINE_BUCKET: 'q' })).toThrow(/missing environment variables PIPELINE_NAME$/);
  });

  it('applies the defaults', () => {
    expect(readConfig(REQUIRED)).toEqual({
      pipeline: 'clickstream',
      stage: 'transform',
      curatedBucket: 'curated',
      quarantineBucket: 'quarantine',
      dataset: 'clickstream',
      idField: 'id',
      eventTimeField: 'time',
      transformVersion: 'unknown',
    });
  });

  it('reads every variable when set', () => {
    const env = {
      ...REQUIRED,
      PIPELINE_STAGE: 'enrich',
      DATASET: 'clicks',
      RECORD_ID_FIELD: 'eventId',
      EVENT_TIME_FIELD: 'eventTime',
      TRANSFORM_VERSION: 'abc123',
    };
    expect(readConfig(env)).toEqual({
      pipeline: 'clickstream',
      stage: 'enrich',
      curatedBucket: 'curated',
      quarantineBucket: 'quarantine',
      dataset: 'clicks',
      idField: 'eventId',
      eventTimeField: 'eventTime',
      transformVersion: 'abc123',
    });
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      for (const name of Object.values(ENV)) delete process.env[name];
      Object.assign(process.env, REQUIRED, { DATASET: 'from-process-env' });
      expect(readConfig()).toMatchObject({ pipeline: 'clickstream', dataset: 'from-process-env' });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('exposes the variable names the construct sets', () => {
    expect(ENV).toEqual({
      pipeline: 'PIPELINE_NAME',
      stage: 'PIPELINE_STAGE',
      curatedBucket: 'CURATED_BUCKET',
      quarantineBucket: 'QUARANTINE_BUCKET',
      dataset: 'DATASET',
      idField: 'RECORD_ID_FIELD',
      eventTimeField: 'EVENT_TIME_FIELD',
      transformVersion: 'TRANSFORM_VERSION',
    });
  });
});
