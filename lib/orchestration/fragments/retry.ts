import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** Lambda errors worth retrying (the service's own, throttling, task timeouts). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
];

/** AWS SDK integration errors: `States.TaskFailed` covers throttling and 5xx; retries are bounded. */
const SDK_TRANSIENT_ERRORS = ['States.TaskFailed', 'States.Timeout'];

/**
 * Retries a Lambda invoke on the Lambda service's transient errors and task timeouts: 3 attempts,
 * exponential backoff from 2 s (at most 60 s), full jitter. Errors a function throws are not retried.
 */
export function retryLambdaErrors<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({
    errors: LAMBDA_TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 3,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/**
 * Retries an AWS SDK (or optimized) integration on `States.TaskFailed` (throttling, 5xx) and task
 * timeouts: 3 attempts, exponential backoff from 1 s (at most 30 s), full jitter.
 */
export function retrySdkErrors<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({
    errors: SDK_TRANSIENT_ERRORS,
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 3,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/**
 * Sends every error of `state` that its retries did not absorb to `handler`, with the error
 * (`Error`, `Cause`) at `$.failure`: the failure path reads it there.
 */
export function catchToFailure<T extends sfn.TaskStateBase | sfn.DistributedMap>(state: T, handler: sfn.IChainable): T {
  state.addCatch(handler, { resultPath: '$.failure' });
  return state;
}
