import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TransformFunction } from '../../lib';
import { latestNodeRuntime } from '../../lib/core/lambda-runtime';
import { bundleRuntime, sharedBuildKey } from '../../lib/transform/runtime-code';
import { CLICKSTREAM_TRANSFORM, TEST_ENV, testApp } from '../support/cdk';

/** The bundles are compiled for the function's runtime: esbuild's target follows it. */
describe('runtimeCode target', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-target-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const entry = path.join(dir, 'entry.ts');
  const shared = path.join(dir, 'shared.ts');
  // `??=` (Node.js 15) and `?.` (Node.js 14) stay as written for a new runtime and are rewritten for an old one.
  fs.writeFileSync(shared, 'export function fill(o: { v?: number }) { o.v ??= 1; return o; }\n');
  fs.writeFileSync(entry, "import { fill } from 'target-shared';\nexport const handler = async (e: { a?: { b?: number } }) => fill({ v: e.a?.b });\n");
  let outputs = 0;
  const bundle = (runtime: lambda.Runtime) => {
    const out = path.join(dir, `out-${++outputs}`);
    bundleRuntime({ handlerEntry: entry, sharedModules: { 'target-shared': shared }, bundleAwsSdk: false, runtime }, out);
    return {
      entry: fs.readFileSync(path.join(out, 'index.js'), 'utf8'),
      shared: fs.readFileSync(path.join(out, 'node_modules', 'target-shared', 'index.js'), 'utf8'),
    };
  };

  test("the entry and the shared modules are compiled for the runtime's Node.js; a shared build is cached per target", () => {
    const modern = bundle(lambda.Runtime.NODEJS_24_X);
    expect(modern.shared).toContain('??=');
    expect(modern.entry).toContain('?.');
    // Same sources, older runtime: a shared build cached for node24 must not be served.
    const old = bundle(lambda.Runtime.NODEJS_12_X);
    expect(old.shared).not.toContain('??=');
    expect(old.entry).not.toContain('?.');
    // And back: the node24 build again.
    expect(bundle(lambda.Runtime.NODEJS_24_X).shared).toBe(modern.shared);
  });

  test('the shared-build cache key includes the target', () => {
    expect(sharedBuildKey('0.28.2', shared, 'node22', true)).not.toBe(sharedBuildKey('0.28.2', shared, 'node24', true));
    expect(sharedBuildKey('0.28.2', shared, 'node24', true)).toBe(sharedBuildKey('0.28.2', shared, 'node24', true));
  });
});

describe('TransformFunction runtime', () => {
  const make = (runtime?: lambda.Runtime) => {
    const stack = new Stack(testApp(), 'S', { env: TEST_ENV });
    const fn = new TransformFunction(stack, 'T', {
      transformEntry: CLICKSTREAM_TRANSFORM,
      pipelineName: 'pp',
      curatedBucket: new s3.Bucket(stack, 'C'),
      quarantineBucket: new s3.Bucket(stack, 'Q'),
      runtime,
    });
    return { stack, fn };
  };

  test('defaults to the newest Node.js runtime aws-cdk-lib knows', () => {
    const { stack, fn } = make();
    expect(fn.runtime).toBe(latestNodeRuntime());
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: latestNodeRuntime().name });
  });

  test('a chosen Node.js runtime is used', () => {
    const { stack } = make(lambda.Runtime.NODEJS_22_X);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
  });

  test('a runtime of another family fails synth naming the prop', () => {
    expect(() => make(lambda.Runtime.PYTHON_3_13)).toThrow(/TransformFunction \(S\/T\) props:\n(.*\n)* {2}- runtime is python3\.13; it must be a Node\.js runtime from nodejs20\.x to nodejs\d+\.x/);
  });
});
