import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { runLineagePrefix } from '../../contract/storage-layout';
import { StepAction } from '../../contract/workflow-steps';
import type { ITransformFunction } from '../../transform/transform-function';
import { catchToFailure, retryLambdaErrors } from './retry';
import { stepsTask } from './steps-task';

export { runLineagePrefix };

/** Props of {@link RunSummary}. */
export interface RunSummaryProps {
  /** The workflow's steps function (its `summarize` and `lineage` actions). */
  readonly stepsFunction: lambda.IFunction;
  /** Schema-mismatch rate above which the run counts as drifted (`$.summary.drifted`). */
  readonly maxDriftRate: number;
  /** Bucket of the run manifests (under `_lineage/<dataset>/runs/`). */
  readonly curatedBucket: s3.IBucket;
  /** `pipeline` of the manifest. */
  readonly pipelineName: string;
  /** `dataset` of the manifest and its key prefix. */
  readonly dataset: string;
  /** The transform whose function, alias and version the manifest names. */
  readonly transform: ITransformFunction;
  /** Whether the run had a schema sample (`$.sample`), which the manifest then records. */
  readonly schemaSample: boolean;
  /** Where the run goes on an error (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
}

/**
 * What a loaded run amounts to: `Summarize` sums the ranges' counts (`$.batches`) into
 * `$.summary` with the drift verdict; `RecordLineage` writes the run's lineage manifest (source
 * object version and ETag, transform version, schema sample, counts), its location at `$.lineage`.
 */
export class RunSummary extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: RunSummaryProps) {
    super(scope, id);
    const summarize = stepsTask(this, 'Summarize', {
      stepsFunction: props.stepsFunction,
      payload: { action: StepAction.SUMMARIZE, batches: sfn.JsonPath.listAt('$.batches'), maxDriftRate: props.maxDriftRate },
      resultPath: '$.summary',
    });
    catchToFailure(retryLambdaErrors(summarize), props.onError);
    const recordLineage = stepsTask(this, 'RecordLineage', {
      stepsFunction: props.stepsFunction,
      payload: {
        action: StepAction.LINEAGE,
        bucket: props.curatedBucket.bucketName,
        prefix: runLineagePrefix(props.dataset),
        pipeline: props.pipelineName,
        dataset: props.dataset,
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        source: {
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          object: sfn.JsonPath.objectAt('$.object'),
        },
        transform: {
          functionName: props.transform.function.functionName,
          alias: props.transform.alias.aliasName,
          version: props.transform.alias.version.version,
        },
        ...(props.schemaSample ? { schemaSample: sfn.JsonPath.objectAt('$.sample') } : {}),
        counts: sfn.JsonPath.objectAt('$.summary'),
      },
      resultPath: '$.lineage',
    });
    catchToFailure(retryLambdaErrors(recordLineage), props.onError);
    summarize.next(recordLineage);
    this.startState = summarize;
    this.endStates = [recordLineage];
  }
}
