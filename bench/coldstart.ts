/**
 * 2. Cold start proxy: the library's handler bundled by `bundleRuntime` exactly as TransformFunction
 * stages it (minified CommonJS: `index.js` with the transform and schemas, and the runtime with the
 * AWS SDK clients it uses as the bundle's module `@cdk-serverless-etl/runtime`), and
 * the same handler with the SDK left to the runtime (loaded from node_modules, as before); the
 * alternative and a minimal handler bundled the usual way (esbuild, minified, `@aws-sdk/*` external,
 * loaded from node_modules as the Lambda runtime loads them). Each is `require`d in a fresh node
 * process. Rounds alternate the handlers' order; median of the rounds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { bundleRuntime, type RuntimeCodeOptions } from '../lib/transform/runtime-code';
import { loadSchemas, OUT_DIR } from './throughput';
import { compare, median, msSince, progress, round, type Comparison } from './lib/stats';

const ROOT = path.join(__dirname, '..');
const BUNDLE_DIR = path.join(OUT_DIR, 'bundles');

export interface BundleInfo {
  name: string;
  file: string;
  bytes: number;
  /** External modules the bundle requires at init (the AWS SDK clients it loads). */
  external: string[];
  /** Largest inputs, bytes in the output. */
  topInputs: Array<{ input: string; bytes: number }>;
  /** Whether ajv's schema compiler (ajv/dist/compile, ajv/dist/core) is in the bundle. */
  containsAjvCompiler: boolean;
  /** Bytes of the bundled AWS SDK in the handler's files, when it is bundled (against the same handler without it). */
  sdkBytes?: number;
  /** The SDK modules bundled. */
  sdkBundled?: string[];
}

export interface ColdStartResults {
  rounds: number;
  bundles: Record<string, BundleInfo>;
  /** module init (require of the bundle, SDK clients included), ms per round */
  initMs: Record<string, number[]>;
  /** whole process wall time, ms per round (node start + init + exit) */
  processMs: Record<string, number[]>;
  medians: Record<string, { initMs: number; processMs: number; overEmptyMs: number }>;
  runtimeVsPowertools: Comparison;
  /** init ms of each @aws-sdk client alone, in a fresh process */
  sdkClientInitMs: Record<string, number>;
  /** esbuild itself vs one `npx esbuild` spawn for the same bundle */
  esbuild: { apiMs: number[]; npxMs: number[]; comparison: Comparison };
  /** The library handler's whole bundling (`bundleRuntime`), shared runtime module (with the SDK) from the cache vs built afresh (a first synth), ms per round */
  sdkBundling: { cachedMs: number[]; freshMs: number[] };
  /** The library handler with the SDK left to the runtime (the state before bundling it) vs as shipped */
  runtimeExternalVsBundled: Comparison;
}

const ENTRIES = {
  runtime: path.join(ROOT, 'lambda/handlers/transform-handler.ts'),
  /** The runtime module the transform handler imports (`@cdk-serverless-etl/runtime`). */
  runtimeModule: path.join(ROOT, 'lambda/runtime/batch-handler.ts'),
  powertools: path.join(__dirname, 'alternatives/powertools-entry.ts'),
  minimal: path.join(__dirname, 'alternatives/minimal-entry.ts'),
};

const CHILD_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'benchmark-secret',
  PIPELINE_NAME: 'clickstream',
  CURATED_BUCKET: 'curated-bucket',
  QUARANTINE_BUCKET: 'quarantine-bucket',
  RAW_BUCKET: 'raw-bucket',
  IDEMPOTENCY_TABLE: 'idempotency-store',
  PII_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-key',
  RECORD_ID_FIELD: 'eventId',
  EVENT_TIME_FIELD: 'eventTime',
  POWERTOOLS_SERVICE_NAME: 'clickstream',
};

const PROBE = `'use strict';
const t0 = process.hrtime.bigint();
const m = require(process.argv[2]);
const t1 = process.hrtime.bigint();
if (process.argv[2].includes('/bundles/') && !process.argv[2].endsWith('empty.js') && typeof m.handler !== 'function') throw new Error('no handler');
process.stdout.write(JSON.stringify({ initMs: Number(t1 - t0) / 1e6 }));
`;

function buildOptions(name: keyof typeof ENTRIES, schemaFile: string, outfile: string): esbuild.BuildOptions {
  return {
    entryPoints: [ENTRIES[name]],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
    alias:
      name === 'runtime'
        ? {
            '@cdk-serverless-etl/user-transform': path.join(ROOT, 'examples/clickstream/transform.ts'),
            '@cdk-serverless-etl/schema-bundle': schemaFile,
            '@cdk-serverless-etl/runtime': ENTRIES.runtimeModule,
          }
        : {},
  };
}

function runtimeOptions(schemaFile: string, bundleAwsSdk: boolean): RuntimeCodeOptions {
  return {
    handlerEntry: ENTRIES.runtime,
    aliases: { '@cdk-serverless-etl/user-transform': path.join(ROOT, 'examples/clickstream/transform.ts'), '@cdk-serverless-etl/schema-bundle': schemaFile },
    sharedModules: { '@cdk-serverless-etl/runtime': ENTRIES.runtimeModule },
    bundleAwsSdk,
  };
}

/** The library handler as TransformFunction stages it (`bundleAwsSdk`: as shipped, or with the SDK left to the runtime). */
async function runtimeBundle(name: string, schemaFile: string, bundleAwsSdk: boolean): Promise<BundleInfo> {
  const dir = path.join(BUNDLE_DIR, name);
  fs.rmSync(dir, { recursive: true, force: true });
  bundleRuntime(runtimeOptions(schemaFile, bundleAwsSdk), dir);
  const file = path.join(dir, 'index.js');
  // Everything the function ships: its entry and the shared runtime module.
  const files = [file, path.join(dir, 'node_modules', '@cdk-serverless-etl', 'runtime', 'index.js')];
  const code = files.map((f) => fs.readFileSync(f, 'utf8'));
  // Inputs and ajv check from the same esbuild configuration, with a metafile.
  const info = await bundle('runtime', schemaFile);
  return {
    ...info,
    name,
    file,
    bytes: code.reduce((sum, c) => sum + Buffer.byteLength(c), 0),
    external: [...new Set(code.flatMap((c) => [...c.matchAll(/require\("(@aws-sdk\/client-[^"]+)"\)/g)].map((m) => m[1])))].sort(),
  };
}

async function bundle(name: keyof typeof ENTRIES, schemaFile: string): Promise<BundleInfo> {
  const file = path.join(BUNDLE_DIR, `${name}.js`);
  const result = await esbuild.build(buildOptions(name, schemaFile, file));
  const meta = result.metafile as esbuild.Metafile;
  const output = Object.values(meta.outputs)[0];
  const external = [...new Set(output.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path))].sort();
  const topInputs = Object.entries(output.inputs)
    .map(([input, v]) => ({ input: input.replace(/^.*node_modules\//, 'node_modules/'), bytes: v.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  const containsAjvCompiler = Object.keys(output.inputs).some((i) => /node_modules\/ajv\/dist\/(compile\/index|core)\.js$/.test(i));
  return { name, file, bytes: fs.statSync(file).size, external, topInputs, containsAjvCompiler };
}

function runProbe(target: string): { initMs: number; processMs: number } {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [path.join(BUNDLE_DIR, 'probe.js'), target], { env: CHILD_ENV, encoding: 'utf8' });
  const processMs = msSince(start);
  if (child.status !== 0) throw new Error(`init probe of ${target} failed: ${child.stderr}`);
  return { initMs: (JSON.parse(child.stdout) as { initMs: number }).initMs, processMs };
}

export async function runColdStart(rounds = 7): Promise<ColdStartResults> {
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  fs.writeFileSync(path.join(BUNDLE_DIR, 'probe.js'), PROBE);
  fs.writeFileSync(path.join(BUNDLE_DIR, 'empty.js'), '');
  const { file: schemaFile } = await loadSchemas();
  const bundles: Record<string, BundleInfo> = {};
  bundles.powertools = await bundle('powertools', schemaFile);
  bundles.minimal = await bundle('minimal', schemaFile);
  const external = await runtimeBundle('runtime-sdk-external', schemaFile, false);
  bundles['runtime-sdk-external'] = external;
  const shipped = await runtimeBundle('runtime', schemaFile, true);
  bundles.runtime = { ...shipped, sdkBytes: shipped.bytes - external.bytes, sdkBundled: external.external };
  progress(`  bundles: ${Object.values(bundles).map((b) => `${b.name} ${round(b.bytes / 1024, 1)} KB${b.sdkBytes ? ` (SDK ${round(b.sdkBytes / 1024, 1)} KB of it)` : ''}`).join(', ')}`);

  const names = ['runtime', 'runtime-sdk-external', 'powertools', 'minimal', 'empty'];
  const probeFile = (name: string) => (bundles[name]?.file ?? path.join(BUNDLE_DIR, `${name}.js`));
  const initMs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const processMs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of ['runtime', 'runtime-sdk-external', 'powertools']) runProbe(probeFile(name)); // warm the file system cache
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const m = runProbe(probeFile(name));
      initMs[name].push(m.initMs);
      processMs[name].push(m.processMs);
    }
  }
  const medians = Object.fromEntries(
    names.map((n) => [
      n,
      { initMs: round(median(initMs[n]), 1), processMs: round(median(processMs[n]), 1), overEmptyMs: round(median(processMs[n]) - median(processMs.empty), 1) },
    ]),
  );

  const sdkClientInitMs: Record<string, number> = {};
  for (const client of ['@aws-sdk/client-dynamodb', '@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager']) {
    const samples = [0, 1, 2].map(() => runProbe(require.resolve(client, { paths: [ROOT] })).initMs);
    sdkClientInitMs[client] = round(median(samples), 1);
  }

  // esbuild: in-process API vs one `npx esbuild` spawn (what NodejsFunction does per function).
  const apiMs: number[] = [];
  const npxMs: number[] = [];
  const opts = buildOptions('runtime', schemaFile, path.join(BUNDLE_DIR, 'runtime-api.js'));
  const args = [
    '--no-install', 'esbuild', ENTRIES.runtime, '--bundle', '--minify', '--platform=node', '--target=node20', '--format=cjs',
    '--external:@aws-sdk/*', `--outfile=${path.join(BUNDLE_DIR, 'runtime-npx.js')}`, '--log-level=warning',
    `--alias:@cdk-serverless-etl/user-transform=${path.join(ROOT, 'examples/clickstream/transform.ts')}`,
    `--alias:@cdk-serverless-etl/schema-bundle=${schemaFile}`,
    `--alias:@cdk-serverless-etl/runtime=${ENTRIES.runtimeModule}`,
  ];
  for (let r = 0; r < 5; r++) {
    const api = async () => {
      const s = process.hrtime.bigint();
      await esbuild.build({ ...opts, metafile: false });
      apiMs.push(msSince(s));
    };
    const npx = () => {
      const s = process.hrtime.bigint();
      const child = spawnSync('npx', args, { cwd: ROOT, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`npx esbuild failed: ${child.stderr}`);
      npxMs.push(msSince(s));
    };
    if (r % 2 === 0) {
      await api();
      npx();
    } else {
      npx();
      await api();
    }
  }
  // The shared runtime module (with the SDK): from the cache (every synth after the first on a machine) vs built afresh.
  const sdkBundling = { cachedMs: [] as number[], freshMs: [] as number[] };
  for (let r = 0; r < 5; r++) {
    for (const fresh of r % 2 === 0 ? [false, true] : [true, false]) {
      const s = process.hrtime.bigint();
      bundleRuntime(runtimeOptions(schemaFile, true), path.join(BUNDLE_DIR, 'runtime-timing'), !fresh);
      (fresh ? sdkBundling.freshMs : sdkBundling.cachedMs).push(round(msSince(s), 1));
    }
  }

  const result: ColdStartResults = {
    rounds,
    bundles,
    initMs: Object.fromEntries(Object.entries(initMs).map(([k, v]) => [k, v.map((x) => round(x, 1))])),
    processMs: Object.fromEntries(Object.entries(processMs).map(([k, v]) => [k, v.map((x) => round(x, 1))])),
    medians,
    runtimeVsPowertools: compare(initMs.runtime, initMs.powertools),
    runtimeExternalVsBundled: compare(initMs['runtime-sdk-external'], initMs.runtime),
    sdkBundling,
    sdkClientInitMs,
    esbuild: { apiMs: apiMs.map((x) => round(x, 1)), npxMs: npxMs.map((x) => round(x, 1)), comparison: compare(npxMs, apiMs) },
  };
  progress(
    `  init: runtime ${medians.runtime.initMs} ms (SDK from node_modules: ${medians['runtime-sdk-external'].initMs} ms), powertools ${medians.powertools.initMs} ms, minimal ${medians.minimal.initMs} ms; ` +
      `esbuild api ${round(median(apiMs), 0)} ms vs npx ${round(median(npxMs), 0)} ms`,
  );
  return result;
}
