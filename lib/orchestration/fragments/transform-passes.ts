import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { S3ObjectInput } from '../../contract/range-invocation';
import { WorkflowError } from '../../contract/workflow-steps';
import type { ITransformFunction } from '../../transform/transform-function';
import { catchToFailure, retryLambdaErrors } from './retry';
import { transformInvoke } from './transform-invoke';

/** Props of {@link TransformPasses}. */
export interface TransformPassesProps {
  /** The transform; its `live` alias processes each range. */
  readonly transform: ITransformFunction;
  /** Ranges processed at the same time (1 to 1,000). */
  readonly maxConcurrency: number;
  /** Where the run goes when a range keeps failing (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
}

/**
 * The transform passes over an object: `ProcessBatches`, a Distributed Map (STANDARD child
 * executions, at most `maxConcurrency` at once, no tolerated failures) over the line ranges at
 * `$.object.ranges` of the object `$.bucket`/`$.key` read with `If-Match: $.object.etag`. Each child
 * invokes the transform once for its range (`ProcessBatch`), which reads, loads and records lineage;
 * a range with records not stored (`summary.retried > 0`) fails (`RecordsNotStored`) instead of
 * passing silently. The runtime is idempotent per range, so a failed Map Run is run again (twice at
 * most); then the run goes to `onError`. The ranges' `{ summary }` go to `$.batches`.
 *
 * Each range is `{ firstLine, lineCount, firstByte, lastByte }` (bytes `null` for gzip objects), as
 * the workflow's object check returns them.
 */
export class TransformPasses extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: TransformPassesProps) {
    super(scope, id);
    const processBatch = transformInvoke(this, 'ProcessBatch', {
      transform: props.transform,
      resultSelector: { 'summary.$': '$.summary' },
    });
    retryLambdaErrors(processBatch);
    const allStored = new sfn.Choice(this, 'AllStored')
      .when(
        sfn.Condition.numberGreaterThan('$.summary.retried', 0),
        new sfn.Fail(this, 'RecordsNotStored', {
          error: WorkflowError.BATCH_ITEM_FAILURES,
          cause: 'some records of the range could not be stored; the range is processed again (idempotent)',
        }),
      )
      .otherwise(new sfn.Succeed(this, 'BatchDone'));
    const processBatches = new sfn.DistributedMap(this, 'ProcessBatches', {
      itemsPath: '$.object.ranges',
      itemSelector: {
        run: sfn.JsonPath.stringAt('$$.Execution.Id'),
        s3Object: {
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          etag: sfn.JsonPath.stringAt('$.object.etag'),
          firstLine: sfn.JsonPath.numberAt('$$.Map.Item.Value.firstLine'),
          lineCount: sfn.JsonPath.numberAt('$$.Map.Item.Value.lineCount'),
          firstByte: sfn.JsonPath.numberAt('$$.Map.Item.Value.firstByte'),
          lastByte: sfn.JsonPath.numberAt('$$.Map.Item.Value.lastByte'),
        },
      } satisfies S3ObjectInput,
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: 0,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: 'ProcessBatches',
      resultPath: '$.batches',
    });
    processBatches.itemProcessor(processBatch.next(allStored));
    processBatches.addRetry({
      // A range with records not stored fails its child; the Map Run runs again (idempotent per range).
      errors: ['States.ExceedToleratedFailureThreshold'],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });
    catchToFailure(processBatches, props.onError);
    this.startState = processBatches;
    this.endStates = [processBatches];
  }
}
