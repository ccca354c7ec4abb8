import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The alias under which a transform function's bundle imports the user's transform. */
const USER_TRANSFORM_ALIAS = '@cdk-serverless-etl/user-transform';

/** What goes into a transform function's bundle. */
export interface RuntimeCodeOptions {
  /** The runtime's Lambda entry point. */
  readonly handlerEntry: string;
  /**
   * Module aliases: for a transform function, `@cdk-serverless-etl/user-transform` and
   * `@cdk-serverless-etl/schema-bundle`.
   * @default - none
   */
  readonly aliases?: { [module: string]: string };
  /**
   * Bundle the AWS SDK v3 clients the code imports (tree-shaken to the commands it uses, minified,
   * in a file `aws-sdk.js` beside `index.js`) instead of loading the Lambda runtime's copy from
   * its node_modules: module init is about a third shorter (see BENCHMARKS.md, cold start). Falls
   * back to the runtime's copy when the clients cannot be resolved where the handler is.
   * @default - true for transform functions (an alias names the user's transform), false otherwise
   */
  readonly bundleAwsSdk?: boolean;
}

/**
 * Lambda code bundled by esbuild's API, in-process (no `npx esbuild` spawn per function, no
 * Docker): minified CommonJS for Node.js 24. For a TransformFunction: the runtime, the user's
 * transform, the compiled schemas and the AWS SDK clients they use (see `bundleAwsSdk`); also the
 * library's own small handlers, with the AWS SDK left to the Lambda runtime. The asset is named by a hash of the bundle, so any change in any
 * imported file deploys new code.
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
        CDK_SERVERLESS_ETL_BUNDLE: JSON.stringify({ entry: options.handlerEntry, aliases: options.aliases ?? {}, sdk: bundlesAwsSdk(options) }),
      },
      local: {
        tryBundle(outputDir: string): boolean {
          bundle(options, outputDir);
          return true;
        },
      },
    },
  });
}

function bundlesAwsSdk(options: RuntimeCodeOptions): boolean {
  return options.bundleAwsSdk ?? options.aliases?.[USER_TRANSFORM_ALIAS] !== undefined;
}

type Esbuild = typeof import('esbuild');

function loadEsbuild(): Esbuild {
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

/** The esbuild options of the handler bundle: minified CommonJS for the Lambda Node.js 24 runtime. */
function handlerBuildOptions(options: RuntimeCodeOptions) {
  return {
    entryPoints: [options.handlerEntry],
    bundle: true,
    platform: 'node' as const,
    target: 'node24',
    format: 'cjs' as const,
    minify: true,
    sourcemap: false,
    legalComments: 'none' as const,
    external: ['@aws-sdk/*', '@smithy/*'],
    alias: options.aliases ?? {},
    logLevel: 'silent' as const,
  };
}

function bundle(options: RuntimeCodeOptions, outputDir: string): void {
  bundleRuntime(options, outputDir);
}

/**
 * Writes the bundle of `options` to `outputDir` (`index.js`, and `aws-sdk.js` with `aws-sdk/` when
 * the SDK is bundled), as `runtimeCode` stages it. `cachedSdk: false` bundles the SDK afresh,
 * ignoring and leaving the caches (benchmarks: the cost of a first synth).
 */
export function bundleRuntime(options: RuntimeCodeOptions, outputDir: string, cachedSdk = true): void {
  const esbuild = loadEsbuild();
  fs.mkdirSync(outputDir, { recursive: true });
  try {
    const result = esbuild.buildSync({ ...handlerBuildOptions(options), outfile: path.join(outputDir, 'index.js'), write: false, metafile: true });
    let code = result.outputFiles[0].text;
    const sdk = bundlesAwsSdk(options) ? awsSdkFiles(esbuild, options, result.metafile, code, cachedSdk) : undefined;
    if (sdk) {
      // The SDK modules the code imports resolve to small files in `aws-sdk/` that hand out the
      // exports of the bundled `aws-sdk.js`; any other SDK module stays the runtime's.
      for (const [module, file] of Object.entries(sdk.files)) code = code.split(`require(${JSON.stringify(module)})`).join(`require(${JSON.stringify(`./${file}`)})`);
      fs.mkdirSync(path.join(outputDir, 'aws-sdk'), { recursive: true });
      fs.writeFileSync(path.join(outputDir, 'aws-sdk.js'), sdk.code);
      for (const [file, text] of Object.entries(sdk.shims)) fs.writeFileSync(path.join(outputDir, file), text);
    }
    fs.writeFileSync(path.join(outputDir, 'index.js'), code);
  } catch (error) {
    const failure = error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> };
    const details = (failure.errors ?? [])
      .map((e) => `  - ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`)
      .join('\n');
    const subject = options.aliases?.[USER_TRANSFORM_ALIAS] ?? options.handlerEntry;
    throw new Error(`bundling the transform failed (${subject}):\n${details || String(error)}`, {
      cause: error,
    });
  }
}

/** The bundled AWS SDK of one handler: `aws-sdk.js`, the shim files, and the shim of each SDK module. */
interface AwsSdkFiles {
  readonly code: string;
  readonly shims: Record<string, string>;
  /** SDK module → its shim file, relative to the bundle. */
  readonly files: Record<string, string>;
}

/** SDK bundles built in this process, by the key of their entry (one per set of imported names). */
const sdkBuilds = new Map<string, string | undefined>();

/**
 * The AWS SDK clients the handler imports, bundled once: the bundle's own source files (from
 * esbuild's metafile) say what they import from each `@aws-sdk/*` module, and `aws-sdk.js` exports
 * exactly that (esbuild keeps only the commands and schemas those names reach; the packages' ES
 * module builds, `mainFields: module`, are what make that tree-shaking work). Modules loaded with
 * `require` (on first use, like the Secrets Manager client) stay lazy inside it.
 *
 * Built once per set of imports and cached in memory and in `node_modules/.cache` (checked
 * against the size and modification time of every input file), so a synth with many functions,
 * or the next synth, does not bundle the SDK again. Undefined when the SDK cannot be bundled here
 * (a client not installed): the function then uses the Lambda runtime's SDK.
 */
function awsSdkFiles(
  esbuild: Esbuild,
  options: RuntimeCodeOptions,
  metafile: import('esbuild').Metafile,
  output: string,
  cached: boolean,
): AwsSdkFiles | undefined {
  const imports = new Map<string, Set<string> | 'all'>();
  try {
    for (const input of Object.keys(metafile.inputs)) mergeImports(imports, fileSdkImports(path.resolve(input)));
  } catch {
    return undefined;
  }
  const modules = [...imports.keys()].filter((m) => output.includes(`require(${JSON.stringify(m)})`)).sort();
  if (modules.length === 0) return undefined;

  const lines: string[] = [];
  const shims: Record<string, string> = {};
  const files: Record<string, string> = {};
  modules.forEach((module, i) => {
    const names = imports.get(module) as Set<string> | 'all';
    const file = `aws-sdk/${module.replace(/^@aws-sdk\//, '').replace(/[^\w.-]/g, '_')}.js`;
    if (names === 'all') {
      lines.push(`export const m${i} = () => require(${JSON.stringify(module)});`);
      shims[file] = `module.exports = require('../aws-sdk.js').m${i}();\n`;
    } else {
      // Property reads of a namespace import: esbuild still keeps only what they reach, and a name
      // that is only a type is undefined rather than a build error.
      const sorted = [...names].sort();
      lines.push(`import * as m${i}ns from ${JSON.stringify(module)};`);
      lines.push(`export const m${i} = { ${sorted.map((n) => `${JSON.stringify(n)}: m${i}ns[${JSON.stringify(n)}]`).join(', ')} };`);
      shims[file] = `module.exports = require('../aws-sdk.js').m${i};\n`;
    }
    files[module] = file;
  });
  const entry = `${lines.join('\n')}\n`;
  const resolveDir = path.dirname(options.handlerEntry);
  const key = createHash('sha256').update(`${esbuild.version}\n${resolveDir}\n${entry}`).digest('hex').slice(0, 24);
  if (!cached) {
    const code = buildSdk(esbuild, entry, resolveDir)?.code;
    return code === undefined ? undefined : { code, shims, files };
  }
  if (!sdkBuilds.has(key)) sdkBuilds.set(key, cachedSdkBuild(esbuild, key, entry, resolveDir));
  const code = sdkBuilds.get(key);
  return code === undefined ? undefined : { code, shims, files };
}

/** The code files whose imports are read (JSON, text and other inputs import nothing). */
const CODE_FILE = /\.([cm]?[jt]s|[jt]sx)$/;

/** SDK imports of each source file, by path, size and modification time (the runtime's files recur in every function). */
const fileImports = new Map<string, { stamp: string; imports: Map<string, Set<string> | 'all'> }>();

function fileSdkImports(file: string): Map<string, Set<string> | 'all'> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return new Map();
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const known = fileImports.get(file);
  if (known?.stamp === stamp) return known.imports;
  const source = CODE_FILE.test(file) ? fs.readFileSync(file, 'utf8') : '';
  const imports = source.includes('@aws-sdk/') ? sdkImports(source) : new Map<string, Set<string> | 'all'>();
  fileImports.set(file, { stamp, imports });
  return imports;
}

function mergeImports(into: Map<string, Set<string> | 'all'>, from: Map<string, Set<string> | 'all'>): void {
  for (const [module, names] of from) {
    const current = into.get(module);
    if (names === 'all' || current === 'all') into.set(module, 'all');
    else into.set(module, new Set([...(current ?? []), ...names]));
  }
}

/**
 * What TypeScript or JavaScript source imports from each `@aws-sdk/*` module: the names of named
 * imports (type-only ones left out), or 'all' (namespace, default, re-export, require, dynamic
 * import). Read from the text: a name imported only as a type without the `type` keyword is kept,
 * and harmless (undefined in `aws-sdk.js`).
 */
export function sdkImports(source: string): Map<string, Set<string> | 'all'> {
  const imports = new Map<string, Set<string> | 'all'>();
  const all = (module: string): void => {
    imports.set(module, 'all');
  };
  const named = (module: string, list: string): void => {
    const current = imports.get(module);
    if (current === 'all') return;
    const set = current ?? new Set<string>();
    for (const part of list.split(',')) {
      const entry = part.trim();
      if (entry === '' || /^type\s/.test(entry)) continue;
      const name = entry.split(/\s+as\s+/)[0];
      if (name === 'default') {
        all(module);
        return;
      }
      set.add(name);
    }
    imports.set(module, set);
  };
  const module = `['"](@aws-sdk/[^'"]+)['"]`;
  for (const m of source.matchAll(new RegExp(`\\bimport\\s+(type\\s+)?([^;'"]*?)\\s*from\\s*${module}`, 'g'))) {
    const [, typeOnly, clause, name] = m;
    if (typeOnly) continue;
    const braces = /^\{([^}]*)\}$/.exec(clause.trim());
    if (braces) named(name, braces[1]);
    else all(name);
  }
  for (const m of source.matchAll(new RegExp(`\\bexport\\s+(type\\s+)?[^;'"]*?\\s*from\\s*${module}`, 'g'))) if (!m[1]) all(m[2]);
  for (const m of source.matchAll(new RegExp(`\\b(?:import|require)\\s*\\(?\\s*${module}`, 'g'))) all(m[1]);
  return imports;
}

interface SdkCacheEntry {
  readonly inputs: Record<string, [size: number, mtimeMs: number]>;
}

function cachedSdkBuild(esbuild: Esbuild, key: string, entry: string, resolveDir: string): string | undefined {
  const dir = sdkCacheDir();
  const codeFile = path.join(dir, `aws-sdk-${key}.js`);
  const metaFile = path.join(dir, `aws-sdk-${key}.json`);
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as SdkCacheEntry;
    const inputs = Object.entries(meta.inputs);
    const unchanged = inputs.length > 0 && inputs.every(([file, [size, mtimeMs]]) => {
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
    });
    if (unchanged) return fs.readFileSync(codeFile, 'utf8');
  } catch {
    // No cache entry yet (or an unreadable one): build.
  }
  const built = buildSdk(esbuild, entry, resolveDir);
  if (!built) return undefined;
  const { code, metafile } = built;
  try {
    const inputs: SdkCacheEntry['inputs'] = {};
    for (const input of Object.keys(metafile.inputs)) {
      // Paths relative to esbuild's working directory (this process's); `<stdin>` is the entry.
      const file = path.resolve(input);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat?.isFile()) inputs[file] = [stat.size, stat.mtimeMs];
    }
    fs.mkdirSync(dir, { recursive: true });
    // Written under temporary names then renamed: a parallel synth never reads half a file.
    const suffix = `.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(codeFile + suffix, code);
    fs.renameSync(codeFile + suffix, codeFile);
    fs.writeFileSync(metaFile + suffix, JSON.stringify({ inputs } satisfies SdkCacheEntry));
    fs.renameSync(metaFile + suffix, metaFile);
  } catch {
    // A read-only file system: the build is kept in memory for this process only.
  }
  return code;
}

function buildSdk(esbuild: Esbuild, entry: string, resolveDir: string): { code: string; metafile: import('esbuild').Metafile } | undefined {
  try {
    const result = esbuild.buildSync({
      stdin: { contents: entry, resolveDir, loader: 'js', sourcefile: 'aws-sdk-entry.js' },
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      // The packages' ES module builds: esbuild drops the modules (commands, schemas) nothing imports.
      mainFields: ['module', 'main'],
      minify: true,
      legalComments: 'none',
      // Optional native signer the SDK requires only for SigV4a, inside a try.
      external: ['@aws-sdk/signature-v4-crt', 'aws-crt'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    return { code: result.outputFiles[0].text, metafile: result.metafile };
  } catch {
    return undefined;
  }
}

/** `node_modules/.cache/cdk-serverless-etl` of the project being synthesized, else the temporary directory. */
function sdkCacheDir(): string {
  const nodeModules = path.join(process.cwd(), 'node_modules');
  return fs.existsSync(nodeModules) ? path.join(nodeModules, '.cache', 'cdk-serverless-etl') : path.join(os.tmpdir(), 'cdk-serverless-etl-cache');
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
