import { TransformPasses } from '../../../lib/orchestration/fragments/transform-passes';
import { transformStack } from '../fixture';
import { execute, renderFragment, taskError, type Json } from './support';

const { definition, states } = renderFragment((stack, stubs) => {
  const { transform } = transformStack(stack);
  return new TransformPasses(stack, 'Passes', { transform, maxConcurrency: 4, onError: stubs.onError }).next(stubs.next);
});
const range = (firstLine: number, lineCount: number, firstByte: number | null, lastByte: number | null) => ({ firstLine, lineCount, firstByte, lastByte });
const RUN = {
  bucket: 'raw',
  key: 'batch/a.jsonl',
  object: { etag: '"e1"', ranges: [range(1, 2, 0, 99), range(3, 1, 100, 149)] },
};
const counts = (recordsIn: number, retried = 0) => ({ recordsIn, curated: recordsIn - retried, retried });

describe('TransformPasses', () => {
  test('invokes the transform once per range with the object, its ETag and the range; the summaries go to $.batches', async () => {
    const { output, calls } = await execute(definition, RUN, { ProcessBatch: (i: Json) => ({ summary: counts(i.s3Object.lineCount), ignored: true }) });
    expect(output).toEqual({ ...RUN, batches: [{ summary: counts(2) }, { summary: counts(1) }], reached: 'Continue' });
    expect(calls.map((c) => c.input).sort((a, b) => a.s3Object.firstLine - b.s3Object.firstLine)).toEqual([
      { run: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1', s3Object: { bucket: 'raw', key: 'batch/a.jsonl', etag: '"e1"', ...range(1, 2, 0, 99) } },
      { run: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1', s3Object: { bucket: 'raw', key: 'batch/a.jsonl', etag: '"e1"', ...range(3, 1, 100, 149) } },
    ]);
  });

  test('a range with records not stored fails (never a silent success); the run goes to onError', async () => {
    const { failure, output } = await execute(definition, RUN, { ProcessBatch: (i: Json) => ({ summary: counts(i.s3Object.lineCount, i.s3Object.firstLine === 3 ? 1 : 0) }) });
    expect(output).toBeUndefined();
    expect(failure?.error).toBe('OnError');
    expect(states.RecordsNotStored).toMatchObject({ Type: 'Fail', Error: 'BatchItemFailures' });
  });

  test('Lambda service errors are retried (3 more attempts), then the run goes to onError', async () => {
    const { failure, calls } = await execute(definition, { ...RUN, object: { ...RUN.object, ranges: [range(1, 1, null, null)] } }, {
      ProcessBatch: () => {
        throw taskError('Lambda.TooManyRequestsException', 'slow down');
      },
    });
    expect(failure).toEqual({ error: 'OnError', cause: 'slow down' });
    expect(calls).toHaveLength(4);
  });

  test('a Distributed Map of STANDARD children with a concurrency cap and no tolerated failures; a failed Map Run runs again', () => {
    const map = states.ProcessBatches;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.object.ranges',
      MaxConcurrency: 4,
      ResultPath: '$.batches',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    // No tolerated failures: 0 is Step Functions' default, which aws-cdk-lib leaves out.
    expect([map.ToleratedFailurePercentage ?? 0, map.ToleratedFailureCount ?? 0]).toEqual([0, 0]);
    expect(map.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], MaxAttempts: 2 })]);
    expect(map.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'OnError' }]);
  });

  test('each invocation targets the live alias, with the function\'s timeout plus 30 s', () => {
    expect(states.ProcessBatch.Resource).toMatch(/:function:TestStack-TransformFunction[0-9A-F]{8}:live$/);
    expect(states.ProcessBatch.TimeoutSeconds).toBe(60 + 30);
  });
});
