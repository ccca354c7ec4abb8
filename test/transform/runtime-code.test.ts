import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TransformFunction } from '../../lib';
import { cacheDir } from '../../lib/core/cache-dir';
import { writeSchemaBundle } from '../../lib/schema/schema-bundle';
import { bundleRuntime, runtimeCode } from '../../lib/transform/runtime-code';
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

  const RUNTIME_MODULE = path.join('node_modules', '@cdk-serverless-etl', 'runtime', 'index.js');

  test('the runtime is a shared module of the bundle with the AWS SDK clients it uses, tree-shaken to the commands it imports', () => {
    const { bundle, assetDir } = synth(writeTransform('sdk', 'marker-sdk'));
    expect(bundle).toContain('require("@cdk-serverless-etl/runtime")');
    expect(bundle).not.toMatch(/require\("@aws-sdk\//);
    // The runtime's code is not in the function's own entry.
    expect(bundle).not.toContain('BatchGetItem');
    const runtime = fs.readFileSync(path.join(assetDir, RUNTIME_MODULE), 'utf8');
    expect(runtime).not.toMatch(/require\("@aws-sdk\/client-/);
    expect(runtime).toContain('"PutObject"');
    expect(runtime).toContain('"BatchGetItem"');
    // Commands nothing imports are left out (claims are conditional PutItems: no BatchWriteItem).
    expect(runtime).not.toContain('"BatchWriteItem"');
    expect(runtime).not.toContain('"CreateTable"');
    expect(runtime).not.toContain('"Scan"');
    expect(Buffer.byteLength(runtime)).toBeLessThan(1024 * 1024);
    // The bundle loads with nothing but Node: no node_modules but its own.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-copy-'));
    try {
      fs.cpSync(assetDir, copy, { recursive: true });
      const child = spawnSync(
        process.execPath,
        ['-e', `const m = require(${JSON.stringify(path.join(copy, 'index.js'))}); if (typeof m.handler !== 'function') process.exit(3);`],
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

  test("a transform's own SDK imports are left to the Lambda runtime's SDK; JSON it imports is bundled", () => {
    fs.writeFileSync(path.join(dir, 'own-sdk.json'), JSON.stringify({ uses: 'json-marker' }));
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
    const { bundle } = synth(entry);
    expect(bundle).toContain('require("@aws-sdk/client-s3")');
    expect(bundle).toContain('json-marker');
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
      // Both carry the same runtime, built once.
      const runtimes = keys.map((k) => fs.readFileSync(path.join(assembly.directory, `asset.${k.replace(/\.zip$/, '')}`, 'node_modules', '@cdk-serverless-etl', 'runtime', 'index.js'), 'utf8'));
      expect(runtimes[0]).toBe(runtimes[1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runtimeCode, AWS SDK', () => {
  test('other functions leave the AWS SDK to the Lambda runtime (bundleAwsSdk defaults to false without shared modules)', () => {
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
    expect(fs.existsSync(path.join(dir, 'node_modules'))).toBe(false);
  });

  test('bundleAwsSdk without shared modules bundles the SDK into index.js', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inline-sdk-'));
    try {
      bundleRuntime({ handlerEntry: path.join(__dirname, '..', '..', 'lambda', 'handlers', 'check-object.ts'), bundleAwsSdk: true }, out);
      const code = fs.readFileSync(path.join(out, 'index.js'), 'utf8');
      expect(code).not.toMatch(/require\("@aws-sdk\/client-/);
      expect(code).toContain('"GetObject"');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('runtimeCode, shared modules', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const entry = path.join(dir, 'entry.ts');
  const shared = path.join(dir, 'shared.ts');
  fs.writeFileSync(entry, "import { greet } from 'my-shared';\nexport const handler = async () => greet();\n");
  const options = { handlerEntry: entry, sharedModules: { 'my-shared': shared }, bundleAwsSdk: false };
  const load = (out: string) => fs.readFileSync(path.join(out, 'node_modules', 'my-shared', 'index.js'), 'utf8');
  let outputs = 0;
  /** Bundles with a fresh copy of the module (an empty in-memory cache, as in a new synth process) or this one. */
  const bundle = (freshProcess = false) => {
    const out = path.join(dir, `out-${++outputs}`);
    if (!freshProcess) bundleRuntime(options, out);
    else jest.isolateModules(() => (jest.requireActual('../../lib/transform/runtime-code') as typeof import('../../lib/transform/runtime-code')).bundleRuntime(options, out));
    return load(out);
  };
  /** Writes the shared module with a modification time `ageSeconds` in the past. */
  const writeShared = (text: string, ageSeconds: number) => {
    fs.writeFileSync(shared, text);
    const time = new Date(Date.now() - ageSeconds * 1000);
    fs.utimesSync(shared, time, time);
  };
  /** The disk cache entries whose inputs include the shared module. */
  const cacheEntries = () =>
    fs
      .readdirSync(cacheDir())
      .filter((f) => /^shared-.*\.json$/.test(f))
      .filter((f) => shared in (JSON.parse(fs.readFileSync(path.join(cacheDir(), f), 'utf8')) as { inputs: Record<string, unknown> }).inputs);

  test('a cached shared module is rebuilt when its source changes, also at the same size, in this process and the next', () => {
    writeShared("export const greet = () => 'version-1';\n", 60);
    expect(bundle()).toContain('version-1');
    expect(cacheEntries()).toHaveLength(1);
    writeShared("export const greet = () => 'version-2';\n", 30);
    expect(bundle()).toContain('version-2');
    expect(bundle(true)).toContain('version-2');
  });

  test('a build whose inputs changed moments before (or while) it ran is used but not cached', () => {
    writeShared("export const greet = () => 'just-saved';\n", 0);
    const before = cacheEntries().length;
    expect(bundle()).toContain('just-saved');
    expect(cacheEntries()).toHaveLength(before);
  });

  test('a cache entry whose code no longer matches its hash is rebuilt, never shipped', () => {
    writeShared("export const greet = () => 'genuine';\n", 90);
    expect(bundle()).toContain('genuine');
    const [entryFile] = cacheEntries().filter((f) => fs.readFileSync(path.join(cacheDir(), f.replace(/\.json$/, '.js')), 'utf8').includes('genuine'));
    fs.writeFileSync(path.join(cacheDir(), entryFile.replace(/\.json$/, '.js')), 'exports.greet = () => "planted";');
    const code = bundle(true);
    expect(code).toContain('genuine');
    expect(code).not.toContain('planted');
  });

  test('writing a build prunes entries unused for two weeks (and older per-SDK bundles); used ones stay', () => {
    const old = new Date(Date.now() - 15 * 24 * 3600 * 1000);
    const plant = (name: string) => {
      fs.writeFileSync(path.join(cacheDir(), name), '{}');
      fs.utimesSync(path.join(cacheDir(), name), old, old);
    };
    ['shared-0000aaaa.json', 'shared-0000aaaa.js', 'aws-sdk-0000bbbb.js'].forEach(plant);
    writeShared("export const greet = () => 'pruning';\n", 120);
    expect(bundle()).toContain('pruning');
    for (const name of ['shared-0000aaaa.json', 'shared-0000aaaa.js', 'aws-sdk-0000bbbb.js']) expect(fs.existsSync(path.join(cacheDir(), name))).toBe(false);
    expect(cacheEntries().length).toBeGreaterThan(0);
  });

  test('a shared module that does not compile fails synth naming the file and the error', () => {
    writeShared('export const greet = ( => 1;\n', 0);
    expect(() => bundleRuntime(options, path.join(dir, 'broken'))).toThrow(/bundling the runtime failed \(.*shared\.ts\):\n {2}- .*shared\.ts:\d+: /);
  });

  test('an import of a name the module does not export fails synth (it would be undefined at run time)', () => {
    const bad = path.join(dir, 'bad-entry.ts');
    fs.writeFileSync(path.join(dir, 'helper.ts'), 'export const present = 1;\n');
    fs.writeFileSync(bad, "import { absent } from './helper';\nexport const handler = async () => absent;\n");
    expect(() => bundleRuntime({ handlerEntry: bad }, path.join(dir, 'bad'))).toThrow(/bundling the function failed \(.*bad-entry\.ts\):\n {2}- .*bad-entry\.ts:1: .*absent/);
  });
});

describe('runtimeCode in an ES module project', () => {
  test('the compiled schemas stay CommonJS under "type": "module", and the bundle loads', () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-project-'));
    try {
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
      const schemas = writeSchemaBundle({ versions: [{ version: '1', schema: { type: 'object' } }], versionField: 'v', outDir: path.join(project, 'cache') });
      const entry = path.join(project, 'entry.ts');
      fs.writeFileSync(entry, "import * as schemas from '@cdk-serverless-etl/schema-bundle';\nexport const handler = async () => [schemas.versionField, Object.keys(schemas.versions)];\n");
      const out = path.join(project, 'out');
      bundleRuntime({ handlerEntry: entry, aliases: { '@cdk-serverless-etl/schema-bundle': schemas } }, out);
      const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(out, 'index.js'))}).handler().then((r) => process.stdout.write(JSON.stringify(r)))`], { encoding: 'utf8' });
      expect(child.stderr).toBe('');
      expect(JSON.parse(child.stdout)).toEqual(['v', ['1']]);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});
