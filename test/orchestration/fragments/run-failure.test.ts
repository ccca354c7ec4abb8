import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RunFailure } from '../../../lib/orchestration/fragments/run-failure';
import { testStack } from '../../support/cdk';
import { execute, renderFragment, taskError } from './support';

const RUN = { bucket: 'raw', key: 'batch/a.jsonl', failure: { Error: 'NotFound', Cause: 'no such key' } };
const ok = { SendToDlq: () => ({ MessageId: 'm-1' }), EmitFailed: () => ({ Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 }) };
const throttled = () => {
  throw taskError('States.TaskFailed', 'throttled');
};

// Runs enter at the fragment's start (errors of other states), or at `announce` when `$.quarantined` is set.
const { definition, states } = renderFragment((stack, stubs) => {
  const failure = new RunFailure(stack, 'Failure', { deadLetterQueue: new sqs.Queue(stack, 'Dlq'), eventBus: stubs.eventBus, pipelineName: 'clicks' });
  return new sfn.Choice(stack, 'Route').when(sfn.Condition.isPresent('$.quarantined'), failure.announce).otherwise(failure);
});

describe('RunFailure', () => {
  test('sends the run\'s object and error to the DLQ, emits BatchFailed, and fails with BatchFailed and the cause', async () => {
    const { failure, calls } = await execute(definition, RUN, ok);
    expect(failure).toEqual({ error: 'BatchFailed', cause: 'no such key' });
    expect(calls.map((c) => c.state)).toEqual(['SendToDlq', 'EmitFailed']);
    expect(calls[0].input.MessageBody).toEqual({
      pipeline: 'clicks',
      bucket: 'raw',
      key: 'batch/a.jsonl',
      error: 'NotFound',
      cause: 'no such key',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1',
    });
    expect(calls[1].input.Entries).toEqual([
      expect.objectContaining({
        Source: 'cdk-serverless-etl',
        DetailType: 'BatchFailed',
        Detail: expect.objectContaining({ pipeline: 'clicks', bucket: 'raw', key: 'batch/a.jsonl', error: 'NotFound', cause: 'no such key' }),
      }),
    ]);
  });

  test('an undeliverable DLQ message still emits the event; an undeliverable event still fails the run', async () => {
    const noDlq = await execute(definition, RUN, { ...ok, SendToDlq: throttled });
    expect(noDlq.failure?.error).toBe('BatchFailed');
    expect(noDlq.calls.map((c) => c.state)).toEqual(['SendToDlq', 'SendToDlq', 'SendToDlq', 'SendToDlq', 'EmitFailed']);
    const nothing = await execute(definition, RUN, { SendToDlq: throttled, EmitFailed: throttled });
    expect(nothing.failure).toEqual({ error: 'BatchFailed', cause: 'no such key' });
  });

  test('announce emits BatchFailed and fails without a DLQ message (for objects recorded elsewhere)', async () => {
    const { failure, calls } = await execute(definition, { ...RUN, quarantined: { key: 'q' } }, ok);
    expect(failure?.error).toBe('BatchFailed');
    expect(calls.map((c) => c.state)).toEqual(['EmitFailed']);
    expect(calls[0].input.Entries[0].Detail.error).toBe('NotFound');
  });

  test('nothing follows it: the path ends in its Fail state, and chaining after it is refused', () => {
    expect(states.Route.Default).toBe('SendToDlq');
    expect(states.Failed).toMatchObject({ Type: 'Fail', Error: 'BatchFailed', CausePath: '$.failure.Cause' });
    const stack = testStack();
    const failure = new RunFailure(stack, 'Failure', { deadLetterQueue: new sqs.Queue(stack, 'Dlq'), eventBus: new events.EventBus(stack, 'Bus'), pipelineName: 'p' });
    expect(() => failure.next(new sfn.Pass(stack, 'After'))).toThrow(/Cannot add to chain/);
  });
});
