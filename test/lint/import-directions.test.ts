import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..');

/** One import, as written in a file at `file` (a path in the repository; the file need not exist). */
interface Case {
  readonly file: string;
  readonly source: string;
  /** `import type` instead of a value import. */
  readonly typeOnly?: boolean;
}

/**
 * Lints one small module per case with the repository's ESLint configuration, as if it stood at
 * `file`, and returns the `no-restricted-imports` messages of each. ESLint runs in a Node process
 * of its own: its configuration is an ES module, which jest's module sandbox cannot import.
 */
function restrictedImports(cases: readonly Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('node:path');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const c of cases) {
        const code = (c.typeOnly ? 'import type { X } from ' : 'import { X } from ') + JSON.stringify(c.source) + ';\\nexport type { X };\\n';
        const [result] = await eslint.lintText(code, { filePath: path.join(process.cwd(), c.file) });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const stdout = execFileSync(process.execPath, ['-e', script], { cwd: REPO, input: JSON.stringify(cases), encoding: 'utf8' });
  return JSON.parse(stdout) as string[][];
}

/** Each folder's position: a file two levels down, so relative imports climb as real ones do. */
const AT = {
  lib: 'lib/core/lint-fixture.ts',
  contract: 'lib/contract/lint-fixture.ts',
  lambda: 'lambda/runtime/lint-fixture.ts',
  cli: 'cli/commands/lint-fixture.ts',
  local: 'local/run/lint-fixture.ts',
};

const FORBIDDEN: Array<[string, Case]> = [
  ['lib imports the local runner', { file: AT.lib, source: '../../local/run/start' }],
  ['lib imports a benchmark', { file: AT.lib, source: '../../bench/run' }],
  ['lib imports a test helper', { file: AT.lib, source: '../../test/support/cdk' }],
  ['lib imports lambda sources', { file: AT.lib, source: '../../lambda/runtime/config' }],
  ['lib imports the CLI', { file: AT.lib, source: '../../cli/outputs' }],
  ['the contract imports aws-cdk-lib', { file: AT.contract, source: 'aws-cdk-lib' }],
  ['the contract imports a Node.js module', { file: AT.contract, source: 'node:path' }],
  ['the contract imports the rest of lib', { file: AT.contract, source: '../core/prop-validator' }],
  ['lambda imports aws-cdk-lib', { file: AT.lambda, source: 'aws-cdk-lib' }],
  ['lambda imports an aws-cdk-lib module', { file: AT.lambda, source: 'aws-cdk-lib/aws-s3' }],
  ['lambda imports aws-cdk-lib types', { file: AT.lambda, source: 'aws-cdk-lib', typeOnly: true }],
  ['lambda imports constructs', { file: AT.lambda, source: 'constructs' }],
  ['lambda imports a construct of lib', { file: AT.lambda, source: '../../lib/transform/transform-function' }],
  ['lambda imports the package root', { file: AT.lambda, source: '../../lib' }],
  ['lambda imports the local runner', { file: AT.lambda, source: '../../local/run/start' }],
  ['the CLI imports a construct', { file: AT.cli, source: '../../lib/pipeline/etl-pipeline' }],
  ['the CLI imports lib/index', { file: AT.cli, source: '../../lib' }],
  ['the CLI imports lambda sources', { file: AT.cli, source: '../../lambda/runtime/config' }],
  ['the CLI outputs import the command context (a cycle)', { file: 'cli/outputs.ts', source: './context' }],
  ['the local runner imports a construct', { file: AT.local, source: '../../lib/orchestration/batch-workflow' }],
  ['the local runner imports lambda sources', { file: AT.local, source: '../../lambda/runtime/metrics' }],
  ['the local runner imports the CLI', { file: AT.local, source: '../../cli/outputs' }],
  ['the local runner imports a test helper', { file: AT.local, source: '../../test/support/temp-dir' }],
];

const ALLOWED: Array<[string, Case]> = [
  ['lib imports the contract', { file: AT.lib, source: '../contract/metrics' }],
  ['lib imports its own modules and aws-cdk-lib', { file: AT.lib, source: '../testing/snapshot-template' }],
  ['lib imports aws-cdk-lib', { file: AT.lib, source: 'aws-cdk-lib/aws-s3' }],
  ['the contract imports its own files', { file: AT.contract, source: './workflow-steps' }],
  ['lambda imports the contract', { file: AT.lambda, source: '../../lib/contract/metrics' }],
  ['lambda imports the contract index', { file: AT.lambda, source: '../../lib/contract' }],
  ['lambda imports the AWS SDK', { file: AT.lambda, source: '@aws-sdk/client-s3' }],
  ['lambda imports its own modules', { file: AT.lambda, source: './config' }],
  ['the CLI imports the contract', { file: AT.cli, source: '../../lib/contract/stack-outputs' }],
  ['the CLI starts the local runner', { file: AT.cli, source: '../../local/run/start' }],
  ['the CLI context imports the outputs', { file: 'cli/context.ts', source: './outputs' }],
  ['the local runner imports the contract', { file: AT.local, source: '../../lib/contract/environment' }],
];

describe('import directions (eslint.config.mjs)', () => {
  const results = restrictedImports([...FORBIDDEN, ...ALLOWED].map(([, c]) => c));

  test.each(FORBIDDEN.map(([name, c], i) => [name, c, i] as const))('forbidden: %s', (_name, c, i) => {
    expect(results[i]).toHaveLength(1);
    expect(results[i][0]).toContain(`'${c.source}'`);
  });

  test.each(ALLOWED.map(([name, c], i) => [name, c, FORBIDDEN.length + i] as const))('allowed: %s', (_name, _c, i) => {
    expect(results[i]).toEqual([]);
  });
});
