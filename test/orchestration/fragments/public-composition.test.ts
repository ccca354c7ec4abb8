import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { PauseGate, RunFailure, TransformPasses } from '../../../lib';
import { transformStack } from '../fixture';
import { execute, renderFragment, type Json } from './support';

// A workflow of a user's own, from the package's public fragments: their ranges, our gate, passes
// and failure path.
const { definition } = renderFragment((stack, stubs) => {
  const { transform } = transformStack(stack);
  const failure = new RunFailure(stack, 'Failure', { deadLetterQueue: new sqs.Queue(stack, 'Dlq'), eventBus: stubs.eventBus, pipelineName: 'mine' });
  const pausedParameter = new ssm.StringParameter(stack, 'Paused', { parameterName: '/mine/paused', stringValue: 'false' });
  const ownRanges = new sfn.Pass(stack, 'OwnRanges', {
    parameters: { etag: '"e"', ranges: [{ firstLine: 1, lineCount: 10, firstByte: 0, lastByte: 999 }] },
    resultPath: '$.object',
  });
  return new PauseGate(stack, 'Gate', { pausedParameter, pipelineName: 'mine', onPaused: failure, onError: failure })
    .next(ownRanges)
    .next(new TransformPasses(stack, 'Passes', { transform, maxConcurrency: 2, onError: failure }))
    .next(stubs.next);
});
const handlers = (paused: string) => ({
  CheckPaused: () => ({ Parameter: { Value: paused } }),
  ProcessBatch: (i: Json) => ({ summary: { recordsIn: i.s3Object.lineCount, retried: 0 } }),
  SendToDlq: () => ({}),
  EmitFailed: () => ({}),
});

describe('public fragments composed into a workflow of ones own', () => {
  test('an unpaused run is processed over the ranges it computed', async () => {
    const { output } = await execute(definition, { bucket: 'b', key: 'k' }, handlers('false'));
    expect(output?.batches).toEqual([{ summary: { recordsIn: 10, retried: 0 } }]);
  });

  test('a paused run goes through the failure path: DLQ, BatchFailed, failed', async () => {
    const { failure, calls } = await execute(definition, { bucket: 'b', key: 'k' }, handlers('true'));
    expect(failure?.error).toBe('BatchFailed');
    expect(calls.map((c) => c.state)).toEqual(['CheckPaused', 'SendToDlq', 'EmitFailed']);
    expect(calls[1].input.MessageBody).toMatchObject({ pipeline: 'mine', error: 'PipelinePaused' });
  });
});
