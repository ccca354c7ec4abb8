import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { PipelineMetricName } from '../../lib/contract/metrics';
import type { RangeResult } from '../../lib/contract/range-invocation';
import { reprocessRunOfExecution } from '../../lib/contract/reprocess';
import { PipelineSource } from '../../lib/contract/watermarks';
import type { BatchSummary } from '../../lib/contract/workflow-steps';
import { runtimeClientConfig } from './aws-clients';
import { readConfig, type RuntimeConfig } from './config';
import { settleConflicts, storeDuplicateFilter } from './deduplicate';
import { writeToTable } from './dynamodb-sink';
import { IdempotencyStore } from './idempotency-store';
import { PipelineMetrics } from './metrics';
import { isPiiIdField, type PiiHasher } from './pii-masking';
import { piiHasherFromSecret } from './pii-secret';
import { processBatch } from './process-batch';
import { isS3ObjectInput, loadS3JsonLines, type S3ObjectInput } from './s3-object-source';
import { writeOutcome } from './s3-sink';
import { sampleSchema } from './schema-sample';
import { allPiiFields, type SchemaBundle } from './schema-validation';
import { toSourceBatch, type BatchEvent, type BatchKind } from './source-records';
import { invocationBudget } from './time-budget';
import type { TransformModule } from './transform-contract';

/**
 * The partial-batch response Lambda event source mappings understand; for an S3 line range, also
 * its counts or its schema sample (the contract's {@link RangeResult}, read by the batch workflow).
 */
export interface BatchResponse extends RangeResult {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Quarantined because the record does not match its schema (the drift signal). */
function isSchemaMismatch(q: { reason: string }): boolean {
  return q.reason === 'SCHEMA_MISMATCH' || q.reason === 'UNKNOWN_SCHEMA_VERSION';
}

/** The watermark a batch advances: the stream (Kinesis), the bus (SQS buffer, a direct EventBridge rule) or the batch workflow (S3). */
function sourceOf(kind: BatchKind): PipelineSource {
  if (kind === 'kinesis') return PipelineSource.STREAM;
  if (kind === 's3') return PipelineSource.BATCH;
  return PipelineSource.BUS;
}

/** Overrides for tests and local runs; each defaults to what Lambda provides. */
export interface BatchHandlerDeps {
  readonly config?: RuntimeConfig;
  readonly s3?: S3Client;
  readonly dynamodb?: DynamoDBClient;
  readonly logger?: Logger;
  /** The PII hasher (default: keyed with the secret named by `PII_SECRET_ARN`). */
  readonly hasher?: PiiHasher;
  /** Where EMF metric lines go (default: stdout, where Lambda sends them to CloudWatch Logs). */
  readonly writeMetrics?: (line: string) => void;
  /** Waits between looks at records claimed by a concurrent invocation, and between retries of lookups (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Creates the Lambda handler around a user's transform module and the pipeline's compiled schemas:
 * envelope → validate → mask → deduplicate → transform → claim → write → report.
 *
 * Bad records are quarantined and never fail the batch; only records whose output could not be
 * stored are reported in `batchItemFailures`, so the event source retries just those. Invoked
 * directly by an EventBridge rule, the handler throws when the event must be retried.
 */
export function createBatchHandler(module: TransformModule, schemas: SchemaBundle = { versions: {} }, deps: BatchHandlerDeps = {}) {
  if (typeof module?.transform !== 'function') {
    throw new Error('cdk-serverless-etl runtime: the transform module must export a function named "transform"');
  }
  const config = deps.config ?? readConfig();
  const piiIdField = isPiiIdField(config.idField, allPiiFields(schemas));
  const needsHasher = piiIdField || Object.values(schemas.versions).some((v) => v.pii.some((f) => f.action === 'hash'));
  if (needsHasher && !deps.hasher && !config.piiSecretArn) {
    throw new Error(
      piiIdField
        ? `cdk-serverless-etl runtime: the id field "${config.idField}" is marked "x-pii" (record ids are its keyed hash) but PII_SECRET_ARN is not set`
        : 'cdk-serverless-etl runtime: the schemas mark fields "x-pii": "hash" but PII_SECRET_ARN is not set',
    );
  }
  // Every client fails a hung call after its timeouts and retries it (standard mode), sized against
  // the function's timeout: see aws-clients.ts.
  const clientConfig = () => runtimeClientConfig(config.functionTimeoutSeconds ?? 60);
  const s3 = deps.s3 ?? new S3Client(clientConfig());
  const dynamodb = config.idempotencyTable || config.sinkTable ? (deps.dynamodb ?? new DynamoDBClient(clientConfig())) : undefined;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const store = config.idempotencyTable
    ? new IdempotencyStore(dynamodb as DynamoDBClient, config.idempotencyTable, config.idempotencyTtlSeconds, sleep)
    : undefined;
  const tableSink = config.sinkTable
    ? (records: Array<{ id: string; record: Record<string, unknown> }>) =>
        writeToTable(dynamodb as DynamoDBClient, { table: config.sinkTable as string, key: config.sinkTableKey }, records)
    : undefined;
  const existsIn = (bucket: string) => async (key: string) => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
      // Anything else, a 403 included, says nothing of the object: never read as "missing" (that
      // would write a record a second time). S3 answers 403 for a missing key only to a caller that
      // may not s3:ListBucket its prefix; the TransformFunction role may, under `<dataset>/`.
      const status = e.$metadata?.httpStatusCode;
      throw new Error(
        `cdk-serverless-etl runtime: HeadObject of s3://${bucket}/${key} failed (${e.name ?? 'Error'}${status ? ` ${status}` : ''}), ` +
          'so whether the object exists is unknown: the batch is retried' +
          (status === 403 ? '. A 403 is a denial: the role needs s3:GetObject on the key, s3:ListBucket on its prefix and kms:Decrypt on the bucket key' : ''),
        { cause: error },
      );
    }
  };
  const duplicateFilter = store
    ? storeDuplicateFilter(store, existsIn(config.curatedBucket), { inFlightMs: config.claimInFlightSeconds * 1000 })
    : undefined;
  const quarantineObjectExists = existsIn(config.quarantineBucket);
  const logger =
    deps.logger ?? new Logger({ serviceName: config.pipeline, persistentKeys: { pipeline: config.pipeline, stage: config.stage } });

  let coldStart = true;
  return async (event: BatchEvent | S3ObjectInput, context?: Context): Promise<BatchResponse> => {
    if (context) logger.addContext(context);
    // Lookups a whole batch depends on (claims, the PII key) are retried within this invocation
    // until a third of its time is left, so a short outage does not fail every record.
    const retryBudget = invocationBudget(context);
    if (store) store.retryBudget = retryBudget;
    const metrics = new PipelineMetrics(config.pipeline, config.stage, deps.writeMetrics);
    const loaded = toSourceBatch(isS3ObjectInput(event) ? await loadS3JsonLines(s3, event) : event);
    // A range of a reprocess run's execution (`replay --reprocess`): its records are the run's.
    const reprocessRun = isS3ObjectInput(event) ? reprocessRunOfExecution(event.run) : undefined;
    const batch = reprocessRun === undefined ? loaded : { ...loaded, records: loaded.records.map((r) => ({ ...r, reprocessRun })) };
    if (isS3ObjectInput(event) && event.validateOnly === true) {
      const sample = sampleSchema(batch.records, schemas, config);
      logger.info('schema sample checked', { ...sample, bucket: event.s3Object.bucket, key: event.s3Object.key });
      return { batchItemFailures: [], sample };
    }
    const hasher = needsHasher ? (deps.hasher ?? (await piiHasherFromSecret(config.piiSecretArn as string, { remainingMs: retryBudget, sleep, clientConfig: clientConfig() }))) : deps.hasher;
    const callsBefore = store?.calls ?? 0;
    const outcome = await processBatch(batch.records, module, config, { schemas, hasher, duplicateFilter });
    const result = await writeOutcome(
      {
        s3,
        store,
        kind: batch.kind,
        requestId: context?.awsRequestId,
        workflowRun: isS3ObjectInput(event) ? event.run : undefined,
        quarantineObjectExists,
        tableSink,
      },
      config,
      outcome,
    );
    const { failed } = result;
    // Records another invocation claimed first: once its object is written they are duplicates.
    // And records held back because another input's claim on their id was in flight.
    outcome.deferred.forEach((d) => failed.add(d.itemId));
    const waiting = [...result.conflicted, ...outcome.deferred];
    const { settled, redelivered: settledRedelivered } =
      duplicateFilter && waiting.length > 0 ? await settleConflicts(waiting, duplicateFilter, sleep) : { settled: new Set<string>(), redelivered: new Set<string>() };
    settled.forEach((itemId) => failed.delete(itemId));
    // A duplicate of a record earlier in the batch shares its fate: retried if that one is.
    for (const d of outcome.duplicates) if (d.of !== undefined && failed.has(d.of)) failed.add(d.itemId);
    const skipped = outcome.duplicates.filter((d) => !failed.has(d.itemId));
    const batchItemFailures = batch.records.filter((r) => failed.has(r.itemId)).map((r) => ({ itemIdentifier: r.itemId }));

    const quarantinedOk = result.quarantined;
    metrics.count(PipelineMetricName.RECORDS_IN, batch.records.length);
    metrics.count(PipelineMetricName.RECORDS_OUT, result.curatedInputs);
    metrics.count(PipelineMetricName.RECORDS_QUARANTINED, quarantinedOk.length);
    metrics.count(PipelineMetricName.RECORDS_DROPPED, outcome.dropped.length);
    metrics.count(PipelineMetricName.DUPLICATES_SKIPPED, skipped.length + result.alreadyQuarantined.size + settled.size);
    metrics.count(PipelineMetricName.SCHEMA_MISMATCHES, quarantinedOk.filter(isSchemaMismatch).length);
    metrics.count(PipelineMetricName.TRANSFORM_ERRORS, quarantinedOk.filter((q) => q.reason === 'TRANSFORM_ERROR' || q.reason === 'INVALID_OUTPUT').length);
    metrics.count(PipelineMetricName.RECORDS_RETRIED, batchItemFailures.length);
    metrics.count(PipelineMetricName.CLAIM_CHECKED, result.claimChecked);
    metrics.count(PipelineMetricName.EVENT_TIME_OUT_OF_BOUNDS, outcome.eventTimeOutOfBounds ?? 0);
    if (coldStart) metrics.count(PipelineMetricName.COLD_STARTS, 1);
    coldStart = false;
    // The streaming freshness SLI measures stream and bus records only: a batch of yesterday's
    // events is late by design and has its own deadline SLI (through the batch watermark).
    const source = sourceOf(batch.kind);
    if (source !== PipelineSource.BATCH) result.freshnessLagSeconds.forEach((s) => metrics.freshnessLag(s));
    if (result.newestEventTimeMs !== undefined) metrics.curatedEventTime(source, result.newestEventTimeMs);
    metrics.publish();

    logger.info('batch processed', {
      source: batch.kind,
      ...(reprocessRun === undefined ? {} : { reprocessRun, ...(config.currentTable ? {} : { reprocessIgnored: 'the pipeline keeps no current table: processed as a plain replay' }) }),
      recordsIn: batch.records.length,
      curated: result.curatedInputs,
      curatedRecords: result.curatedRecords,
      quarantined: quarantinedOk.length,
      dropped: outcome.dropped.length,
      duplicates: skipped.length + result.alreadyQuarantined.size + settled.size,
      concurrentDuplicates: settled.size,
      retried: batchItemFailures.length,
      storeCalls: (store?.calls ?? 0) - callsBefore,
      objects: result.objects.map((o) => o.key),
      quarantinedIds: quarantinedOk.map((q) => ({ recordId: q.recordId ?? null, itemId: q.itemId, reason: q.reason })),
      retriedIds: batchItemFailures.map((f) => f.itemIdentifier),
      droppedIds: outcome.dropped,
    });
    if (!result.lineageWritten) logger.warn('lineage manifest not written: the batch is retried', { retried: batchItemFailures.length });

    if (batch.kind === 'eventbridge' && batchItemFailures.length > 0) {
      throw new Error(`cdk-serverless-etl runtime: ${batchItemFailures.length} record(s) could not be stored; retrying the event`);
    }
    if (batch.kind === 's3') {
      // Stored by another delivery of this same input (a range run twice), before or while this one ran.
      const redelivered = skipped.filter((d) => d.redelivered).length + settledRedelivered.size;
      const summary: BatchSummary = {
        recordsIn: batch.records.length,
        curated: result.curatedInputs + redelivered,
        quarantined: quarantinedOk.length + result.alreadyQuarantined.size,
        // Every record classified as a mismatch and not retried, its quarantine entry new or earlier.
        schemaMismatches: outcome.quarantined.filter((q) => isSchemaMismatch(q) && !failed.has(q.itemId)).length,
        dropped: outcome.dropped.length,
        duplicates: skipped.length - redelivered + settled.size,
        retried: batchItemFailures.length,
      };
      return { batchItemFailures, summary };
    }
    return { batchItemFailures };
  };
}
