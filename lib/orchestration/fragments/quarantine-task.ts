import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { quarantinedObjectsPrefix } from '../../contract/storage-layout';
import { StepAction } from '../../contract/workflow-steps';
import { retryLambdaErrors } from './retry';
import { stepsTask } from './steps-task';

export { quarantinedObjectsPrefix };

/** Props of {@link quarantineTask}. */
export interface QuarantineTaskProps {
  /** The workflow's steps function, whose `quarantine` action writes the pointer. */
  readonly stepsFunction: lambda.IFunction;
  /** Bucket of the pointers. */
  readonly quarantineBucket: s3.IBucket;
  /** Dataset: pointers go under `<dataset>/objects/`. */
  readonly dataset: string;
  /** Where the run goes when the pointer cannot be written (the DLQ), with the error at `$.quarantineError`. */
  readonly onError: sfn.IChainable;
}

/**
 * A task recording the run's object (`$.bucket`, `$.key`) as rejected for the reason at
 * `$.failure` (`Error`, `Cause`): a pointer and the reason, never a copy; the result goes to
 * `$.quarantined`. Retries the Lambda service's transient errors, then hands the run to `onError`.
 */
export function quarantineTask(scope: Construct, id: string, props: QuarantineTaskProps): tasks.LambdaInvoke {
  const task = stepsTask(scope, id, {
    stepsFunction: props.stepsFunction,
    payload: {
      action: StepAction.QUARANTINE,
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      quarantineBucket: props.quarantineBucket.bucketName,
      prefix: quarantinedObjectsPrefix(props.dataset),
      reason: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
    },
    resultPath: '$.quarantined',
  });
  retryLambdaErrors(task).addCatch(props.onError, { resultPath: '$.quarantineError' });
  return task;
}
