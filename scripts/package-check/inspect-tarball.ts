/**
 * Checks the contents of the packed tarball, extracted to `<dir>/package` (usage:
 * `tsx inspect-tarball.ts <dir> <tarball>`), without installing it:
 *
 * - what a consumer needs is there: the compiled constructs and CLI with their declarations, the
 *   runtime's TypeScript sources (bundled at the user's synth), its type declarations, the README;
 * - nothing that is not for consumers: tests, benchmarks, the reference app, build caches,
 *   TypeScript sources of lib/, cli/ and local/ (the local runner ships compiled);
 * - every relative `require` of the shipped JavaScript and every relative import of the shipped
 *   declarations resolves to a shipped file;
 * - every package the shipped code loads at synth (lib/, cli/) or the bundler resolves from the
 *   runtime's sources (lambda/) is a dependency or a peer dependency, not a devDependency;
 * - the tarball stays small.
 */
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';

const [dir, tarball] = process.argv.slice(2);
if (!dir || !tarball) throw new Error('usage: inspect-tarball.ts <dir with package/> <tarball>');
const root = path.join(dir, 'package');

/**
 * Upper bounds, about 1.3 times the figures of 0.1.x after #15 and #17 (605 kB packed, 2.45 MB
 * unpacked, 387 files; the current table, the dashboard rows, reprocess runs and their docs grew
 * it from 396 kB after #13 and #16): a jump means something was packed by mistake.
 */
const LIMITS = { tarballBytes: 800_000, unpackedBytes: 3_300_000, files: 500 };

/** Files every release needs. */
const REQUIRED = [
  'package.json',
  'README.md',
  'lib/index.js',
  'lib/index.d.ts',
  'lib/runtime-types/lambda/index.d.ts',
  'lambda/index.ts',
  'lambda/handlers/transform-handler.ts',
  'cli/main.js',
  'cli/start.js',
  'local/run/start.js',
  'local/functions/function-worker.cjs',
];

/** Paths no release should contain. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/^(test|bench|bin|scripts|coverage|cdk\.out|\.local-run|\.ci|\.github|\.git)\//, 'not for consumers'],
  [/(^|\/)node_modules\//, 'node_modules (a build cache?)'],
  [/\.tsbuildinfo$|\.map$|\.tgz$|(^|\/)\.DS_Store$|\.log$/, 'build or editor output'],
  [/^(lib|cli|local)\/.*(?<!\.d)\.ts$/, 'TypeScript source of compiled code (ship the .js and .d.ts)'],
  [/^lambda\/.*\.test\.ts$/, 'a test'],
];

/** Modules a shipped file may load that are not in the package, by file, with the reason. */
const DEV_ONLY: Record<string, { modules: string[]; why: string }> = {
  'cli/cdk-serverless-etl.js': { modules: ['tsx/cjs', './main.ts'], why: 'loaded only when cli/main.js is missing (a development checkout)' },
};

const problems: string[] = [];
const files = listFiles(root);
const shipped = new Set(files);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

for (const file of REQUIRED) if (!shipped.has(file)) problems.push(`missing: ${file}`);
for (const file of files) {
  for (const [pattern, why] of FORBIDDEN) if (pattern.test(file)) problems.push(`should not be packed (${why}): ${file}`);
}

// The bin: present, a Node script.
for (const [name, file] of Object.entries(pkg.bin ?? {})) {
  const rel = path.posix.normalize(file);
  if (!shipped.has(rel)) problems.push(`bin ${name}: ${rel} is not in the package`);
  else if (!fs.readFileSync(path.join(root, rel), 'utf8').startsWith('#!/usr/bin/env node')) problems.push(`bin ${name}: ${rel} has no node shebang`);
}

// Each compiled module comes with its declarations.
for (const file of files) {
  if (/^(lib|cli)\/.*\.js$/.test(file) && !file.endsWith('cdk-serverless-etl.js') && !shipped.has(file.replace(/\.js$/, '.d.ts'))) {
    problems.push(`no declarations for ${file}`);
  }
}

// Relative requires of JavaScript, relative imports of declarations: resolvable inside the package.
for (const file of files) {
  const isJs = /\.(c?js)$/.test(file);
  const isDts = file.endsWith('.d.ts');
  if (!isJs && !isDts) continue;
  for (const spec of specifiers(fs.readFileSync(path.join(root, file), 'utf8'))) {
    if (!spec.module.startsWith('.') || DEV_ONLY[file]?.modules.includes(spec.module)) continue;
    const base = path.posix.join(path.posix.dirname(file), spec.module);
    const candidates = isJs
      ? [base, `${base}.js`, `${base}.json`, `${base}/index.js`]
      : [`${base}.d.ts`, `${base}.ts`, `${base}/index.d.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.d.ts')];
    if (!candidates.some((c) => shipped.has(c))) problems.push(`${file}: '${spec.module}' does not resolve to a packed file`);
  }
}

// Packages the shipped code loads: declared where a consumer's install gets them.
const runtimeDeps = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
const typeDeps = new Set([...runtimeDeps].filter((d) => d.startsWith('@types/')).map((d) => d.slice('@types/'.length)));
for (const file of files) {
  // lib/, cli/ and local/ load at synth or from the command line (the emulators local/ loads are
  // optional peer dependencies); lambda/ is bundled by esbuild at synth, resolving its imports
  // from the installed package.
  const scanned = /^(lib|cli|local)\/.*\.c?js$/.test(file) || /^lambda\/.*(?<!\.d)\.ts$/.test(file);
  if (!scanned) continue;
  for (const spec of specifiers(fs.readFileSync(path.join(root, file), 'utf8'))) {
    const name = packageName(spec.module);
    if (name === undefined || isBuiltin(spec.module) || name.startsWith('@cdk-serverless-etl/')) continue; // relative, node:, bundle aliases
    if (runtimeDeps.has(name)) continue;
    // Type-only imports (erased by esbuild) need the package's declarations in a consumer's
    // install: `cdk-serverless-etl/lambda` resolves to declarations that import them.
    if (spec.typeOnly && typeDeps.has(name)) continue;
    if (DEV_ONLY[file]?.modules.includes(spec.module)) continue;
    const needed = spec.typeOnly ? `${name} or @types/${name.replace(/^@(.*)\/(.*)$/, '$1__$2')}` : name;
    const where = pkg.devDependencies?.[name] || pkg.devDependencies?.[`@types/${name}`] ? 'a devDependency only' : 'not a dependency';
    problems.push(`${file} ${spec.typeOnly ? 'imports types of' : 'loads'} '${spec.module}': ${needed} must be a dependency (${where})`);
  }
}

const tarballBytes = fs.statSync(tarball).size;
const unpackedBytes = files.reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
if (tarballBytes > LIMITS.tarballBytes) problems.push(`tarball is ${tarballBytes} bytes (limit ${LIMITS.tarballBytes})`);
if (unpackedBytes > LIMITS.unpackedBytes) problems.push(`unpacked size is ${unpackedBytes} bytes (limit ${LIMITS.unpackedBytes})`);
if (files.length > LIMITS.files) problems.push(`${files.length} files (limit ${LIMITS.files})`);

const byDir = new Map<string, number>();
for (const f of files) byDir.set(f.split('/')[0], (byDir.get(f.split('/')[0]) ?? 0) + 1);
process.stdout.write(
  `tarball: ${path.basename(tarball)}, ${(tarballBytes / 1024).toFixed(1)} kB packed, ${(unpackedBytes / 1024).toFixed(1)} kB unpacked, ${files.length} files (${[...byDir].map(([d, n]) => `${d} ${n}`).join(', ')})\n`,
);
if (problems.length > 0) {
  process.stderr.write(`package contents: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('package contents: ok\n');

function listFiles(dirPath: string, prefix = ''): string[] {
  return fs.readdirSync(dirPath, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(path.join(dirPath, e.name), rel) : [rel];
  });
}

/** Module specifiers of a source or compiled file: static and dynamic imports, re-exports, requires. */
function specifiers(source: string): Array<{ module: string; typeOnly: boolean }> {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: Array<{ module: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/\b(import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/g)) {
    found.push({ module: m[3], typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ module: m[1], typeOnly: false });
  return found;
}

/** The package a bare specifier names; undefined for relative and absolute paths. */
function packageName(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
