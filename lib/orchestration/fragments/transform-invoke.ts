import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ITransformFunction } from '../../transform/transform-function';

/** Props of {@link transformInvoke}. */
export interface TransformInvokeProps {
  /** The transform; its `live` alias is invoked. */
  readonly transform: ITransformFunction;
  /** The invocation's payload. @default - the state's input */
  readonly payload?: sfn.TaskInput;
  /** Fields of the runtime's response kept. */
  readonly resultSelector: Record<string, unknown>;
  /** Where they go. @default - they replace the state */
  readonly resultPath?: string;
}

/**
 * A task invoking the transform's `live` alias. Its timeout is the function's (60 s when unset)
 * plus 30 s for the invoke itself; the Lambda client's own retries are off (callers add
 * {@link retryLambdaErrors}).
 */
export function transformInvoke(scope: Construct, id: string, props: TransformInvokeProps): tasks.LambdaInvoke {
  const functionTimeout = props.transform.function.timeout ?? Duration.seconds(60);
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.transform.alias,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: props.payload,
    resultSelector: props.resultSelector,
    resultPath: props.resultPath,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(functionTimeout.toSeconds() + 30)),
  });
}
