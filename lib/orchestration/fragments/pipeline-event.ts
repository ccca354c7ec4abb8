import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BATCH_WORKFLOW_EVENT_SOURCE, type BatchWorkflowEventType } from '../../contract/events';

/** Props of {@link pipelineEventTask}. */
export interface PipelineEventProps {
  /** The pipeline bus. */
  readonly eventBus: events.IEventBus;
  /** `detail.pipeline` of the event. */
  readonly pipelineName: string;
  /** The event's `detail-type`. */
  readonly detailType: BatchWorkflowEventType;
  /** Fields added to the detail (constants or JSON paths). */
  readonly detail: Record<string, unknown>;
}

/**
 * A task putting one event of the run on the pipeline bus: source `cdk-serverless-etl`, detail
 * `{ pipeline, bucket, key, executionId, ...detail }`. The state's input passes through unchanged.
 */
export function pipelineEventTask(scope: Construct, id: string, props: PipelineEventProps): tasks.EventBridgePutEvents {
  return new tasks.EventBridgePutEvents(scope, id, {
    entries: [
      {
        eventBus: props.eventBus,
        source: BATCH_WORKFLOW_EVENT_SOURCE,
        detailType: props.detailType,
        detail: sfn.TaskInput.fromObject({
          pipeline: props.pipelineName,
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
          ...props.detail,
        }),
      },
    ],
    resultPath: sfn.JsonPath.DISCARD,
  });
}
