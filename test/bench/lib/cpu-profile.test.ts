import { categoryOf, summarise } from '../../../bench/lib/cpu-profile';

describe('CPU profile summary', () => {
  it('sorts frames into categories, leaving idle time out', () => {
    expect(categoryOf('(idle)', '')).toBeUndefined();
    expect(categoryOf('signRequest', 'file:///x/node_modules/@smithy/signature-v4/dist-cjs/index.js')).toBe('AWS SDK client (middleware, signing, serialization)');
    expect(categoryOf('validate10', 'file:///x/node_modules/.cache/cdk-serverless-etl/schema-validators-abc.cjs')).toBe('schema validation');
    expect(categoryOf('writeOutcome', 'file:///x/lambda/runtime/s3-sink.ts')).toBe('runtime: s3-sink.ts');
    expect(categoryOf('gzipSync', 'node:zlib')).toBe('node: zlib');
    expect(categoryOf('(garbage collector)', '')).toBe('garbage collection');
  });

  it('gives each category its share of the non-idle samples', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '' } },
        { id: 2, callFrame: { functionName: 'gzipSync', url: 'node:zlib' } },
        { id: 3, callFrame: { functionName: 'send', url: 'file:///x/node_modules/@aws-sdk/client-s3/index.js' } },
      ],
      samples: [1, 1, 2, 3, 3, 3],
    };
    expect(summarise(profile)).toEqual([
      { category: 'AWS SDK client (middleware, signing, serialization)', share: 0.75 },
      { category: 'node: zlib', share: 0.25 },
    ]);
    expect(summarise(profile, 1)).toEqual([
      { category: 'AWS SDK client (middleware, signing, serialization)', share: 0.75 },
      { category: 'other', share: 0.25 },
    ]);
  });
});
