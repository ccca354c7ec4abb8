import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { StepInput, StepPayload } from '../../contract/workflow-steps';

/** Props of {@link stepsTask}. */
export interface StepsTaskProps {
  /** The workflow's steps function (`lambda/handlers/check-object.ts`). */
  readonly stepsFunction: lambda.IFunction;
  /** The step's input: its `action` and that action's fields (constants or JSON paths), as the contract types them. */
  readonly payload: StepPayload<StepInput>;
  /** Where the step's result goes in the state. */
  readonly resultPath: string;
}

/**
 * A task invoking one action of the steps function, its response (not the invoke's envelope) put
 * at `resultPath`. The Lambda client's own retries are off: callers add {@link retryLambdaErrors}.
 */
export function stepsTask(scope: Construct, id: string, props: StepsTaskProps): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.stepsFunction,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: sfn.TaskInput.fromObject(props.payload),
    resultPath: props.resultPath,
  });
}
