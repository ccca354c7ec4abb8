import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cdk';

/** `npm start` end to end: the CDK CLI synthesizes the reference app offline and the summary prints. */
describe('npm start (local/start.ts)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'start-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  function start(...args: string[]) {
    return spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'local', 'start.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_VALIDATION: 'false', ETL_NAG: 'false' },
    });
  }

  test('synthesizes the reference app and writes the summary as JSON', () => {
    const json = path.join(work, 'summary.json');
    const result = start('--out', path.join(work, 'cdk.out'), '--json', json);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Stack ClickstreamPipeline');
    expect(result.stdout).toContain('Dead-letter queues (3):');
    const summary = JSON.parse(fs.readFileSync(json, 'utf8')) as { stacks: Array<{ stackName: string; inputs: unknown[] }> };
    expect(summary.stacks.map((s) => s.stackName)).toEqual(['ClickstreamPipeline']);
    expect(summary.stacks[0].inputs).toHaveLength(3);
    expect(fs.existsSync(path.join(work, 'cdk.out', 'ClickstreamPipeline.template.json'))).toBe(true);
  });

  test('exits non-zero with the synth error when the app does not synthesize', () => {
    const result = start('--out', path.join(work, 'broken.out'), '--app', `${process.execPath} -e "process.exit(3)"`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cdk synth failed/);
  });

  test('rejects unknown options with usage', () => {
    const result = start('--bogus');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Usage: npm start --/);
  });
});
