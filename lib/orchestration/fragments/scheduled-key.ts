import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StepAction } from '../../contract/workflow-steps';
import { otherwiseExit } from './otherwise-exit';
import { retryLambdaErrors } from './retry';
import { stepsTask } from './steps-task';

/** Props of {@link ScheduledKey}. */
export interface ScheduledKeyProps {
  /** The workflow's steps function (its `resolveKey` action). */
  readonly stepsFunction: lambda.IFunction;
  /**
   * Where the run goes when the key cannot be resolved (after retries): its input is
   * `{ bucket, key, failure }` with the template as the key, so a DLQ message names it.
   */
  readonly onUnresolved: sfn.IChainable;
}

/**
 * The key of a scheduled run whose key is a template: when the input has `keyTemplate` (the
 * schedule rule's input), `ResolveScheduledKey` fills its date placeholders from `scheduledTime`
 * minus `keyOffsetSeconds` into `$.key`. Other runs (object-created) pass through `IsScheduled`
 * unchanged.
 */
export class ScheduledKey extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: ScheduledKeyProps) {
    super(scope, id);
    const resolveKey = stepsTask(this, 'ResolveScheduledKey', {
      stepsFunction: props.stepsFunction,
      payload: {
        action: StepAction.RESOLVE_KEY,
        template: sfn.JsonPath.stringAt('$.keyTemplate'),
        time: sfn.JsonPath.stringAt('$.scheduledTime'),
        offsetSeconds: sfn.JsonPath.numberAt('$.keyOffsetSeconds'),
      },
      resultPath: '$.key',
    });
    const keyUnresolved = new sfn.Pass(this, 'KeyUnresolved', {
      parameters: { 'bucket.$': '$.bucket', 'key.$': '$.keyTemplate', 'failure.$': '$.failure' },
    });
    keyUnresolved.next(props.onUnresolved);
    retryLambdaErrors(resolveKey).addCatch(keyUnresolved, { resultPath: '$.failure' });
    const isScheduled = new sfn.Choice(this, 'IsScheduled').when(sfn.Condition.isPresent('$.keyTemplate'), resolveKey);
    this.startState = isScheduled;
    this.endStates = [resolveKey, otherwiseExit(isScheduled)];
  }
}
