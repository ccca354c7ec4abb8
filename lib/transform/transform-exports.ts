import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEsbuild } from './runtime-code';

/** Size and modification time of a file the check read. */
type Stamp = [size: number, mtimeMs: number];

/** Results of this process, by absolute entry path: a pipeline checks its transform before and while constructing it. */
const checked = new Map<string, { readonly inputs: Record<string, Stamp>; readonly problem: string | undefined }>();

/**
 * Why the transform module at `entry` (an absolute path of an existing file) cannot be loaded by
 * the runtime, or undefined when it can, or when that cannot be known at synth.
 *
 * A small esbuild build of the module (no output written) reports its named exports: an ES module
 * or TypeScript file must export `transform`, and a `transform` that is statically not a function
 * (`export const transform = { ... }`, a literal, a class) is rejected too. The exports of a
 * CommonJS module are known only when it runs, and a module that does not compile is left to the
 * bundler, which reports esbuild's errors with their locations.
 */
export function transformExportProblem(entry: string): string | undefined {
  const known = checked.get(entry);
  if (known && unchanged(known.inputs)) return known.problem;
  const esbuild = loadEsbuild();
  let result: import('esbuild').BuildResult<{ metafile: true; write: false }>;
  try {
    result = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: path.join(path.dirname(entry), '.cdk-serverless-etl-export-check'),
      // Provided by the Lambda runtime; the bundler leaves them out too.
      external: ['@aws-sdk/*', '@smithy/*'],
    });
  } catch {
    return undefined;
  }
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const entryInput = output?.entryPoint !== undefined ? result.metafile.inputs[output.entryPoint] : undefined;
  let problem: string | undefined;
  if (output && entryInput?.format !== 'cjs') {
    const named = output.exports.filter((e) => e !== 'default');
    if (!output.exports.includes('transform')) {
      problem =
        `it has no named export "transform" (${named.length > 0 ? `its named exports are ${named.join(', ')}` : 'it has no named exports'}` +
        `${output.exports.includes('default') ? '; a default export is not used' : ''}); ` +
        'export the function as `export function transform(record, context)` or `export const transform = ...`';
    } else {
      const kind = nonFunctionExport(fs.readFileSync(entry, 'utf8'));
      if (kind) problem = `its "transform" export is ${kind}, not a function; export the function as \`export function transform(record, context)\``;
    }
  }
  const inputs: Record<string, Stamp> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    // Paths relative to esbuild's working directory (this process's).
    const stat = fs.statSync(path.resolve(input), { throwIfNoEntry: false });
    if (stat?.isFile()) inputs[path.resolve(input)] = [stat.size, stat.mtimeMs];
  }
  checked.set(entry, { inputs, problem });
  return problem;
}

/** What a `transform` export declared in the entry's own source is, when that is statically not a function. */
function nonFunctionExport(source: string): string | undefined {
  if (/^\s*export\s+(?:default\s+)?(?:abstract\s+)?class\s+transform\b/m.test(source)) return 'a class';
  const init = /^\s*export\s+(?:const|let|var)\s+transform\s*(?::[^=]+)?=\s*(.)/m.exec(source)?.[1];
  if (init === undefined) return undefined;
  if (init === '{') return 'an object';
  if (init === '[') return 'an array';
  if (/["'`]/.test(init)) return 'a string';
  if (/[0-9]/.test(init)) return 'a number';
  return undefined;
}

function unchanged(inputs: Record<string, Stamp>): boolean {
  return Object.entries(inputs).every(([file, [size, mtimeMs]]) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
  });
}
