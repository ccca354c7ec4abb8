import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TransformFunction } from '../../lib';
import { runtimeCode, sdkImports } from '../../lib/transform/runtime-code';
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
    const assetDir = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    return { key, bundle, fn, assetDir };
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

  test('bundles the runtime with the transform and its imports, handler index.handler', () => {
    const { bundle, fn } = synth(writeTransform('a', 'marker-one'));
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(bundle).toContain('marker-one');
    expect(bundle).not.toContain('@cdk-serverless-etl/user-transform');
  });

  test('the AWS SDK clients the runtime uses are bundled beside it (aws-sdk.js), tree-shaken to the commands it imports', () => {
    const { bundle, assetDir } = synth(writeTransform('sdk', 'marker-sdk'));
    expect(bundle).not.toMatch(/require\("@aws-sdk\//);
    expect(bundle).toContain('require("./aws-sdk/client-s3.js")');
    expect(bundle).toContain('require("./aws-sdk/client-dynamodb.js")');
    const sdk = fs.readFileSync(path.join(assetDir, 'aws-sdk.js'), 'utf8');
    expect(sdk).toContain('PutObjectCommand');
    expect(sdk).toContain('BatchWriteItemCommand');
    // Commands nothing imports are left out.
    expect(sdk).not.toContain('ListBucketsCommand');
    expect(sdk).not.toContain('CreateTableCommand');
    expect(Buffer.byteLength(sdk)).toBeLessThan(1024 * 1024);
    // The bundle loads with nothing but Node: no node_modules beside it.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-copy-'));
    try {
      fs.cpSync(assetDir, copy, { recursive: true });
      const child = spawnSync(
        process.execPath,
        [
          '-e',
          `const m = require(${JSON.stringify(path.join(copy, 'index.js'))}); const s3 = require(${JSON.stringify(path.join(copy, 'aws-sdk', 'client-s3.js'))}); ` +
            `if (typeof m.handler !== 'function' || typeof s3.S3Client !== 'function') process.exit(3);`,
        ],
        {
          cwd: copy,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', NODE_PATH: '', AWS_REGION: 'eu-west-1', PIPELINE_NAME: 'pp', CURATED_BUCKET: 'c', QUARANTINE_BUCKET: 'q', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' },
        },
      );
      expect(child.stderr).not.toMatch(/Cannot find module/);
      expect(child.status).toBe(0);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test("a transform's own SDK imports are bundled too; JSON it imports is not read as code", () => {
    fs.writeFileSync(path.join(dir, 'own-sdk.json'), JSON.stringify({ uses: '@aws-sdk/client-s3' }));
    const entry = path.join(dir, 'own-sdk.ts');
    fs.writeFileSync(
      entry,
      [
        "import { ListObjectsV2Command } from '@aws-sdk/client-s3';",
        "import meta from './own-sdk.json';",
        'export function transform(r: Record<string, unknown>) { return { ...r, uses: meta.uses, command: typeof ListObjectsV2Command }; }',
        '',
      ].join('\n'),
    );
    const { bundle, assetDir } = synth(entry);
    expect(bundle).not.toMatch(/require\("@aws-sdk\//);
    const sdk = fs.readFileSync(path.join(assetDir, 'aws-sdk.js'), 'utf8');
    expect(sdk).toContain('ListObjectsV2Command');
    expect(sdk).toContain('PutObjectCommand');
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

describe('runtimeCode, AWS SDK', () => {
  test('other functions leave the AWS SDK to the Lambda runtime (bundleAwsSdk defaults to false without a user transform)', () => {
    const app = testApp({ bundle: true });
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    const fn = new lambda.Function(stack, 'F', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: runtimeCode({ handlerEntry: path.join(__dirname, '..', '..', 'lambda', 'handlers', 'check-object.ts') }),
    });
    const assembly = app.synth();
    const key = String((Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)] as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key);
    const dir = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(fs.existsSync(path.join(dir, 'aws-sdk.js'))).toBe(false);
  });

  test('sdkImports reads named, namespace, default, re-exported, required and dynamically imported SDK modules; type-only imports are left out', () => {
    const code = [
      'import { S3Client, PutObjectCommand as Put } from "@aws-sdk/client-s3";',
      "import {\n  DynamoDBClient,\n  type AttributeValue,\n  BatchGetItemCommand,\n} from '@aws-sdk/client-dynamodb';",
      "import type { SESClient } from '@aws-sdk/client-ses';",
      'import * as sqs from "@aws-sdk/client-sqs";',
      'import sns from "@aws-sdk/client-sns";',
      'export { Foo } from "@aws-sdk/client-foo";',
      "export type { Bar } from '@aws-sdk/client-bar';",
      "const sm = require('@aws-sdk/client-secrets-manager');",
      "const kinesis = await import('@aws-sdk/client-kinesis');",
      'import { x } from "./local";',
    ].join('\n');
    const imports = sdkImports(code);
    expect(Object.fromEntries([...imports].map(([k, v]) => [k, v === 'all' ? v : [...v].sort()]))).toEqual({
      '@aws-sdk/client-s3': ['PutObjectCommand', 'S3Client'],
      '@aws-sdk/client-dynamodb': ['BatchGetItemCommand', 'DynamoDBClient'],
      '@aws-sdk/client-sqs': 'all',
      '@aws-sdk/client-sns': 'all',
      '@aws-sdk/client-foo': 'all',
      '@aws-sdk/client-secrets-manager': 'all',
      '@aws-sdk/client-kinesis': 'all',
    });
  });
});
