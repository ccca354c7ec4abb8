import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BatchWorkflowEventType } from '../../contract/events';
import { WorkflowError } from '../../contract/workflow-steps';
import { pipelineEventTask } from './pipeline-event';
import { quarantineTask } from './quarantine-task';
import { catchToFailure, retrySdkErrors } from './retry';

/** Props of {@link DriftResponse}. */
export interface DriftResponseProps {
  /** The pipeline's paused flag, set to `true`. */
  readonly pausedParameter: ssm.IStringParameter;
  /** The drift threshold, named in the cause and the event. */
  readonly maxDriftRate: number;
  /** The workflow's steps function (its `quarantine` action). */
  readonly stepsFunction: lambda.IFunction;
  /** Bucket of the pointer to the drifted object. */
  readonly quarantineBucket: s3.IBucket;
  /** Dataset: the pointer goes under `<dataset>/objects/`. */
  readonly dataset: string;
  /** Bus of the `SchemaDriftDetected` event. */
  readonly eventBus: events.IEventBus;
  /** `detail.pipeline` of the event. */
  readonly pipelineName: string;
  /** Where the run goes when the flag cannot be set, a source not held or the pointer written, with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
  /**
   * The event source mappings of the stream and bus paths: each is disabled (`Enabled: false`)
   * right after the flag is set, so their records wait in the stream or queue, neither curated
   * nor retried, until an operator resumes the pipeline (which enables them again).
   * @default - none: only batch loads pause
   */
  readonly heldSources?: readonly lambda.IEventSourceMapping[];
}

/**
 * What a drifted run does, its counts at `$.summary`: `PausePipeline` sets the paused flag first
 * (later runs stop at the pause gate), `HoldSource1`… disable the `heldSources` event source
 * mappings (`lambda:UpdateEventSourceMapping` on each mapping only), `MarkDrift` names the error (`SchemaDrift`, with the rate),
 * `QuarantineDriftedObject` records the object, `EmitDrift` announces `SchemaDriftDetected` with
 * the counts, and the run fails (`SchemaDrift`). Nothing follows it: it has no end states.
 */
export class DriftResponse extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[] = [];

  constructor(scope: Construct, id: string, props: DriftResponseProps) {
    super(scope, id);
    const pause = new tasks.CallAwsService(this, 'PausePipeline', {
      service: 'ssm',
      action: 'putParameter',
      parameters: { Name: props.pausedParameter.parameterName, Value: 'true', Type: 'String', Overwrite: true },
      iamResources: [props.pausedParameter.parameterArn],
      resultPath: sfn.JsonPath.DISCARD,
    });
    catchToFailure(retrySdkErrors(pause), props.onError);
    const markDrift = new sfn.Pass(this, 'MarkDrift', {
      parameters: {
        Error: WorkflowError.SCHEMA_DRIFT,
        Cause: sfn.JsonPath.format(`schema-mismatch rate {} above ${props.maxDriftRate}`, sfn.JsonPath.stringAt('$.summary.driftRate')),
      },
      resultPath: '$.failure',
    });
    const quarantine = quarantineTask(this, 'QuarantineDriftedObject', {
      stepsFunction: props.stepsFunction,
      quarantineBucket: props.quarantineBucket,
      dataset: props.dataset,
      onError: props.onError,
    });
    const emitDrift = pipelineEventTask(this, 'EmitDrift', {
      eventBus: props.eventBus,
      pipelineName: props.pipelineName,
      detailType: BatchWorkflowEventType.SCHEMA_DRIFT,
      detail: {
        counts: sfn.JsonPath.objectAt('$.summary'),
        maxDriftRate: props.maxDriftRate,
        pausedParameter: props.pausedParameter.parameterName,
      },
    });
    const driftFail = new sfn.Fail(this, 'SchemaDrift', { error: WorkflowError.SCHEMA_DRIFT, causePath: '$.failure.Cause' });
    retrySdkErrors(emitDrift).addCatch(driftFail, { resultPath: '$.emitError' });
    const holds = (props.heldSources ?? []).map((mapping, i) => {
      const hold = new tasks.CallAwsService(this, `HoldSource${i + 1}`, {
        service: 'lambda',
        action: 'updateEventSourceMapping',
        parameters: { Uuid: mapping.eventSourceMappingId, Enabled: false },
        iamAction: 'lambda:UpdateEventSourceMapping',
        iamResources: [mapping.eventSourceMappingArn],
        resultPath: sfn.JsonPath.DISCARD,
      });
      // A mapping in a transition (Creating, Updating) answers ResourceInUseException: retried.
      hold.addRetry({ errors: ['Lambda.ResourceInUseException'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
      return catchToFailure(retrySdkErrors(hold), props.onError);
    });
    holds
      .reduce((chain, hold) => chain.next(hold), sfn.Chain.start(pause))
      .next(markDrift)
      .next(quarantine)
      .next(emitDrift)
      .next(driftFail);
    this.startState = pause;
  }
}
