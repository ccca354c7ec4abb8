/**
 * 3. Synth: the reference stack against the same resources written with plain aws-cdk-lib, and a
 * scale series of 1, 5 and 20 pipelines in one app (one stack each, each pipeline with its own
 * transform file). Each synth is a fresh `node --import tsx bench/synth-child.ts` process with
 * CDK_VALIDATION=false; wall time of the whole process (what `cdk synth` waits for).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OUT_DIR } from './throughput';
import { compare, median, msSince, progress, round, type Comparison } from './lib/stats';

const ROOT = path.join(__dirname, '..');
export type SynthVariant = 'library' | 'plain' | 'plain-in-process';

export interface SynthRun {
  wallMs: number;
  constructMs: number;
  synthMs: number;
  stacks: Array<{ name: string; resources: number; bytes: number }>;
  error?: string;
}

export interface SynthPoint {
  pipelines: number;
  rounds: number;
  wallMs: Partial<Record<SynthVariant, number[]>>;
  medianMs: Partial<Record<SynthVariant, number>>;
  libraryVsPlain: Comparison;
  libraryVsPlainInProcess?: Comparison;
  /** per variant: stacks, max resources per stack, template bytes */
  shape: Partial<Record<SynthVariant, { stacks: number; maxResourcesPerStack: number; totalResources: number; templateBytes: number }>>;
}

export interface SynthResults {
  points: SynthPoint[];
  /** ms added per extra pipeline, library, from the 1→20 medians */
  libraryMsPerExtraPipeline: number;
  plainMsPerExtraPipeline: number;
  /**
   * ms added per extra pipeline within the scale series (5→20 medians), where both sides have the
   * same 77-resource pipeline: library, plain and plain bundled in-process (aws-cdk-lib's own floor).
   */
  scaleMsPerExtraPipeline: { library: number; plain: number; plainInProcess: number };
  oneStackProbe: { pipelines: number; wallMs: number; resources?: number; error?: string };
  resourcesPerPipeline: number;
  pipelinesPerStackBeforeLimit: number;
}

/** Copies of the clickstream transform, each a distinct file (distinct asset, distinct bundle). */
function writeTransforms(count: number): void {
  const dir = path.join(OUT_DIR, 'transforms');
  fs.mkdirSync(dir, { recursive: true });
  const source = fs
    .readFileSync(path.join(ROOT, 'examples/clickstream/transform.ts'), 'utf8')
    .replace("'../../lambda/runtime/transform-contract'", "'../../../lambda/runtime/transform-contract'");
  for (let i = 1; i < count; i++) {
    fs.writeFileSync(path.join(dir, `transform-${i}.ts`), `${source}\n/** Pipeline ${i} of the synth scale series. */\nexport const PIPELINE_INDEX = ${i};\n`);
  }
}

function synthOnce(variant: SynthVariant, pipelines: number, layout: 'per-stack' | 'one-stack'): SynthRun {
  const outdir = path.join(OUT_DIR, 'synth', `${variant}-${pipelines}-${layout}`);
  fs.rmSync(outdir, { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'synth-child.ts'), variant, String(pipelines), layout, outdir], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = msSince(start);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`synth ${variant} ×${pipelines} failed: ${child.stderr.slice(-2000)}`);
  return { wallMs, ...(JSON.parse(line) as Omit<SynthRun, 'wallMs'>) };
}

function shapeOf(run: SynthRun) {
  return {
    stacks: run.stacks.length,
    maxResourcesPerStack: Math.max(0, ...run.stacks.map((s) => s.resources)),
    totalResources: run.stacks.reduce((n, s) => n + s.resources, 0),
    templateBytes: run.stacks.reduce((n, s) => n + s.bytes, 0),
  };
}

export function runSynth(rounds = 5): SynthResults {
  writeTransforms(20);
  const points: SynthPoint[] = [];
  for (const pipelines of [1, 5, 20]) {
    const variants: SynthVariant[] = pipelines === 1 ? ['library', 'plain'] : ['library', 'plain', 'plain-in-process'];
    const wallMs: Partial<Record<SynthVariant, number[]>> = {};
    const shape: SynthPoint['shape'] = {};
    const n = rounds;
    for (let r = 0; r < n; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const run = synthOnce(v, pipelines, 'per-stack');
        if (run.error) throw new Error(`synth ${v} ×${pipelines}: ${run.error}`);
        (wallMs[v] ??= []).push(run.wallMs);
        shape[v] = shapeOf(run);
      }
      progress(`  synth ×${pipelines} round ${r + 1}/${n}: ${variants.map((v) => `${v} ${round((wallMs[v] ?? []).at(-1) ?? 0, 0)} ms`).join(', ')}`);
    }
    points.push({
      pipelines,
      rounds: n,
      wallMs: Object.fromEntries(Object.entries(wallMs).map(([k, v]) => [k, v.map((x) => round(x, 0))])),
      medianMs: Object.fromEntries(Object.entries(wallMs).map(([k, v]) => [k, round(median(v), 0)])),
      libraryVsPlain: compare(wallMs.library ?? [], wallMs.plain ?? []),
      libraryVsPlainInProcess: wallMs['plain-in-process'] ? compare(wallMs.library ?? [], wallMs['plain-in-process']) : undefined,
      shape,
    });
  }
  const resourcesPerPipeline = points[0].shape.library?.maxResourcesPerStack ?? 0;
  const probePipelines = Math.floor(500 / resourcesPerPipeline) + 1;
  const probe = synthOnce('library', probePipelines, 'one-stack');
  const oneStackProbe = { pipelines: probePipelines, wallMs: round(probe.wallMs, 0), resources: probe.stacks[0]?.resources, error: probe.error };
  progress(`  one stack with ${probePipelines} pipelines: ${probe.error ?? `${probe.stacks[0]?.resources} resources`}`);
  const at = (p: number, v: SynthVariant) => points.find((x) => x.pipelines === p)?.medianMs[v] ?? NaN;
  return {
    points,
    libraryMsPerExtraPipeline: round((at(20, 'library') - at(1, 'library')) / 19, 0),
    plainMsPerExtraPipeline: round((at(20, 'plain') - at(1, 'plain')) / 19, 0),
    scaleMsPerExtraPipeline: {
      library: round((at(20, 'library') - at(5, 'library')) / 15, 0),
      plain: round((at(20, 'plain') - at(5, 'plain')) / 15, 0),
      plainInProcess: round((at(20, 'plain-in-process') - at(5, 'plain-in-process')) / 15, 0),
    },
    oneStackProbe,
    resourcesPerPipeline,
    pipelinesPerStackBeforeLimit: Math.floor(500 / resourcesPerPipeline),
  };
}
