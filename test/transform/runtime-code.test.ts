import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TransformFunction } from '../../lib';
import { TEST_ENV, testApp } from '../support/cdk';

/** Bundling for real (in-process esbuild), as `cdk synth` does it. */
describe('TransformFunction bundling', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transform-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function synth(transformEntry: string) {
    const app = testApp({ bundle: true });
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    new TransformFunction(stack, 'T', {
      transformEntry,
      pipelineName: 'pp',
      curatedBucket: new s3.Bucket(stack, 'C'),
      quarantineBucket: new s3.Bucket(stack, 'Q'),
    });
    const assembly = app.synth();
    const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    const key = String(fn.Properties.Code.S3Key);
    const bundle = fs.readFileSync(path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8');
    return { key, bundle, fn };
  }

  function writeTransform(name: string, helperBody: string) {
    fs.writeFileSync(path.join(dir, `${name}-helper.ts`), `export const suffix = ${JSON.stringify(helperBody)};\n`);
    const entry = path.join(dir, `${name}.ts`);
    fs.writeFileSync(
      entry,
      `import { suffix } from './${name}-helper';\nexport function transform(r: Record<string, unknown>) { return { ...r, tag: suffix }; }\n`,
    );
    return entry;
  }

  test('bundles the runtime with the transform and its imports, AWS SDK left out, handler index.handler', () => {
    const { bundle, fn } = synth(writeTransform('a', 'marker-one'));
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(bundle).toContain('marker-one');
    expect(bundle).not.toContain('@cdk-serverless-etl/user-transform');
    expect(bundle).toMatch(/require\("@aws-sdk\/client-s3"\)/);
  });

  test('a change in a file the transform imports gives a new asset (new code is deployed)', () => {
    const first = synth(writeTransform('b', 'one'));
    const second = synth(writeTransform('b', 'two'));
    expect(second.key).not.toBe(first.key);
  });

  test('a transform that does not compile fails synth naming the file and the error', () => {
    const entry = path.join(dir, 'broken.ts');
    fs.writeFileSync(entry, 'export function transform( {\n');
    expect(() => synth(entry)).toThrow(/bundling the transform failed \(.*broken\.ts\):\n {2}- .*broken\.ts:\d+: /);
  });
});

describe('TransformFunction bundling, two functions in one app', () => {
  test('each function gets its own bundle (the asset cache is keyed per transform)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'two-transforms-'));
    try {
      const app = testApp({ bundle: true });
      const stack = new Stack(app, 'S', { env: TEST_ENV });
      const curated = new s3.Bucket(stack, 'C');
      const quarantine = new s3.Bucket(stack, 'Q');
      for (const name of ['alpha', 'beta']) {
        const entry = path.join(dir, `${name}.ts`);
        fs.writeFileSync(entry, `export function transform(r: Record<string, unknown>) { return { ...r, tag: '${name}-marker' }; }\n`);
        new TransformFunction(stack, name, { transformEntry: entry, pipelineName: name, curatedBucket: curated, quarantineBucket: quarantine });
      }
      const assembly = app.synth();
      const keys = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((f) => String(f.Properties.Code.S3Key));
      expect(new Set(keys).size).toBe(2);
      const bundles = keys.map((k) => fs.readFileSync(path.join(assembly.directory, `asset.${k.replace(/\.zip$/, '')}`, 'index.js'), 'utf8'));
      expect(bundles.map((b) => [b.includes('alpha-marker'), b.includes('beta-marker')]).sort()).toEqual([
        [false, true],
        [true, false],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
