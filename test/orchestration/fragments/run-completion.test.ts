import { RunCompletion } from '../../../lib/orchestration/fragments/run-completion';
import { execute, renderFragment, taskError } from './support';

const { definition } = renderFragment((stack, stubs) => new RunCompletion(stack, 'Completion', { eventBus: stubs.eventBus, pipelineName: 'clicks', onError: stubs.onError }));
const RUN = { bucket: 'raw', key: 'batch/a.jsonl', object: { lineCount: 3, bytes: 120 }, summary: { recordsIn: 3, curated: 3 } };

describe('RunCompletion', () => {
  test('announces BatchCompleted with the counts, lines and bytes, and the run succeeds with its state unchanged', async () => {
    const { output, calls } = await execute(definition, RUN, { EmitCompleted: () => ({ Entries: [{ EventId: 'e' }], FailedEntryCount: 0 }) });
    expect(output).toEqual(RUN);
    expect(calls[0].input.Entries).toEqual([
      {
        EventBusName: expect.stringMatching(/Bus/),
        Source: 'cdk-serverless-etl',
        DetailType: 'BatchCompleted',
        Detail: {
          pipeline: 'clicks',
          bucket: 'raw',
          key: 'batch/a.jsonl',
          executionId: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1',
          counts: RUN.summary,
          lineCount: 3,
          bytes: 120,
        },
      },
    ]);
  });

  test('an event that cannot be put (after retries) sends the run to onError: a run is not complete unannounced', async () => {
    const { failure, calls } = await execute(definition, RUN, { EmitCompleted: () => Promise.reject(taskError('States.TaskFailed', 'bus down')) });
    expect(failure).toEqual({ error: 'OnError', cause: 'bus down' });
    expect(calls).toHaveLength(4);
  });
});
