/**
 * Checks the cloud assembly the consumer app synthesized (usage: `tsx check-bundles.ts <outdir>`):
 * no error annotations, and every Lambda function's asset loads in a fresh `node` process the way
 * Lambda loads it: from a copy of the asset directory alone, where only Node's built-ins and the
 * AWS SDK v3 (`@aws-sdk/*`, `@smithy/*`, which the Lambda Node.js runtime provides) resolve besides
 * the asset's own files. Every transform function is also invoked, without AWS (endpoints point at
 * a closed local port): an empty Kinesis batch, and one record the user's transform drops on purpose,
 * which must come back with no failures and be counted as dropped in the function's EMF metrics.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

interface LambdaResource {
  Type: string;
  Properties: { Handler?: string; Runtime?: string; Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, unknown> } };
}

const RESULT_PREFIX = 'PACKAGE-CHECK-RESULT ';

/**
 * Run by plain node in the copy of the asset: bare modules resolve only inside the asset or, for
 * the AWS SDK, from NODE_PATH (the Lambda runtime's SDK); the handler module loads (init), and a
 * transform function is invoked twice. Prints one result line.
 */
const CHILD = `
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const [assetDir, handler, mode] = process.argv.slice(1);
const dir = fs.realpathSync(assetDir);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = resolve.call(this, request, parent, ...rest);
  const fromAsset = parent && parent.filename && parent.filename.startsWith(dir + path.sep);
  const ok = !fromAsset || Module.isBuiltin(request) || resolved.startsWith(dir + path.sep) || /^(@aws-sdk|@smithy)\\//.test(request);
  if (!ok) throw new Error('the bundle loads ' + request + ' from ' + resolved + ', outside the asset');
  return resolved;
};
const [file, name] = handler.split('.');
const started = Date.now();
const fn = require(path.join(dir, file + '.js'))[name];
const initMs = Date.now() - started;
if (typeof fn !== 'function') throw new Error(handler + ' is not a function');
const kinesis = (data, n) => ({
  eventSource: 'aws:kinesis',
  eventSourceARN: 'arn:aws:kinesis:eu-west-1:111111111111:stream/package-check',
  eventID: 'shardId-000000000000:' + n,
  kinesis: { partitionKey: 'p', sequenceNumber: String(n), approximateArrivalTimestamp: 1767225600, data: Buffer.from(JSON.stringify(data)).toString('base64') },
});
(async () => {
  const responses = [];
  if (mode === 'invoke') {
    const context = (id) => ({ awsRequestId: id, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, getRemainingTimeInMillis: () => 30000 });
    responses.push(await fn({ Records: [] }, context('package-check-1')));
    // The consumer's transform drops records with test: true; the schema accepts this one.
    const dropped = { orderId: 'package-check-1', createdAt: '2026-01-01T00:00:00Z', amount: 1, test: true };
    responses.push(await fn({ Records: [kinesis(dropped, 1)] }, context('package-check-2')));
  }
  process.stdout.write('\\n${RESULT_PREFIX}' + JSON.stringify({ initMs, responses }) + '\\n');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

const outdir = path.resolve(process.argv[2] ?? 'cdk.out');
const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string }; metadata?: Record<string, Array<{ type: string; data: unknown }>> }>;
};
const problems: string[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-serverless-etl-bundles-'));

// What the Lambda runtime provides besides the asset: the AWS SDK v3 (from this project's install).
const runtimeModules = path.join(scratch, 'lambda-runtime', 'node_modules');
fs.mkdirSync(runtimeModules, { recursive: true });
for (const scope of ['@aws-sdk', '@smithy']) fs.symlinkSync(path.resolve('node_modules', scope), path.join(runtimeModules, scope));
const RUNTIME_PROVIDED = /^(@aws-sdk|@smithy)\//;
/** Required inside a try by the SDK (SigV4a's native signer), absent in Lambda too. */
const OPTIONAL = new Set(['aws-crt']);

let transformFunctions = 0;
let functions = 0;
try {
  for (const [stack, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    for (const [node, entries] of Object.entries(artifact.metadata ?? {})) {
      for (const e of entries) if (e.type === 'aws:cdk:error') problems.push(`${stack}${node}: ${JSON.stringify(e.data)}`);
    }
    const template = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties?.templateFile ?? `${stack}.template.json`), 'utf8')) as {
      Resources: Record<string, LambdaResource>;
    };
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const key = resource.Properties.Code?.S3Key;
      if (typeof key !== 'string' || !key.endsWith('.zip')) continue; // inline code (aws-cdk-lib's own providers)
      functions += 1;
      const asset = path.join(outdir, `asset.${key.slice(0, -'.zip'.length)}`);
      const handler = resource.Properties.Handler ?? '';
      const entry = path.join(asset, `${handler.split('.')[0]}.js`);
      if (!fs.existsSync(entry)) {
        problems.push(`${stack}/${id}: no ${path.basename(entry)} in ${path.relative(outdir, asset)}`);
        continue;
      }
      const variables = resource.Properties.Environment?.Variables ?? {};
      const isTransform = 'PIPELINE_NAME' in variables && 'CURATED_BUCKET' in variables;
      if (isTransform) transformFunctions += 1;
      checkFunction(`${stack}/${id}`, asset, handler, resource.Properties.Runtime ?? 'nodejs', variables, isTransform);
    }
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

if (transformFunctions < 2) problems.push(`expected the consumer app's 2 transform functions, found ${transformFunctions}`);
if (problems.length > 0) {
  process.stderr.write(`bundles: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`bundles: ok (${functions} functions loaded in a fresh node process, ${transformFunctions} transform functions invoked)\n`);

function checkFunction(name: string, asset: string, handler: string, runtime: string, variables: Record<string, unknown>, isTransform: boolean): void {
  // A copy, so Node cannot find the consumer's node_modules from the asset's parent directories.
  const dir = path.join(scratch, `fn-${functions}`);
  fs.cpSync(asset, dir, { recursive: true });
  const files = listFiles(dir);
  const size = files.reduce((n, f) => n + fs.statSync(f).size, 0);

  // Every module the bundle's files load (lazy requires too; esbuild reads the code, so strings
  // that look like requires are not taken for them): a built-in, the runtime's SDK, or in the asset.
  for (const file of files.filter((f) => /\.[cm]?js$/.test(f))) {
    const { metafile } = esbuild.buildSync({
      entryPoints: [file],
      bundle: true,
      packages: 'external',
      platform: 'node',
      write: false,
      metafile: true,
      outdir: path.join(scratch, 'scan'),
      logLevel: 'silent',
    });
    const requests = new Set(Object.values(metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)));
    for (const request of requests) {
      if (isBuiltin(request) || RUNTIME_PROVIDED.test(request) || OPTIONAL.has(request)) continue;
      const pkgName = request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/');
      if (!fs.existsSync(path.join(dir, 'node_modules', pkgName))) {
        problems.push(`${name}: ${path.relative(dir, file)} loads '${request}', which is neither in the asset nor in the Lambda runtime`);
      }
    }
  }

  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    NODE_PATH: runtimeModules,
    LAMBDA_TASK_ROOT: dir,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name.replace(/\W/g, '-'),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDPACKAGECHECK',
    AWS_SECRET_ACCESS_KEY: 'package-check',
    // No AWS: any call fails at once (port 9, discard, is closed) instead of reaching the network.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
  };
  for (const [k, v] of Object.entries(variables)) {
    // Tables are left out so the records below need no AWS call; other references get a name.
    if (k === 'IDEMPOTENCY_TABLE' || k === 'SINK_TABLE') continue;
    env[k] = typeof v === 'string' ? v : `package-check-${k.toLowerCase()}`;
  }
  const child = spawnSync(process.execPath, ['-e', CHILD, dir, handler, isTransform ? 'invoke' : 'load'], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = child.stdout.split('\n');
  const resultLine = lines.find((l) => l.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !resultLine) {
    problems.push(`${name}: the bundle did not load and run (exit ${child.status ?? child.signal}):\n${indent(child.stderr || child.stdout)}`);
    return;
  }
  const result = JSON.parse(resultLine.slice(RESULT_PREFIX.length)) as { initMs: number; responses?: unknown[] };
  let detail = '';
  if (isTransform) {
    const [empty, dropped] = result.responses ?? [];
    const noFailures = JSON.stringify({ batchItemFailures: [] });
    if (JSON.stringify(empty) !== noFailures) problems.push(`${name}: an empty Kinesis batch answered ${JSON.stringify(empty)}, not ${noFailures}`);
    if (JSON.stringify(dropped) !== noFailures) problems.push(`${name}: a record the transform drops answered ${JSON.stringify(dropped)}, not ${noFailures}`);
    // The EMF line of the second invocation: the user's transform saw the record and dropped it.
    const metrics = lines.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const second = metrics[1];
    if (second?.['RecordsIn'] !== 1 || second['RecordsDropped'] !== 1) {
      problems.push(`${name}: expected metrics RecordsIn 1 and RecordsDropped 1 for the dropped record, got ${JSON.stringify(second ?? null)}`);
    }
    detail = ', invoked';
  }
  process.stdout.write(`  ${name}: ${files.length} file(s), ${(size / 1024).toFixed(0)} kB, init ${result.initMs} ms${detail}\n`);
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .slice(0, 30)
    .map((l) => `      ${l}`)
    .join('\n');
}
