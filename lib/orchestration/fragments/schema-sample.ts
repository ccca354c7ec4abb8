import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { S3ObjectInput, SchemaSample as SampleResult } from '../../contract/range-invocation';
import type { ITransformFunction } from '../../transform/transform-function';
import { otherwiseExit } from './otherwise-exit';
import { catchToFailure, retryLambdaErrors } from './retry';
import { transformInvoke } from './transform-invoke';

/** The sample's counts the workflow keeps (at `$.sample`, and as the drift evidence). */
const SAMPLE_FIELDS: ReadonlyArray<keyof SampleResult> = ['recordsIn', 'schemaMismatches', 'driftRate', 'versions', 'errors'];

/** Props of {@link SchemaSample}. */
export interface SchemaSampleProps {
  /** The transform; its `live` alias validates the sample (`validateOnly`: nothing is written). */
  readonly transform: ITransformFunction;
  /** Schema-mismatch rate of the sample above which the object counts as drifted. */
  readonly maxDriftRate: number;
  /** Where the run goes on an error (after retries), with the error at `$.failure`. */
  readonly onError: sfn.IChainable;
  /** Runs that go on whatever the sample's drift rate (a reprocess run). @default - none */
  readonly exempt?: sfn.Condition;
}

/**
 * Validates the first lines of the object before anything is loaded (a canary): `SampleSchema`
 * has the transform validate `$.object.sampleRange` and puts its counts at `$.sample`;
 * `SampleCheck` lets the run go on while the sample's drift rate is at most `maxDriftRate`.
 * Otherwise the run leaves through {@link drifted} (`SampleDrifted`), which puts the sample's counts
 * at `$.summary` as the drift evidence (`scope: 'sample'`, `curated: 0`, `drifted: true`).
 */
export class SchemaSample extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The exit of a drifted sample: chain the drift response after it. */
  public readonly drifted: sfn.INextable;

  constructor(scope: Construct, id: string, props: SchemaSampleProps) {
    super(scope, id);
    const sampleSchema = transformInvoke(this, 'SampleSchema', {
      transform: props.transform,
      payload: sfn.TaskInput.fromObject({
        s3Object: {
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          etag: sfn.JsonPath.stringAt('$.object.etag'),
          firstLine: sfn.JsonPath.numberAt('$.object.sampleRange.firstLine'),
          lineCount: sfn.JsonPath.numberAt('$.object.sampleRange.lineCount'),
          firstByte: sfn.JsonPath.numberAt('$.object.sampleRange.firstByte'),
          lastByte: sfn.JsonPath.numberAt('$.object.sampleRange.lastByte'),
        },
        validateOnly: true,
      } satisfies S3ObjectInput),
      resultSelector: Object.fromEntries(SAMPLE_FIELDS.map((f) => [`${f}.$`, `$.sample.${f}`])),
      resultPath: '$.sample',
    });
    catchToFailure(retryLambdaErrors(sampleSchema), props.onError);
    const sampleDrifted = new sfn.Pass(this, 'SampleDrifted', {
      comment: 'The sample is the drift evidence: nothing of the object was loaded',
      parameters: {
        scope: 'sample',
        ...Object.fromEntries(SAMPLE_FIELDS.map((f) => [`${f}.$`, `$.sample.${f}`])),
        curated: 0,
        drifted: true,
      },
      resultPath: '$.summary',
    });
    const drifted = sfn.Condition.numberGreaterThan('$.sample.driftRate', props.maxDriftRate);
    const sampleCheck = new sfn.Choice(this, 'SampleCheck').when(props.exempt ? sfn.Condition.and(drifted, sfn.Condition.not(props.exempt)) : drifted, sampleDrifted);
    sampleSchema.next(sampleCheck);
    this.startState = sampleSchema;
    this.endStates = [otherwiseExit(sampleCheck)];
    this.drifted = sampleDrifted;
  }
}
