import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { cacheDir } from '../core/cache-dir';
import { esbuildTarget, latestNodeRuntime } from '../core/lambda-runtime';

/** What goes into a function's bundle. */
export interface RuntimeCodeOptions {
  /** The Lambda entry point (`index.handler` of the bundle). */
  readonly handlerEntry: string;
  /**
   * Module aliases: for a transform function, `@cdk-serverless-etl/user-transform` and
   * `@cdk-serverless-etl/schema-bundle`.
   * @default - none
   */
  readonly aliases?: { [module: string]: string };
  /**
   * Modules the entry imports by name that are bundled on their own, once per synth (and cached
   * on disk between synths), and installed in the bundle as `node_modules/<module>/index.js`:
   * module name → entry file. A transform function's runtime is one (`@cdk-serverless-etl/runtime`):
   * every function of an app shares its build, so each function bundles only its own entry, the
   * user's transform and its schemas.
   * @default - none: everything is bundled into `index.js`
   */
  readonly sharedModules?: { [module: string]: string };
  /**
   * Bundle the AWS SDK v3 clients the code uses (from the packages' ES module builds, tree-shaken
   * to the commands imported, minified) instead of loading the Lambda runtime's copy from its
   * node_modules: module init is about a third shorter (see BENCHMARKS.md, cold start). With
   * `sharedModules` the SDK goes into the shared modules, whose build is cached, and SDK modules
   * imported by the entry's own code (a user's transform) stay the runtime's; without, into
   * `index.js`. A shared module whose SDK clients cannot be resolved at synth falls back to the
   * runtime's copy.
   * @default - true with `sharedModules`, false otherwise
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * The Lambda runtime the code runs on: the bundles' esbuild `target` (`nodejs24.x` → `node24`).
   * @default - the newest Node.js runtime the installed aws-cdk-lib knows (`latestNodeRuntime()`)
   */
  readonly runtime?: lambda.Runtime;
}

/**
 * Lambda code bundled by esbuild's API, in-process (no `npx esbuild` spawn per function, no
 * Docker): minified CommonJS for the function's Node.js runtime. For a TransformFunction: its entry with the user's
 * transform and the compiled schemas in `index.js`, and the runtime with the AWS SDK clients it
 * uses as a shared module (see `sharedModules`); also the library's own small handlers, with the
 * AWS SDK left to the Lambda runtime. The asset is named by a hash of the bundle, so any change in
 * any imported file deploys new code.
 */
export function runtimeCode(options: RuntimeCodeOptions): lambda.Code {
  return lambda.Code.fromAsset(path.dirname(options.handlerEntry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling either succeeds or fails synth with esbuild's errors.
      image: DockerImage.fromRegistry('cdk-serverless-etl/local-bundling-only'),
      // Not read by the bundler: aws-cdk-lib caches staged assets by source directory and the JSON
      // of the bundling options, where `local.tryBundle` (a function) does not appear; naming the
      // entry and aliases here keeps two functions with different transforms from sharing a bundle.
      environment: {
        CDK_SERVERLESS_ETL_BUNDLE: JSON.stringify({
          entry: options.handlerEntry,
          aliases: options.aliases ?? {},
          shared: options.sharedModules ?? {},
          sdk: bundlesAwsSdk(options),
          target: targetOf(options),
        }),
      },
      local: {
        tryBundle(outputDir: string): boolean {
          bundleRuntime(options, outputDir);
          return true;
        },
      },
    },
  });
}

/** The esbuild target of the bundles of `options`. */
function targetOf(options: RuntimeCodeOptions): string {
  return esbuildTarget(options.runtime ?? latestNodeRuntime());
}

function bundlesAwsSdk(options: RuntimeCodeOptions): boolean {
  return options.bundleAwsSdk ?? Object.keys(options.sharedModules ?? {}).length > 0;
}

type Esbuild = typeof import('esbuild');
type BuildOptions = import('esbuild').BuildOptions;

/** esbuild, loaded on first use; a missing esbuild fails with how to install it. */
export function loadEsbuild(): Esbuild {
  try {
    // Loaded on first use: esbuild is a peer dependency, needed only when a stack is bundled.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('esbuild') as Esbuild;
  } catch (error) {
    throw new Error('cdk-serverless-etl bundles transforms with esbuild: install it in your project (npm install --save-dev esbuild)', {
      cause: error,
    });
  }
}

/** Minified CommonJS for a Lambda Node.js runtime (`target`, e.g. `node24`); the AWS SDK bundled or left to the runtime. */
function buildOptions(target: string, withSdk: boolean, external: string[] = []): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
    ...(withSdk
      ? {
          // The packages' ES module builds: esbuild drops the modules (commands, schemas) nothing imports.
          mainFields: ['module', 'main'],
          // Optional native signer the SDK requires only for SigV4a, inside a try.
          external: [...external, '@aws-sdk/signature-v4-crt', 'aws-crt'],
        }
      : { external: [...external, '@aws-sdk/*', '@smithy/*'] }),
  };
}

/**
 * Writes the bundle of `options` to `outputDir` (`index.js`, and each shared module as
 * `node_modules/<module>/index.js`), as `runtimeCode` stages it. `cached: false` builds the
 * shared modules afresh, ignoring and leaving the caches (benchmarks: the cost of a first synth).
 */
export function bundleRuntime(options: RuntimeCodeOptions, outputDir: string, cached = true): void {
  const esbuild = loadEsbuild();
  const shared = Object.entries(options.sharedModules ?? {});
  const withSdk = bundlesAwsSdk(options);
  const target = targetOf(options);
  fs.mkdirSync(outputDir, { recursive: true });
  const userTransform = options.aliases?.[USER_TRANSFORM_ALIAS];
  const entry = build(esbuild, userTransform ? 'the transform' : 'the function', userTransform ?? options.handlerEntry, {
    ...buildOptions(target, withSdk && shared.length === 0, shared.map(([module]) => module)),
    entryPoints: [options.handlerEntry],
    alias: options.aliases ?? {},
    outfile: path.join(outputDir, 'index.js'),
  });
  fs.writeFileSync(path.join(outputDir, 'index.js'), entry.code);
  // The bundle is CommonJS wherever it is loaded from, also inside an ES module project (local runs).
  fs.writeFileSync(path.join(outputDir, 'package.json'), '{"type":"commonjs"}\n');
  for (const [module, file] of shared) {
    const dir = path.join(outputDir, 'node_modules', ...module.split('/'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), sharedModuleCode(esbuild, file, target, withSdk, cached));
  }
}

/** The alias under which a transform function's bundle imports the user's transform. */
const USER_TRANSFORM_ALIAS = '@cdk-serverless-etl/user-transform';

interface Built {
  readonly code: string;
  /** Present when the build was asked for it (`metafile: true`). */
  readonly metafile?: import('esbuild').Metafile;
}

/** This library's version: part of every cache key (an upgrade never reuses an older build). */
const LIBRARY_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** esbuild warnings that mean the bundle would misbehave at run time: a name imported that the module does not export. */
const FATAL_WARNINGS = new Set(['import-is-undefined']);

/** One esbuild build; a failure names `what` was bundled, `subject` and esbuild's errors with their locations. */
function build(esbuild: Esbuild, what: string, subject: string, options: BuildOptions): Built {
  try {
    const result = esbuild.buildSync(options);
    // An import of a name the module does not export is undefined at run time: fail synth instead.
    const broken = result.warnings.filter((w) => FATAL_WARNINGS.has(w.id));
    if (broken.length > 0) throw Object.assign(new Error('esbuild reported imports of names that are not exported'), { errors: broken });
    const code = result.outputFiles?.[0]?.text;
    if (code === undefined) throw new Error('esbuild returned no output file');
    return { code, metafile: result.metafile };
  } catch (error) {
    const failure = error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> };
    const details = (failure.errors ?? [])
      .map((e) => `  - ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`)
      .join('\n');
    throw new Error(`bundling ${what} failed (${subject}):\n${details || String(error)}`, { cause: error });
  }
}

/** A shared module's build: its code and the stamps of its input files outside node_modules. */
interface SharedBuild {
  readonly code: string;
  readonly ownInputs: Record<string, Stamp>;
}

/** Size and modification time of an input file. */
type Stamp = [size: number, mtimeMs: number];

/** Shared module builds of this process, by cache key. */
const sharedBuilds = new Map<string, SharedBuild>();

/**
 * The code of a shared module: built once per process and cached in `node_modules/.cache`
 * (`cacheDir`), keyed by this library's and esbuild's versions and the build options (the target
 * runtime among them), and checked
 * against the size and modification time of its input files (the module's own sources on every
 * use; node_modules, which do not change within a synth, when read from disk) and the code's hash. With
 * `withSdk`, the AWS SDK clients are bundled in, or left to the Lambda runtime when they cannot be
 * resolved here.
 */
function sharedModuleCode(esbuild: Esbuild, entry: string, target: string, withSdk: boolean, cached: boolean): string {
  const attempts = withSdk ? [true, false] : [false];
  let failure: unknown;
  for (const sdk of attempts) {
    const key = sharedBuildKey(esbuild.version, entry, target, sdk);
    try {
      const code = cached ? cachedShared(esbuild, key, entry, target, sdk) : buildShared(esbuild, entry, target, sdk)[0].code;
      if (sdk !== withSdk) {
        process.stderr.write(`cdk-serverless-etl: the AWS SDK clients could not be bundled with ${entry}; the function uses the Lambda runtime's SDK (${String(failure)})\n`);
      }
      return code;
    } catch (error) {
      failure ??= error;
    }
  }
  throw failure;
}

/**
 * The cache key of a shared module's build: this library's and esbuild's versions, the entry, the
 * esbuild target (the function's runtime) and whether the AWS SDK is bundled, with the options
 * they give.
 */
export function sharedBuildKey(esbuildVersion: string, entry: string, target: string, sdk: boolean): string {
  return sha256(JSON.stringify([LIBRARY_VERSION, esbuildVersion, entry, target, sdk, buildOptions(target, sdk)])).slice(0, 24);
}

function cachedShared(esbuild: Esbuild, key: string, entry: string, target: string, sdk: boolean): string {
  const known = sharedBuilds.get(key);
  if (known && unchanged(known.ownInputs)) return known.code;
  const found: { code: string; ownInputs?: Record<string, Stamp> } = readCache(key) ?? keepBuild(key, ...buildShared(esbuild, entry, target, sdk));
  if (found.ownInputs) sharedBuilds.set(key, { code: found.code, ownInputs: found.ownInputs });
  return found.code;
}

/** A shared module built afresh, and when the build started. */
function buildShared(esbuild: Esbuild, entry: string, target: string, withSdk: boolean): [built: Built, startedAt: number] {
  const startedAt = Date.now();
  return [build(esbuild, 'the runtime', entry, { ...buildOptions(target, withSdk), entryPoints: [entry], metafile: true }), startedAt];
}

function unchanged(inputs: Record<string, Stamp>): boolean {
  return Object.entries(inputs).every(([file, [size, mtimeMs]]) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
  });
}

interface CacheEntry {
  readonly inputs: Record<string, Stamp>;
  /** SHA-256 of the code: a damaged or replaced code file is rebuilt, never shipped. */
  readonly sha256: string;
}

const IN_NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** Modification times this close to a build's start may hide a change esbuild did not see. */
const MTIME_MARGIN_MS = 2000;

function ownInputs(inputs: Record<string, Stamp>): Record<string, Stamp> {
  return Object.fromEntries(Object.entries(inputs).filter(([file]) => !file.includes(IN_NODE_MODULES)));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readCache(key: string): SharedBuild | undefined {
  const dir = cacheDir();
  try {
    const { inputs, sha256: expected } = JSON.parse(fs.readFileSync(path.join(dir, `shared-${key}.json`), 'utf8')) as CacheEntry;
    if (Object.keys(inputs).length === 0 || !unchanged(inputs)) return undefined;
    const code = fs.readFileSync(path.join(dir, `shared-${key}.js`), 'utf8');
    if (sha256(code) !== expected) return undefined;
    try {
      // Used: kept by the pruning of old entries (see keepBuild).
      const now = new Date();
      fs.utimesSync(path.join(dir, `shared-${key}.json`), now, now);
    } catch {
      // Not ours to touch (a shared cache): it may be pruned and rebuilt later, nothing worse.
    }
    return { code, ownInputs: ownInputs(inputs) };
  } catch {
    // No cache entry yet (or an unreadable one): build.
    return undefined;
  }
}

/**
 * Stamps a fresh build's inputs and caches it on disk. A build with an input modified while it
 * ran (or just before: file times are coarse) is used once and not cached: esbuild may have read
 * the file before the change its stamp would vouch for. Returns the build, with `ownInputs` when it
 * may be kept in memory.
 */
function keepBuild(key: string, built: Built, startedAt: number): { code: string; ownInputs?: Record<string, Stamp> } {
  const inputs: Record<string, Stamp> = {};
  let settled = true;
  for (const input of Object.keys(built.metafile?.inputs ?? {})) {
    // Paths relative to esbuild's working directory (this process's).
    const file = path.resolve(input);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    inputs[file] = [stat.size, stat.mtimeMs];
    // Modified around the build (a time in the future is clock skew, not a change during it).
    if (stat.mtimeMs >= startedAt - MTIME_MARGIN_MS && stat.mtimeMs <= Date.now() + MTIME_MARGIN_MS) settled = false;
  }
  if (!settled) return { code: built.code };
  const dir = cacheDir();
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Written under temporary names then renamed: a parallel synth never reads half a file.
    const suffix = `.${process.pid}.${Date.now()}.tmp`;
    for (const [file, text] of [
      [`shared-${key}.js`, built.code],
      [`shared-${key}.json`, JSON.stringify({ inputs, sha256: sha256(built.code) } satisfies CacheEntry)],
    ]) {
      fs.writeFileSync(path.join(dir, file + suffix), text);
      fs.renameSync(path.join(dir, file + suffix), path.join(dir, file));
    }
    pruneCache(dir);
  } catch {
    // A read-only file system: the build is kept in memory for this process only.
  }
  return { code: built.code, ownInputs: ownInputs(inputs) };
}

/** Entries unused this long are deleted when a new one is written. */
const CACHE_MAX_IDLE_MS = 14 * 24 * 3600 * 1000;

/** Deletes shared builds not used for two weeks, and the per-SDK bundles of earlier versions. */
function pruneCache(dir: string): void {
  const now = Date.now();
  for (const file of fs.readdirSync(dir)) {
    const legacy = /^aws-sdk-[0-9a-f]+\.(js|json)$/.test(file);
    const shared = /^shared-([0-9a-f]+)\.json$/.exec(file);
    if (!legacy && !shared) continue;
    if (shared && now - fs.statSync(path.join(dir, file)).mtimeMs < CACHE_MAX_IDLE_MS) continue;
    for (const stale of legacy ? [file] : [file, `shared-${shared?.[1]}.js`]) fs.rmSync(path.join(dir, stale), { force: true });
  }
}

/**
 * A source file of the package's Lambda code by its path without extension: TypeScript in the
 * repository, JavaScript once the package is compiled.
 */
export function runtimeSource(withoutExtension: string): string {
  for (const ext of ['.ts', '.js']) {
    if (fs.existsSync(withoutExtension + ext)) return withoutExtension + ext;
  }
  throw new Error(`cdk-serverless-etl: Lambda source missing (${withoutExtension}.ts)`);
}
