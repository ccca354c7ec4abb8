import * as path from 'node:path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EtlPipeline } from '../lib';
import { acknowledgeComplianceFindings } from './compliance-acknowledgements';

/** Where the clickstream example (transform, schemas, sample events) lives. */
export const CLICKSTREAM_EXAMPLE_DIR = path.join(__dirname, '..', 'examples', 'clickstream');

/** Props for {@link ClickstreamPipelineStack}. */
export interface ClickstreamPipelineStackProps extends StackProps {
  /**
   * Pipeline name.
   * @default 'clickstream'
   */
  readonly pipelineName?: string;

  /**
   * Where exactly-once holds (see `EtlPipelineProps.deduplication`): `'claims'` (an idempotency
   * store) or `'table'` (the current table only, no DynamoDB write per record). The reference app
   * reads it from the CDK context: `npx cdk synth -c deduplication=table`, `npm start -- --context
   * deduplication=table`.
   * @default 'claims'
   */
  readonly deduplication?: 'claims' | 'table';
}

/**
 * The reference stack: a realistic clickstream pipeline. Web and mobile clients send events to a
 * Kinesis stream (high volume) or put them on an EventBridge bus (server-side events); one
 * transform curates both into the data lake.
 */
export class ClickstreamPipelineStack extends Stack {
  /** The pipeline. */
  public readonly pipeline: EtlPipeline;

  constructor(scope: Construct, id: string, props: ClickstreamPipelineStackProps = {}) {
    super(scope, id, {
      description: 'cdk-serverless-etl reference stack: clickstream pipeline (Kinesis + EventBridge → Lambda → S3)',
      ...props,
    });
    this.pipeline = new EtlPipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName ?? 'clickstream',
      transformEntry: path.join(CLICKSTREAM_EXAMPLE_DIR, 'transform.ts'),
      dataset: 'clickstream',
      idField: 'eventId',
      // Corrections: a newer revision of an eventId is a record of its own (deduplicated by id and revision).
      recordVersionField: 'revision',
      eventTimeField: 'eventTime',
      deduplication: props.deduplication,
      schemas: {
        schemas: [
          { version: '1', file: path.join(CLICKSTREAM_EXAMPLE_DIR, 'schemas', 'clickstream-v1.json') },
          // Version 2 adds the revision and retractions (examples/clickstream/sample-corrections.jsonl).
          { version: '2', file: path.join(CLICKSTREAM_EXAMPLE_DIR, 'schemas', 'clickstream-v2.json') },
        ],
        versionField: 'schemaVersion',
        description: 'Clickstream events of the storefront',
      },
      eventBus: {
        eventPattern: { source: ['com.example.storefront'], detailType: ['ClickstreamEvent'] },
      },
      kinesisSource: { batchSize: 500, parallelizationFactor: 2 },
      sqsSource: { batchSize: 100, maxBatchingWindow: Duration.seconds(2), maxConcurrency: 10 },
      // The nightly export of the storefront's orders (batch/) is due by 06:00 UTC the next day.
      slos: { successRate: 0.995, freshnessTarget: Duration.minutes(5), batchDeadline: { loadedBy: '06:00', timeZone: 'UTC' } },
      alarmThresholds: { staleAfter: Duration.minutes(30) },
      monthlyBudgetUsd: 100,
      batchWorkflow: { prefix: 'batch/', linesPerBatch: 1000, maxConcurrency: 10, maxDriftRate: 0.05 },
      // Columns from the transform's output schema (no hand-declared columns), for the curated
      // JSON table and the current table alike.
      warehouse: { databaseName: 'clickstream_etl', tableName: 'clickstream' },
      // One row per event id (the record id), the highest revision wins, retractions delete:
      // Apache Iceberg, merged by Athena.
      currentTable: { outputSchema: path.join(CLICKSTREAM_EXAMPLE_DIR, 'schemas', 'curated-clickstream.json'), versionField: 'revision' },
    });
    acknowledgeComplianceFindings(this, this.pipeline);
  }
}

/**
 * The `deduplication` context value of the reference app (`-c deduplication=table`), checked: a
 * typo fails synth instead of meaning the default.
 */
export function deduplicationFromContext(value: unknown): 'claims' | 'table' | undefined {
  if (value === undefined || value === 'claims' || value === 'table') return value;
  throw new Error(`context deduplication is ${JSON.stringify(value)}; it must be claims or table (e.g. npx cdk synth -c deduplication=table)`);
}
