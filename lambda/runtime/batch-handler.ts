import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { readConfig, type RuntimeConfig } from './config';
import { processBatch } from './process-batch';
import { writeOutcome } from './s3-sink';
import { toSourceRecords, type BatchEvent } from './source-records';
import type { TransformModule } from './transform-contract';

/** The partial-batch response Lambda event source mappings understand. */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Overrides for tests and local runs; each defaults to what Lambda provides. */
export interface BatchHandlerDeps {
  readonly s3?: S3Client;
  readonly config?: RuntimeConfig;
  readonly logger?: Logger;
}

/**
 * Creates the Lambda handler for Kinesis and SQS batches around a user's transform module:
 * parse → transform → write curated and quarantine objects → report the items to retry.
 *
 * Bad records are quarantined and never fail the batch; only records whose output could not be
 * stored are reported in `batchItemFailures`, so the event source retries just those.
 */
export function createBatchHandler(module: TransformModule, deps: BatchHandlerDeps = {}) {
  if (typeof module?.transform !== 'function') {
    throw new Error('cdk-serverless-etl runtime: the transform module must export a function named "transform"');
  }
  const config = deps.config ?? readConfig();
  const s3 = deps.s3 ?? new S3Client({});
  const logger =
    deps.logger ?? new Logger({ serviceName: config.pipeline, persistentKeys: { pipeline: config.pipeline, stage: config.stage } });

  return async (event: BatchEvent, context?: Context): Promise<BatchResponse> => {
    if (context) logger.addContext(context);
    const records = toSourceRecords(event);
    const outcome = await processBatch(records, module, config);
    const failed = await writeOutcome(s3, config, outcome);
    const batchItemFailures = records.filter((r) => failed.has(r.itemId)).map((r) => ({ itemIdentifier: r.itemId }));
    logger.info('batch processed', {
      recordsIn: records.length,
      curated: outcome.curated.filter((o) => !failed.has(o.itemId)).length,
      quarantined: outcome.quarantined.filter((q) => !failed.has(q.itemId)).length,
      dropped: outcome.dropped.length,
      retried: batchItemFailures.length,
      quarantinedIds: outcome.quarantined.map((q) => q.recordId ?? q.itemId),
    });
    return { batchItemFailures };
  };
}
