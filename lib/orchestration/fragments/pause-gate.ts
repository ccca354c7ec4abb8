import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowError } from '../../contract/workflow-steps';
import { otherwiseExit } from './otherwise-exit';
import { catchToFailure, retrySdkErrors } from './retry';

/** Props of {@link PauseGate}. */
export interface PauseGateProps {
  /** The pipeline's paused flag: an SSM String parameter holding `true` or `false`. */
  readonly pausedParameter: ssm.IStringParameter;
  /** Pipeline named in the paused run's cause. */
  readonly pipelineName: string;
  /**
   * Where a run goes while the flag is `true`, with `$.failure` set to `{ Error: 'PipelinePaused',
   * Cause }` (e.g. a DLQ, to be redriven after an operator resumes the pipeline).
   */
  readonly onPaused: sfn.IChainable;
  /** Where a run goes when the flag cannot be read (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
}

/**
 * Lets a run pass only while its pipeline is not paused: `CheckPaused` reads the flag (SDK
 * integration, `ssm:GetParameter` on that parameter only) into `$.paused.value`, `IsPaused` sends
 * the run to `onPaused` when it is `true` (via `MarkPaused`) and on to the next state otherwise
 * (any other value, e.g. `false`, counts as not paused).
 */
export class PauseGate extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: PauseGateProps) {
    super(scope, id);
    const checkPaused = new tasks.CallAwsService(this, 'CheckPaused', {
      service: 'ssm',
      action: 'getParameter',
      parameters: { Name: props.pausedParameter.parameterName },
      iamResources: [props.pausedParameter.parameterArn],
      resultSelector: { 'value.$': '$.Parameter.Value' },
      resultPath: '$.paused',
    });
    catchToFailure(retrySdkErrors(checkPaused), props.onError);
    const markPaused = new sfn.Pass(this, 'MarkPaused', {
      result: sfn.Result.fromObject({
        Error: WorkflowError.PIPELINE_PAUSED,
        Cause: `pipeline ${props.pipelineName} is paused (schema drift): redrive this message after the operator resumes`,
      }),
      resultPath: '$.failure',
    });
    markPaused.next(props.onPaused);
    const isPaused = new sfn.Choice(this, 'IsPaused').when(sfn.Condition.stringEquals('$.paused.value', 'true'), markPaused);
    checkPaused.next(isPaused);
    this.startState = checkPaused;
    this.endStates = [otherwiseExit(isPaused)];
  }
}
