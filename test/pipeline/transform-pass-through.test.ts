import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { TransformFunctionOptions } from '../../lib';
import { transformPassThrough, transformPropPath } from '../../lib/pipeline/transform-pass-through';

describe('transformPassThrough', () => {
  test('passes every transform option, the transform settings and the pipeline name, and nothing else', () => {
    const stack = new Stack();
    // Required: every option of the interface is set, so one added there and not passed through fails here.
    const options: Required<TransformFunctionOptions> = {
      transformEntry: 'transform.ts',
      dataset: 'orders-eu',
      stage: 'load',
      idField: 'orderId',
      recordVersionField: 'revision',
      eventTimeField: 'placedAt',
      maxEventTimeSkew: Duration.minutes(5),
      maxRecordBytes: 4096,
      sinkTable: dynamodb.Table.fromTableName(stack, 'Table', 'orders'),
      sinkTableKey: 'pk',
      piiSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'pii'),
      runtime: lambda.Runtime.NODEJS_22_X,
    };
    const passed = transformPassThrough({
      ...options,
      pipelineName: 'orders',
      transform: { memorySize: 256, timeout: Duration.seconds(30) },
      ...{ monthlyBudgetUsd: 100, enableStream: false },
    });
    expect(passed).toEqual({ ...options, pipelineName: 'orders', memorySize: 256, timeout: Duration.seconds(30) });
  });

  test('names the settings under transform and the options at the top, as the user wrote them', () => {
    expect(transformPropPath('memorySize')).toBe('transform.memorySize');
    expect(transformPropPath('environment')).toBe('transform.environment');
    expect(transformPropPath('maxEventTimeSkew')).toBe('maxEventTimeSkew');
    expect(transformPropPath('constructor')).toBe('constructor');
  });
});
