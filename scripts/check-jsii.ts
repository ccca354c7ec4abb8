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
 * Passes when jsii reports zero errors and the assembly (.jsii) passes the checks of
 * `scripts/jsii-assembly.ts`:
 * - it has every class, interface and enum that lib/index.ts exports, as the same kind: jsii
 *   silently leaves out what it cannot represent (top-level consts and functions, type aliases),
 *   so a declaration the TypeScript user sees but a Python, Java or .NET user would not is reported;
 * - it declares the python, java and dotnet targets (package.json `jsii.targets`), so the packages
 *   for those languages are one `jsii-pacmak` away;
 * - no prop, member, parameter or result is typed by one of the library's construct classes
 *   instead of its interface (`ITransformFunction`, not `TransformFunction`), and each `I<Name>`
 *   interface is implemented by its class `<Name>`;
 * - every type and member has a TSDoc summary.
 * jsii's warnings are printed, not failed on. KEEP_JSII_CHECK=1 keeps the temporary project.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import {
  Assembly,
  DeclarationKind,
  constructClassReferences,
  missingDeclarations,
  missingTargets,
  undocumented,
  unimplementedInterfaces,
} from './jsii-assembly';

const repo = path.resolve(__dirname, '..');
const packageJson = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  description: string;
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  jsii: { targets: Record<string, unknown> };
};

/** The languages the assembly must declare targets for (package.json `jsii.targets`). */
const REQUIRED_TARGETS = ['python', 'java', 'dotnet'];

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
    jsii: { outdir: 'dist', targets: packageJson.jsii.targets, tsconfig: 'tsconfig.jsii.json', validateTsconfig: 'minimal' },
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

/** The names lib/index.ts exports (values and types), as a TypeScript user imports them, and what each is. */
function exportedDeclarations(): Map<string, DeclarationKind> {
  const index = path.join(repo, 'lib', 'index.ts');
  const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  const kindOf = (exported: ts.Symbol): DeclarationKind => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (symbol.flags & ts.SymbolFlags.Class) return 'class';
    if (symbol.flags & ts.SymbolFlags.Enum) return 'enum';
    if (symbol.flags & ts.SymbolFlags.Interface) return 'interface';
    return 'other';
  };
  return new Map(checker.getExportsOfModule(moduleSymbol).map((symbol) => [symbol.name, kindOf(symbol)]));
}

/** The assembly's problems, each group under the advice that fixes it. */
function assemblyProblems(assembly: Assembly): Array<{ title: string; advice: string; problems: string[] }> {
  return [
    {
      title: 'declarations of lib/index.ts missing from the assembly',
      advice: 'Make each a class, interface or enum (a const as a static member, a function as a static method), or stop exporting it.',
      problems: missingDeclarations(assembly, exportedDeclarations()),
    },
    {
      title: 'targets missing',
      advice: 'Declare them in package.json under jsii.targets.',
      problems: missingTargets(assembly, REQUIRED_TARGETS),
    },
    {
      title: 'construct classes where their interfaces belong',
      advice: 'Type props and members by the interface, as aws-cdk-lib takes IBucket, not Bucket (docs/architecture.md, "Interfaces").',
      problems: [...constructClassReferences(assembly), ...unimplementedInterfaces(assembly)],
    },
    {
      title: 'types and members without a TSDoc summary',
      advice: 'Document each (the first sentence is the summary Python, Java and .NET users see).',
      problems: undocumented(assembly),
    },
  ].filter((group) => group.problems.length > 0);
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
    const assembly = JSON.parse(fs.readFileSync(assemblyFile, 'utf8')) as Assembly;
    const groups = assemblyProblems(assembly);
    for (const group of groups) {
      console.error(`check:jsii: ${group.problems.length} ${group.title}:\n${group.problems.map((p) => `  - ${p}`).join('\n')}\n${group.advice}`);
    }
    if (groups.length > 0) return 1;
    const targets = Object.keys(assembly.targets ?? {}).join(', ');
    console.log(`check:jsii: OK, ${Object.keys(assembly.types ?? {}).length} types in the assembly, every export of lib/index.ts among them; targets ${targets}`);
    return 0;
  } finally {
    if (process.env.KEEP_JSII_CHECK) console.log(`kept ${project}`);
    else fs.rmSync(project, { recursive: true, force: true });
  }
}

process.exitCode = main();
