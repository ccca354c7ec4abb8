import * as s3 from 'aws-cdk-lib/aws-s3';
import { RunSummary } from '../../../lib/orchestration/fragments/run-summary';
import { transformStack } from '../fixture';
import { execute, renderFragment, taskError, type Json } from './support';

function render(schemaSample: boolean) {
  return renderFragment((stack, stubs) => {
    const { transform } = transformStack(stack);
    return new RunSummary(stack, 'Summary', {
      stepsFunction: stubs.stepsFunction,
      maxDriftRate: 0.05,
      curatedBucket: s3.Bucket.fromBucketName(stack, 'Curated', 'curated'),
      pipelineName: 'clicks',
      dataset: 'click_events',
      transform,
      schemaSample,
      onError: stubs.onError,
    }).next(stubs.next);
  });
}
const RUN = { bucket: 'raw', key: 'batch/a.jsonl', object: { etag: '"e"', lineCount: 3 }, sample: { recordsIn: 3 }, batches: [{ summary: { recordsIn: 3 } }] };
const SUMMARY = { recordsIn: 3, schemaMismatches: 0, driftRate: 0, drifted: false };
const handlers = { Summarize: () => SUMMARY, RecordLineage: () => ({ bucket: 'curated', key: 'k' }) };

describe('RunSummary', () => {
  const { definition } = render(true);

  test('sums the batches into $.summary, then records the run\'s lineage manifest at $.lineage', async () => {
    const { output, calls } = await execute(definition, RUN, handlers);
    expect(output).toEqual({ ...RUN, summary: SUMMARY, lineage: { bucket: 'curated', key: 'k' }, reached: 'Continue' });
    expect(calls[0]).toEqual({ state: 'Summarize', input: { action: 'summarize', batches: RUN.batches, maxDriftRate: 0.05 } });
    expect(calls[1].state).toBe('RecordLineage');
    expect(calls[1].input).toMatchObject({
      action: 'lineage',
      bucket: 'curated',
      prefix: '_lineage/click_events/runs/',
      pipeline: 'clicks',
      dataset: 'click_events',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1',
      executionName: 'run-1',
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      source: { bucket: 'raw', key: 'batch/a.jsonl', object: RUN.object },
      transform: { functionName: expect.stringMatching(/^TestStack-TransformFunction[0-9A-F]{8}$/), alias: 'live', version: '1' },
      schemaSample: RUN.sample,
      counts: SUMMARY,
    });
  });

  test('without a schema sample the manifest has none', async () => {
    const { calls } = await execute(render(false).definition, RUN, handlers);
    expect(calls[1].input as Json).not.toHaveProperty('schemaSample');
  });

  test('an error of either step goes to onError', async () => {
    const { failure } = await execute(definition, RUN, { ...handlers, RecordLineage: () => Promise.reject(taskError('AccessDenied', 'no')) });
    expect(failure).toEqual({ error: 'OnError', cause: 'no' });
  });
});
