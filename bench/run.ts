/**
 * `npm run bench`: every benchmark of issues #7 and #15 in one run, then bench/results.json and
 * BENCHMARKS.md. Outputs and scratch files go to bench/.out (not committed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runColdStart } from './coldstart';
import { inventoryOf, type TemplateLike } from './cost-inventory';
import { costScenarios } from './cost-scenarios';
import { renderReport, type BenchResults } from './report';
import { gzipRatioOfEvents } from './lib/events';
import { progress, round } from './lib/stats';
import { runSynth } from './synth';
import { OUT_DIR, runThroughput } from './throughput';

const ROOT = path.join(__dirname, '..');

function version(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** `--report-only`: renders BENCHMARKS.md again from bench/results.json (after a change to the report's text). */
function reportOnly(): void {
  const results = JSON.parse(fs.readFileSync(path.join(__dirname, 'results.json'), 'utf8')) as BenchResults;
  fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), renderReport(results));
  progress('BENCHMARKS.md rendered again from bench/results.json');
}

async function main(): Promise<void> {
  if (process.argv.includes('--report-only')) return reportOnly();
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  progress(`cdk-serverless-etl benchmarks, ${rounds} rounds (outputs in ${path.relative(ROOT, OUT_DIR)})`);

  progress('1/3 runtime throughput and calls per record (in-process stubs, then emulators)');
  const throughput = await runThroughput(rounds);
  progress('2/3 cold start proxy (bundles, module init in fresh processes)');
  const coldStart = await runColdStart(Math.max(rounds, 7));
  progress('3/3 synth (reference vs plain aws-cdk-lib, scale series 1/5/20 pipelines)');
  const synth = runSynth(rounds);

  progress('cost model (measured calls and CPU, the reference stack\'s synthesized inventory)');
  const http100 = throughput.cases.find((c) => c.clients === 'http-stub' && c.batchSize === 100) ?? throughput.cases[0];
  const http1000 = throughput.cases.find((c) => c.clients === 'http-stub' && c.batchSize === 1000);
  const template = JSON.parse(fs.readFileSync(path.join(OUT_DIR, 'synth', 'library-1-per-stack', 'ClickstreamPipeline.template.json'), 'utf8')) as TemplateLike;
  const cost = costScenarios(http100, http1000, inventoryOf(template), round(gzipRatioOfEvents(), 2));

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: round(loadAtStart, 1), end: round(os.loadavg()[0], 1) },
    node: process.version,
    packages: Object.fromEntries(
      [
        'aws-cdk-lib',
        'esbuild',
        'tsx',
        '@aws-sdk/client-s3',
        '@aws-sdk/client-dynamodb',
        '@aws-lambda-powertools/batch',
        '@aws-lambda-powertools/idempotency',
        '@aws-lambda-powertools/logger',
        'ajv',
        'ajv-draft-04',
        'dynalite',
        'fauxqs',
      ].map((p) => [p, version(p)]),
    ),
  };
  const results: BenchResults = {
    date: new Date().toISOString(),
    command: 'npm run bench  (tsx bench/run.ts; BENCH_ROUNDS=5 by default)',
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    throughput,
    coldStart,
    synth,
    cost,
  };
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), renderReport(results));
  progress(`done in ${results.durationSeconds} s: bench/results.json, BENCHMARKS.md`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
