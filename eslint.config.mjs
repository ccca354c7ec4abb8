// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Import directions between the folders (docs/architecture.md): the contract (lib/contract/)
 * depends on nothing; lib/ (the constructs) on the contract and aws-cdk-lib; lambda/ (bundled by
 * esbuild into functions) on lib/contract/ only of the library's other folders; cli/ and local/
 * (shipped compiled, loaded without aws-cdk-lib) on lib/contract/ only of lib/. Relative imports
 * are matched by the top-level folder they climb to (`../../local/x`). Checked by
 * test/lint/import-directions.test.ts.
 */
const climbsTo = (/** @type {string[]} */ folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
/** A relative import of lib/ other than lib/contract/. */
const LIB_BEYOND_CONTRACT = '^(\\.\\./)+lib(/(?!contract(/|$))|$)';
const noImports = (/** @type {Array<{ regex: string; message: string }>} */ patterns) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((p) => ({ ...p, caseSensitive: true })) }],
});
/** What cli/ and local/ never import. */
const COMPILED_TOOLS = [
  {
    regex: LIB_BEYOND_CONTRACT,
    message: 'cli/ and local/ import only lib/contract/ of lib/: they read synthesized templates and stack outputs, not constructs.',
  },
  {
    regex: climbsTo(['lambda', 'bench', 'test', 'bin', 'scripts']),
    message: 'cli/ and local/ ship compiled: they never import lambda/ sources, tests, benchmarks or scripts.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '**/*.js', '**/*.d.ts', '!lambda/handlers/bundle-modules.d.ts', '.local-run/', 'bench/.out/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The local runner, benchmarks and scripts are command-line programs: printing is their job.
    files: ['local/**', 'bench/**', 'bin/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['lib/**/*.ts'],
    rules: noImports([
      {
        regex: climbsTo(['local', 'bench', 'test', 'bin', 'scripts']),
        message: 'lib/ is the published constructs: it never imports the local runner, benchmarks, tests or scripts.',
      },
      {
        regex: climbsTo(['lambda', 'cli']),
        message: 'lib/ never imports lambda/ or cli/ (lambda/ is bundled by path, not imported): share names through lib/contract/.',
      },
    ]),
  },
  {
    files: ['lib/contract/**/*.ts'],
    rules: noImports([
      { regex: '^(?!\\./)', message: 'lib/contract/ is dependency-free (lambda/ bundles it, cli/ and local/ load it): it imports only its own files.' },
    ]),
  },
  {
    files: ['lambda/**/*.ts'],
    rules: noImports([
      {
        regex: '^(aws-cdk-lib|constructs|cdk-nag)(/|$)',
        message: 'lambda/ is bundled into Lambda functions: never aws-cdk-lib or constructs (share names through lib/contract/).',
      },
      { regex: LIB_BEYOND_CONTRACT, message: 'lambda/ imports only lib/contract/ of lib/ (the rest needs aws-cdk-lib).' },
      {
        regex: climbsTo(['cli', 'local', 'bench', 'test', 'bin', 'scripts']),
        message: "lambda/ is the functions' code: it imports only itself and lib/contract/.",
      },
    ]),
  },
  { files: ['cli/**/*.ts'], rules: noImports(COMPILED_TOOLS) },
  {
    // The outputs are read once into a typed object (cli/outputs.ts) that the command context holds: never the other way round.
    files: ['cli/outputs.ts', 'cli/errors.ts'],
    rules: noImports([
      ...COMPILED_TOOLS,
      { regex: '^\\./context$', message: 'cli/context.ts imports the outputs and errors; they never import it (no cycle).' },
    ]),
  },
  {
    files: ['local/**/*.ts'],
    rules: noImports([
      ...COMPILED_TOOLS,
      { regex: climbsTo(['cli']), message: 'local/ is the runner the CLI starts (cli/start.ts imports local/), never the other way round.' },
    ]),
  },
);
