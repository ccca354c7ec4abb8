import * as s3 from 'aws-cdk-lib/aws-s3';
import { ObjectCheck } from '../../../lib/orchestration/fragments/object-check';
import { execute, renderFragment, STEPS_ARN, taskError, type Json } from './support';

const { definition, states } = renderFragment((stack, stubs) => {
  const quarantineBucket = s3.Bucket.fromBucketName(stack, 'Quarantine', 'quarantine');
  return new ObjectCheck(stack, 'Check', {
    stepsFunction: stubs.stepsFunction,
    linesPerBatch: 5,
    maxObjectBytes: 1024,
    schemaSampleLines: 3,
    quarantineBucket,
    dataset: 'clicks',
    onRejected: stubs.elsewhere,
    onError: stubs.onError,
  }).next(stubs.next);
});
const RUN = { bucket: 'raw', key: 'batch/a.jsonl' };
const OBJECT = { bytes: 10, lineCount: 1, etag: '"e"', versionId: null, gzip: false, ranges: [], sampleRange: {} };
const rejecting = (name: string) => ({
  CheckObject: () => {
    throw taskError(name, `rejected: ${name}`);
  },
  QuarantineRejectedObject: () => ({ bucket: 'quarantine', key: 'clicks/objects/batch/a.jsonl.error.json' }),
});

describe('ObjectCheck', () => {
  test('asks the steps function to check the object with the workflow\'s bounds; the result goes to $.object', async () => {
    const { output, calls } = await execute(definition, RUN, { CheckObject: () => OBJECT });
    expect(output).toEqual({ ...RUN, object: OBJECT, reached: 'Continue' });
    expect(calls).toEqual([
      {
        state: 'CheckObject',
        input: { action: 'check', bucket: 'raw', key: 'batch/a.jsonl', linesPerBatch: 5, maxObjectBytes: 1024, maxBatches: 1000, schemaSampleLines: 3 },
      },
    ]);
    expect(states.CheckObject.Resource).toBe(STEPS_ARN);
  });

  test.each(['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'])(
    'a deterministic rejection (%s) is not retried: the object is quarantined, the run goes to onRejected',
    async (name) => {
      const { failure, calls } = await execute(definition, RUN, rejecting(name));
      expect(failure?.error).toBe('Elsewhere');
      expect(calls.map((c) => c.state)).toEqual(['CheckObject', 'QuarantineRejectedObject']);
      expect(calls[1].input).toEqual({
        action: 'quarantine',
        bucket: 'raw',
        key: 'batch/a.jsonl',
        quarantineBucket: 'quarantine',
        prefix: 'clicks/objects/',
        reason: name,
        cause: `rejected: ${name}`,
        executionId: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1',
      });
    },
  );

  test('any other error goes to onError (after retries of the Lambda service\'s errors)', async () => {
    const missing = await execute(definition, RUN, { CheckObject: () => Promise.reject(taskError('NotFound', 'no such key')) });
    expect(missing.failure).toEqual({ error: 'OnError', cause: 'no such key' });
    expect(missing.calls).toHaveLength(1);
    const throttled = await execute(definition, RUN, { CheckObject: () => Promise.reject(taskError('Lambda.TooManyRequestsException')) });
    expect(throttled.calls).toHaveLength(4);
  });

  test('a quarantine that cannot be written sends the run to onError (the DLQ), its error at $.quarantineError', async () => {
    const { failure, calls } = await execute(definition, RUN, {
      ...rejecting('NotJsonLines'),
      QuarantineRejectedObject: (i: Json) => Promise.reject(taskError('AccessDenied', `cannot write ${String(i.prefix)}`)),
    });
    // The cause read by the failure path is still the rejection's.
    expect(failure).toEqual({ error: 'OnError', cause: 'rejected: NotJsonLines' });
    expect(calls.map((c) => c.state)).toEqual(['CheckObject', 'QuarantineRejectedObject']);
    expect(states.QuarantineRejectedObject.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.quarantineError', Next: 'OnError' }]);
  });
});
