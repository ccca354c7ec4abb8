import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BatchWorkflowEventType } from '../../contract/events';
import { pipelineEventTask } from './pipeline-event';
import { catchToFailure, retrySdkErrors } from './retry';

/** Props of {@link RunCompletion}. */
export interface RunCompletionProps {
  /** Bus of the `BatchCompleted` event. */
  readonly eventBus: events.IEventBus;
  /** `detail.pipeline` of the event. */
  readonly pipelineName: string;
  /** Where the run goes when the event cannot be put (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
}

/**
 * The end of a successful run: `EmitCompleted` announces `BatchCompleted` with the counts
 * (`$.summary`), the object's line count and bytes (`$.object`), then the run succeeds (`Done`).
 */
export class RunCompletion extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[] = [];

  constructor(scope: Construct, id: string, props: RunCompletionProps) {
    super(scope, id);
    const emitCompleted = pipelineEventTask(this, 'EmitCompleted', {
      eventBus: props.eventBus,
      pipelineName: props.pipelineName,
      detailType: BatchWorkflowEventType.COMPLETED,
      detail: {
        counts: sfn.JsonPath.objectAt('$.summary'),
        lineCount: sfn.JsonPath.numberAt('$.object.lineCount'),
        bytes: sfn.JsonPath.numberAt('$.object.bytes'),
      },
    });
    catchToFailure(retrySdkErrors(emitCompleted), props.onError);
    emitCompleted.next(new sfn.Succeed(this, 'Done'));
    this.startState = emitCompleted;
  }
}
