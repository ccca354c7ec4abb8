/** Runtime settings, read once per container from the function's environment. */
export interface RuntimeConfig {
  /** Pipeline name (`PIPELINE_NAME`). */
  readonly pipeline: string;
  /** Stage name (`PIPELINE_STAGE`). */
  readonly stage: string;
  /** Curated output bucket (`CURATED_BUCKET`). */
  readonly curatedBucket: string;
  /** Quarantine bucket (`QUARANTINE_BUCKET`). */
  readonly quarantineBucket: string;
  /** Dataset name: the first key segment of curated objects (`DATASET`). */
  readonly dataset: string;
  /** Field of the input record holding its id (`RECORD_ID_FIELD`). */
  readonly idField: string;
  /** Field of the input record holding its event time (`EVENT_TIME_FIELD`). */
  readonly eventTimeField: string;
  /** Version of the transform code, written with every output for lineage (`TRANSFORM_VERSION`). */
  readonly transformVersion: string;
}

/** Environment variable names, shared with the TransformFunction construct. */
export const ENV = {
  pipeline: 'PIPELINE_NAME',
  stage: 'PIPELINE_STAGE',
  curatedBucket: 'CURATED_BUCKET',
  quarantineBucket: 'QUARANTINE_BUCKET',
  dataset: 'DATASET',
  idField: 'RECORD_ID_FIELD',
  eventTimeField: 'EVENT_TIME_FIELD',
  transformVersion: 'TRANSFORM_VERSION',
} as const;

/** Reads the runtime settings, failing with the names of every missing variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const required = ['pipeline', 'curatedBucket', 'quarantineBucket'] as const;
  const missing = required.filter((k) => !env[ENV[k]]).map((k) => ENV[k]);
  if (missing.length > 0) {
    throw new Error(`cdk-serverless-etl runtime: missing environment variables ${missing.join(', ')}`);
  }
  const pipeline = env[ENV.pipeline] as string;
  return {
    pipeline,
    stage: env[ENV.stage] || 'transform',
    curatedBucket: env[ENV.curatedBucket] as string,
    quarantineBucket: env[ENV.quarantineBucket] as string,
    dataset: env[ENV.dataset] || pipeline,
    idField: env[ENV.idField] || 'id',
    eventTimeField: env[ENV.eventTimeField] || 'time',
    transformVersion: env[ENV.transformVersion] || 'unknown',
  };
}
