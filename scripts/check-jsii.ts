/**
 * Compiles the library's public API with jsii (`npm run check:jsii`; CI runs it) and checks the
 * assembly it produces.
 *
 * jsii wants a project of its own (a `jsii` section in package.json, the tsconfig it generates), so
 * the check builds one in a temporary directory: lib/'s TypeScript sources copied as they are, the
 * repository's node_modules linked in, and our own tsconfig (ES2022 like tsconfig.json, so
 * `new Error(message, { cause })` compiles). Nothing is written into the repository; the normal
 * build (`npm run build`, plain tsc) is untouched.
 *
 * Passes when jsii reports zero errors and the assembly (.jsii) has a type for every name that
 * lib/index.ts exports: jsii silently leaves out what it cannot represent (top-level consts and
 * functions, type aliases), so a declaration the TypeScript user sees but a Python, Java or .NET
 * user would not is reported as dropped. Warnings are printed, not failed on.
 * KEEP_JSII_CHECK=1 keeps the temporary project.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const repo = path.resolve(__dirname, '..');
const packageJson = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  description: string;
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Dependencies the library's code imports that are not jsii modules: jsii needs them bundled. */
const BUNDLED = ['ajv', 'ajv-draft-04', 'ajv-formats', 'safe-regex2'];
/** jsii modules the public API uses: peer dependencies of the package, so of the jsii view. */
const JSII_PEERS = ['aws-cdk-lib', 'constructs'];

/** The TypeScript sources of lib/ (not generated declarations), relative to the repository. */
function librarySources(dir = path.join(repo, 'lib')): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'runtime-types') files.push(...librarySources(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(path.relative(repo, full));
    }
  }
  return files;
}

/** Writes the jsii view of the library into `project`. */
function writeProject(project: string): void {
  for (const file of librarySources()) {
    fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    fs.copyFileSync(path.join(repo, file), path.join(project, file));
  }
  fs.copyFileSync(path.join(repo, 'README.md'), path.join(project, 'README.md'));
  fs.symlinkSync(fs.realpathSync(path.join(repo, 'node_modules')), path.join(project, 'node_modules'), 'dir');
  const pick = (names: string[], from: Record<string, string>) => Object.fromEntries(names.map((name) => [name, from[name]]));
  const manifest = {
    name: packageJson.name,
    version: packageJson.version,
    description: packageJson.description,
    license: packageJson.license,
    author: { name: 'cdk-serverless-etl contributors', organization: false },
    repository: { type: 'git', url: 'https://github.com/cdk-serverless-etl/cdk-serverless-etl.git' },
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    jsii: { outdir: 'dist', targets: {}, tsconfig: 'tsconfig.jsii.json', validateTsconfig: 'minimal' },
    peerDependencies: pick(JSII_PEERS, packageJson.peerDependencies),
    devDependencies: pick(JSII_PEERS, packageJson.devDependencies),
    dependencies: pick(BUNDLED, packageJson.dependencies),
    bundledDependencies: BUNDLED,
  };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      module: 'commonjs',
      moduleResolution: 'node',
      types: ['node'],
      strict: true,
      declaration: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      experimentalDecorators: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
    include: ['lib/**/*.ts'],
    exclude: ['node_modules'],
  };
  fs.writeFileSync(path.join(project, 'tsconfig.jsii.json'), JSON.stringify(tsconfig, null, 2));
}

/** The names lib/index.ts exports (values and types), as a TypeScript user imports them. */
function exportedNames(): string[] {
  const index = path.join(repo, 'lib', 'index.ts');
  const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => symbol.name).sort();
}

/** Runs the check; returns the process exit code. */
function main(): number {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-serverless-etl-jsii-'));
  try {
    writeProject(project);
    const jsii = path.join(repo, 'node_modules', '.bin', 'jsii');
    const run = spawnSync(jsii, ['--silence-warnings=reserved-word'], { cwd: project, encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' } });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.replaceAll(project + path.sep, '');
    if (output.trim()) console.log(output.trim());
    const assemblyFile = path.join(project, '.jsii');
    if (run.status !== 0 || !fs.existsSync(assemblyFile)) {
      console.error(`check:jsii: jsii failed (exit ${run.status ?? run.signal}); the errors are above`);
      return 1;
    }
    const assembly = JSON.parse(fs.readFileSync(assemblyFile, 'utf8')) as { types?: Record<string, { name: string; namespace?: string }> };
    const topLevel = new Set(Object.values(assembly.types ?? {}).filter((type) => !type.namespace).map((type) => type.name));
    const dropped = exportedNames().filter((name) => !topLevel.has(name));
    if (dropped.length > 0) {
      console.error(`check:jsii: lib/index.ts exports ${dropped.length} declaration(s) jsii leaves out of the assembly: ${dropped.join(', ')}`);
      console.error('Make each a class, interface or enum (a const as a static member, a function as a static method), or stop exporting it.');
      return 1;
    }
    console.log(`check:jsii: OK, ${topLevel.size} types in the assembly, every export of lib/index.ts among them`);
    return 0;
  } finally {
    if (process.env.KEEP_JSII_CHECK) console.log(`kept ${project}`);
    else fs.rmSync(project, { recursive: true, force: true });
  }
}

process.exitCode = main();
