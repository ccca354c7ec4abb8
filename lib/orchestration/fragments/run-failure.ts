import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BatchWorkflowEventType } from '../../contract/events';
import { WorkflowError } from '../../contract/workflow-steps';
import { pipelineEventTask } from './pipeline-event';
import { retrySdkErrors } from './retry';

/** Props of {@link RunFailure}. */
export interface RunFailureProps {
  /** Queue of failed runs: one message per run with its object and error, for a redrive. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Bus of the `BatchFailed` event. */
  readonly eventBus: events.IEventBus;
  /** `pipeline` of the DLQ message and the event. */
  readonly pipelineName: string;
}

/**
 * The failure path of a batch run: `SendToDlq` (the run's `bucket`, `key` and the error at
 * `$.failure`: `Error`, `Cause`) → `EmitFailed` (`BatchFailed` on the pipeline bus) → `Failed`
 * (a Fail state, error `BatchFailed`, the cause of `$.failure`).
 *
 * Chain it as the `Catch` target of other states (`addCatch(runFailure, { resultPath: '$.failure' })`)
 * and as the `next` of a state that decided the run failed. Its own tasks retry transient errors;
 * when they still fail, the run moves on (an undeliverable DLQ message still emits the event, an
 * undeliverable event still fails the run), so the execution always ends failed. Runs whose object
 * was already recorded elsewhere (quarantined) skip the DLQ through {@link announce}.
 *
 * Nothing follows it: it has no end states.
 */
export class RunFailure extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[] = [];
  /** `EmitFailed`: announces the failure and fails the run, without a DLQ message. */
  public readonly announce: sfn.State;

  constructor(scope: Construct, id: string, props: RunFailureProps) {
    super(scope, id);
    const failed = new sfn.Fail(this, 'Failed', { error: WorkflowError.BATCH_FAILED, causePath: '$.failure.Cause' });
    const emitFailed = pipelineEventTask(this, 'EmitFailed', {
      eventBus: props.eventBus,
      pipelineName: props.pipelineName,
      detailType: BatchWorkflowEventType.FAILED,
      detail: {
        error: sfn.JsonPath.stringAt('$.failure.Error'),
        cause: sfn.JsonPath.stringAt('$.failure.Cause'),
      },
    });
    retrySdkErrors(emitFailed).addCatch(failed, { resultPath: '$.emitError' });
    emitFailed.next(failed);
    const sendToDlq = new tasks.SqsSendMessage(this, 'SendToDlq', {
      queue: props.deadLetterQueue,
      messageBody: sfn.TaskInput.fromObject({
        pipeline: props.pipelineName,
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        key: sfn.JsonPath.stringAt('$.key'),
        error: sfn.JsonPath.stringAt('$.failure.Error'),
        cause: sfn.JsonPath.stringAt('$.failure.Cause'),
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    retrySdkErrors(sendToDlq).addCatch(emitFailed, { resultPath: '$.dlqError' });
    sendToDlq.next(emitFailed);
    this.startState = sendToDlq;
    this.announce = emitFailed;
  }
}
