import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SnapshotTemplate, TransformFunction } from '../../lib';
import { TEST_ENV } from '../support/cdk';

/** A bundled TransformFunction stack whose transform returns `output`. */
function transformStack(dir: string, output: string, memorySize = 512): Stack {
  const entry = path.join(dir, `transform-${output}.ts`);
  fs.writeFileSync(entry, `export function transform(record: { payload: unknown }) { return { value: ${JSON.stringify(output)}, record }; }\n`);
  const app = new App({ outdir: fs.mkdtempSync(path.join(dir, 'cdk.out-')) });
  const stack = new Stack(app, 'Snap', { env: TEST_ENV });
  new TransformFunction(stack, 'Transform', {
    transformEntry: entry,
    pipelineName: 'snap',
    curatedBucket: new s3.Bucket(stack, 'Curated'),
    quarantineBucket: new s3.Bucket(stack, 'Quarantine'),
    memorySize,
  });
  return stack;
}

describe('SnapshotTemplate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshot-template-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is the same after a transform edit, though the raw template is not', () => {
    const before = transformStack(dir, 'a');
    const after = transformStack(dir, 'b');
    expect(Template.fromStack(after).toJSON()).not.toEqual(Template.fromStack(before).toJSON());
    expect(SnapshotTemplate.fromStack(after)).toEqual(SnapshotTemplate.fromStack(before));
    expect(JSON.stringify(SnapshotTemplate.fromStack(after))).not.toMatch(/[0-9a-f]{64}|CurrentVersion[0-9A-F]{8}/);
  });

  test('changes when the infrastructure changes', () => {
    expect(SnapshotTemplate.fromStack(transformStack(dir, 'a', 1024))).not.toEqual(SnapshotTemplate.fromStack(transformStack(dir, 'a', 512)));
  });

  test('keeps everything that is not a content hash', () => {
    const template = { Resources: { FnCurrentVersion12AB34CD0123456789abcdef0123456789abcdef: { Type: 'AWS::Lambda::Version' } }, Outputs: { Name: { Value: 'orders-0123' } } };
    expect(SnapshotTemplate.fromJson(template)).toEqual({
      Resources: { 'FnCurrentVersion<hash>': { Type: 'AWS::Lambda::Version' } },
      Outputs: { Name: { Value: 'orders-0123' } },
    });
  });
});
