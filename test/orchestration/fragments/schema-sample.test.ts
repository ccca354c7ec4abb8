import { SchemaSample } from '../../../lib/orchestration/fragments/schema-sample';
import { transformStack } from '../fixture';
import { execute, renderFragment, type Json } from './support';

const { definition, states } = renderFragment((stack, stubs) => {
  const { transform } = transformStack(stack, { schemas: true });
  const sample = new SchemaSample(stack, 'Sample', { transform, maxDriftRate: 0.1, onError: stubs.onError });
  sample.drifted.next(stubs.elsewhere);
  return sample.next(stubs.next);
});
const RUN = {
  bucket: 'raw',
  key: 'batch/a.jsonl',
  object: { etag: '"e"', sampleRange: { firstLine: 1, lineCount: 10, firstByte: 0, lastByte: 999 } },
};
const sample = (schemaMismatches: number) => ({
  sample: { recordsIn: 10, schemaMismatches, driftRate: schemaMismatches / 10, versions: { '1': 10 - schemaMismatches }, errors: [] },
  summary: { recordsIn: 10 },
});

describe('SchemaSample', () => {
  test('the transform validates the sample range only (validateOnly); a sample at most maxDriftRate lets the run on', async () => {
    const { output, calls } = await execute(definition, RUN, { SampleSchema: () => sample(1) });
    expect(calls[0].input).toEqual({
      s3Object: { bucket: 'raw', key: 'batch/a.jsonl', etag: '"e"', firstLine: 1, lineCount: 10, firstByte: 0, lastByte: 999 },
      validateOnly: true,
    });
    expect(output).toEqual({ ...RUN, sample: sample(1).sample, reached: 'Continue' });
  });

  test('a sample above maxDriftRate leaves through drifted with the sample as the evidence at $.summary', async () => {
    const { failure } = await execute(definition, RUN, { SampleSchema: () => sample(2) });
    expect(failure?.error).toBe('Elsewhere');
    expect(states.SampleDrifted.Parameters).toEqual({
      scope: 'sample',
      'recordsIn.$': '$.sample.recordsIn',
      'schemaMismatches.$': '$.sample.schemaMismatches',
      'driftRate.$': '$.sample.driftRate',
      'versions.$': '$.sample.versions',
      'errors.$': '$.sample.errors',
      curated: 0,
      drifted: true,
    });
    expect(states.SampleDrifted.ResultPath).toBe('$.summary');
  });

  test('a failed sample goes to onError', async () => {
    const { failure } = await execute(definition, RUN, { SampleSchema: (i: Json) => Promise.reject(Object.assign(new Error(`bad ${String(i.validateOnly)}`), { name: 'Error' })) });
    expect(failure).toEqual({ error: 'OnError', cause: 'bad true' });
  });
});
