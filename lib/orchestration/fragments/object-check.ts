import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OBJECT_CHECK_ERRORS, StepAction } from '../../contract/workflow-steps';
import { quarantineTask } from './quarantine-task';
import { catchToFailure, retryLambdaErrors } from './retry';
import { stepsTask } from './steps-task';

/** At most this many batches per object: it bounds the ranges and the Map's results (256 KiB state payloads). */
const MAX_BATCHES = 1000;

/** Props of {@link ObjectCheck}. */
export interface ObjectCheckProps {
  /** The workflow's steps function (its `check` and `quarantine` actions). */
  readonly stepsFunction: lambda.IFunction;
  /** Lines per range. */
  readonly linesPerBatch: number;
  /** Objects (or gzip objects decompressed) larger than this are rejected. */
  readonly maxObjectBytes: number;
  /** Lines of the schema sample whose range the check returns (`sampleRange`). */
  readonly schemaSampleLines: number;
  /** Bucket of the pointers to rejected objects. */
  readonly quarantineBucket: s3.IBucket;
  /** Dataset: pointers go under `<dataset>/objects/`. */
  readonly dataset: string;
  /** Where a rejected object's run goes once it is quarantined (it is not sent to the DLQ). */
  readonly onRejected: sfn.IChainable;
  /** Where the run goes on any other error (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
}

/**
 * Checks the run's object (`$.bucket`, `$.key`) and splits it into line ranges: `CheckObject`
 * (size, JSON Lines, line count) puts `{ bytes, lineCount, etag, versionId, gzip, ranges,
 * sampleRange }` at `$.object`. A deterministic rejection (`OBJECT_CHECK_ERRORS`: too large, not
 * JSON Lines, too many batches, empty) is never retried: `QuarantineRejectedObject` records it
 * and the run goes to `onRejected`.
 */
export class ObjectCheck extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: ObjectCheckProps) {
    super(scope, id);
    const checkObject = stepsTask(this, 'CheckObject', {
      stepsFunction: props.stepsFunction,
      payload: {
        action: StepAction.CHECK,
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        key: sfn.JsonPath.stringAt('$.key'),
        linesPerBatch: props.linesPerBatch,
        maxObjectBytes: props.maxObjectBytes,
        maxBatches: MAX_BATCHES,
        schemaSampleLines: props.schemaSampleLines,
      },
      resultPath: '$.object',
    });
    const quarantine = quarantineTask(this, 'QuarantineRejectedObject', {
      stepsFunction: props.stepsFunction,
      quarantineBucket: props.quarantineBucket,
      dataset: props.dataset,
      onError: props.onError,
    });
    retryLambdaErrors(checkObject).addCatch(quarantine.next(props.onRejected), {
      errors: [...OBJECT_CHECK_ERRORS],
      resultPath: '$.failure',
    });
    catchToFailure(checkObject, props.onError);
    this.startState = checkObject;
    this.endStates = [checkObject];
  }
}
