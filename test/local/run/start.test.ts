import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunReport } from '../../../local/report/run-report';
import { ROOT } from '../../support/cdk';

/**
 * `cdk-serverless-etl start` (`npm start`) end to end: the CDK CLI synthesizes the reference app
 * once (offline), then the runner creates its resources on the emulators, runs the bundled
 * functions and the batch workflow's state machine, and reports.
 */
const BATCH_WORKFLOW = 'Pipeline/BatchWorkflow/StateMachine';
/** The batch workflow's executions (the current table's merge and maintenance machines also run at the end of a run). */
const batchRuns = (report: RunReport): RunReport['executions'] => report.executions.filter((e) => e.stateMachine === BATCH_WORKFLOW);
/** Every execution of the current table's merge and maintenance state machines succeeded, and the merge ran. */
function expectTableRunsSucceeded(report: RunReport): void {
  const tableRuns = report.executions.filter((e) => e.stateMachine.startsWith('Pipeline/CurrentTable/'));
  expect(tableRuns.map((e) => e.stateMachine)).toContain('Pipeline/CurrentTable/MergeStateMachine');
  for (const e of tableRuns) expect(e).toEqual(expect.objectContaining({ status: 'SUCCEEDED' }));
}

describe('cdk-serverless-etl start (cli/start.ts → local/run/start.ts)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'start-'));
  const assembly = path.join(work, 'cdk.out');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const env = { ...process.env, CDK_VALIDATION: 'false', ETL_NAG: 'false' };
  // As `npm start` runs it: the CLI's start command through tsx.
  const args = (...rest: string[]) => [require.resolve('tsx/cli'), path.join(ROOT, 'cli', 'main.ts'), 'start', ...rest];
  function start(...rest: string[]) {
    return spawnSync(process.execPath, args(...rest), { cwd: ROOT, encoding: 'utf8', env, timeout: 110_000 });
  }
  function run(name: string, ...rest: string[]): { report: RunReport; stdout: string; stderr: string; status: number | null } {
    const json = path.join(work, `${name}.json`);
    const result = start('--assembly', assembly, '--json', json, ...rest);
    if (result.status !== 0) throw new Error(`exit ${result.status}\n${result.stdout}\n${result.stderr}`);
    return { report: JSON.parse(fs.readFileSync(json, 'utf8')) as RunReport, stdout: result.stdout, stderr: result.stderr, status: result.status };
  }
  function writeInput(name: string, lines: string[]): string {
    const file = path.join(work, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  beforeAll(() => {
    // --summary-only: synth and the offline deploy summary, as before the local run existed.
    const json = path.join(work, 'summary.json');
    const result = start('--summary-only', '--cdk-out', assembly, '--json', json);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Stack ClickstreamPipeline');
    expect(result.stdout).toContain('Dead-letter queues (8):'); // the pipeline's four, the current table's merge DLQ, the watermark publisher's, the incident-timing recorder's and the cost publisher's
    const summary = JSON.parse(fs.readFileSync(json, 'utf8')) as { stacks: Array<{ stackName: string; inputs: unknown[] }> };
    expect(summary.stacks.map((s) => s.stackName)).toEqual(['ClickstreamPipeline']);
    expect(summary.stacks[0].inputs).toHaveLength(4); // raw bucket events, stream, bus, and the curated bucket events the current table merges
  }, 110_000);

  test('the sample events: report, conservation, --json and --out', () => {
    const out = path.join(work, 'out');
    // The sample events alone (the default input adds their corrections: test/local/run/corrections.test.ts).
    const { report, stdout, stderr } = run('sample', '--input', path.join(ROOT, 'examples', 'clickstream', 'sample-events.jsonl'), '--out', out);
    // 12 valid + 1 oversize (claim-checked) curated; malformed, schema-drifted, no eventId quarantined;
    // 1 bot dropped; the second evt-0003 suppressed as a duplicate. Every third line went into a
    // batch object whose Object Created event ran the batch workflow while the stream and the bus
    // were drained (its evt-0003 meets the other one across the idempotency store, whichever is first).
    expect(report).toEqual(
      expect.objectContaining({
        recordsIn: 18,
        curated: 13,
        claimChecked: 1,
        quarantined: 3,
        quarantinedByReason: { MALFORMED_JSON: 1, MISSING_ID: 1, UNKNOWN_SCHEMA_VERSION: 1 },
        deadLettered: 0,
        dropped: 1,
        duplicatesSuppressed: 1,
        conservationOk: true,
        conservationProblems: [],
      }),
    );
    expect(report.sent).toEqual({ stream: 7, bus: 5, 'bus (raw)': 0, batch: 6 });
    expect(report.freshnessP95Ms).toBeGreaterThanOrEqual(report.freshnessP50Ms as number);
    expect(report.throughputPerSec).toBeGreaterThan(0);
    expectTableRunsSucceeded(report);
    expect(batchRuns(report)).toEqual([
      expect.objectContaining({
        stateMachine: 'Pipeline/BatchWorkflow/StateMachine',
        input: expect.stringMatching(/^s3:\/\/clickstreampipeline-pipelinedatalakeraw[0-9a-f]+\/batch\/local-run\/.*\.jsonl$/),
        status: 'SUCCEEDED',
        events: [expect.objectContaining({ detailType: 'BatchCompleted', counts: expect.objectContaining({ recordsIn: 6, quarantined: 2 }) })],
      }),
    ]);
    const batchCounts = batchRuns(report)[0].events[0].counts as { curated: number; duplicates: number };
    expect([batchCounts.curated, batchCounts.duplicates]).toEqual(batchCounts.duplicates === 1 ? [3, 1] : [4, 0]);
    // What ran at once: every mapping within its cap (2 shards × ParallelizationFactor 2, MaximumConcurrency 10), the Map within MaxConcurrency.
    expect(report.concurrency.mappings.map((m) => ({ source: m.source, setting: m.setting, cap: m.cap }))).toEqual([
      { source: 'Pipeline/StreamIngest/Stream', setting: '2 shard(s) × ParallelizationFactor 2', cap: 4 },
      { source: 'Pipeline/EventBusIngest/Buffer', setting: 'MaximumConcurrency 10', cap: 10 },
    ]);
    for (const m of report.concurrency.mappings) expect(m.peak).toBeGreaterThanOrEqual(1);
    for (const m of report.concurrency.mappings) expect(m.peak).toBeLessThanOrEqual(m.cap);
    expect(report.concurrency.distributedMaps).toEqual([expect.objectContaining({ stateMachine: 'Pipeline/BatchWorkflow/StateMachine', maxConcurrency: 10, cap: 10, items: 1, peak: 1 })]);
    expect(report.concurrency.functions.map((f) => f.function).sort()).toEqual(['Pipeline/BatchWorkflow/Steps', 'Pipeline/CurrentTable/Steps', 'Pipeline/Transform/Function']);
    expect(report.notes.join('\n')).not.toMatch(/MaxConcurrency is not applied|is run as 1/);
    expect(stdout).toMatch(/Concurrency \(the most at once \/ the cap\)\n {2}Pipeline\/StreamIngest\/Stream → Pipeline\/Transform\/Function: \d \/ 4 invocations/);
    expect(batchRuns(report)[0].statesVisited).toBeGreaterThan(5);
    expect(batchRuns(report)[0].mapIterations).toBe(1);
    expect(report.batchObjects).toEqual([expect.objectContaining({ records: 6, processed: 6, accounting: 'records' })]);
    // Every event route is wired, but the schedules of the watermark publisher and the cost publisher (they read and write CloudWatch metrics, not emulated).
    expect(report.notes.filter((n) => /not run locally|not wired|not fire locally/.test(n)).sort()).toEqual([
      expect.stringMatching(/^Pipeline\/CostPerUnit\/Schedule: scheduled rules are not run locally/),
      // The schedules of the current table's merge and maintenance: their state machines are started once at the end of the run instead.
      'Pipeline/CurrentTable/MaintenanceSchedule: the schedule does not fire locally; the run starts Pipeline/CurrentTable/MaintenanceStateMachine once at its end, as the schedule would',
      'Pipeline/CurrentTable/MergeSchedule: the schedule does not fire locally; the run starts Pipeline/CurrentTable/MergeStateMachine once at its end, as the schedule would',
      expect.stringMatching(/^Pipeline\/Watermarks\/Schedule: scheduled rules are not run locally/),
    ]);
    // The incident-timing recorder's rule matches CloudWatch alarm state changes, which the local run never emits.
    expect(report.notes).toContainEqual(expect.stringMatching(/^Pipeline\/IncidentTiming\/AlarmStateChanges: matches only aws\.cloudwatch events, which the local run never emits/));
    // Every call of the functions, the mappings, the state machine and the rules was authorized with
    // the app's policies, KMS included, and none was refused.
    expect(report.iam).toEqual(expect.objectContaining({ mode: 'enforce', denied: [], unmapped: [], unchecked: [], blocked: [], failed: false }));
    expect(Object.keys(report.iam?.checkedActions ?? {})).toEqual(
      expect.arrayContaining(['s3:PutObject', 'kms:GenerateDataKey', 'kms:Decrypt', 'dynamodb:PutItem', 'secretsmanager:GetSecretValue', 'kinesis:GetRecords', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'lambda:InvokeFunction', 'states:StartExecution', 'ssm:GetParameter', 'events:PutEvents']),
    );
    expect(stdout).toMatch(/IAM \(enforce\)\s+OK: 0 call\(s\) denied/);

    expect(stdout).toMatch(/Emulators up in \d+ ms/);
    expect(stdout).toMatch(/Created ClickstreamPipeline: 5 buckets, 10 queues, 1 streams \(2 shards\)/);
    expect(stdout).toMatch(/Loaded Pipeline\/Transform\/Function from .*asset\.[0-9a-f]{64}\/index\.js/);
    expect(stdout).toMatch(/Drained Pipeline\/StreamIngest\/Stream/);
    expect(stdout).toMatch(/Loaded Pipeline\/BatchWorkflow\/Steps from/);
    expect(stdout).toMatch(/State machine executions\n {2}Pipeline\/BatchWorkflow\/StateMachine {2}s3:\/\/.*\n {4}SUCCEEDED in [\d.]+ s: \d+ states visited/);
    expect(stdout).toMatch(/conservation\s+OK/);
    expect(stdout).not.toContain('"_aws"'); // metric and log lines stay out of the terminal
    expect(stderr).not.toMatch(/open handles|Warning/);

    // --out: every curated and quarantine object (decompressed JSON Lines), every DLQ.
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    const all = files(out);
    const curatedLines = all
      .filter((f) => f.includes(`${path.sep}curated${path.sep}`) && !f.includes('_lineage') && f.endsWith('.jsonl'))
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eventId?: string; recordId?: string }));
    const ids = curatedLines.map((r) => r.eventId ?? r.recordId).sort();
    expect(ids).toEqual([...Array.from({ length: 12 }, (_, i) => `evt-${String(i + 1).padStart(4, '0')}`), 'evt-0016']);
    expect(JSON.stringify(curatedLines)).not.toMatch(/@example\.com|203\.0\.113/); // PII masked
    const quarantine = all.filter((f) => f.includes(`${path.sep}quarantine${path.sep}`));
    const reasons = quarantine.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { reason: string }).reason));
    expect(reasons.sort()).toEqual(['MALFORMED_JSON', 'MISSING_ID', 'UNKNOWN_SCHEMA_VERSION']);
    expect(all.filter((f) => f.includes(`${path.sep}dlq${path.sep}`))).toHaveLength(8); // the pipeline's four, the current table's merge DLQ, the watermark publisher's, the incident-timing recorder's and the cost publisher's
    expect(all.some((f) => f.includes('_lineage'))).toBe(true);
  });

  test('--input with a non-JSON line via the bus: it goes raw to the buffer queue and is quarantined', () => {
    const input = writeInput('custom.jsonl', [
      JSON.stringify({ eventId: 'c-1', eventTime: '2026-11-24T10:00:00Z', eventType: 'click', userId: 'u1', sessionId: 's', page: { url: 'https://a.example/x' }, schemaVersion: '1' }),
      'this is not json {',
      JSON.stringify({ eventId: 'c-2', eventTime: '2026-11-24T10:00:01Z', eventType: 'purchase', userId: 'u2', sessionId: 's', page: { url: 'https://a.example/y' } }),
      JSON.stringify({ eventId: 'c-1', eventTime: '2026-11-24T10:00:00Z', eventType: 'click', userId: 'u1', sessionId: 's', page: { url: 'https://a.example/x' }, schemaVersion: '1' }),
      '[1, 2, 3]',
    ]);
    const { report } = run('custom', '--input', input, '--via', 'bus');
    expect(report).toEqual(
      expect.objectContaining({ recordsIn: 5, curated: 2, quarantined: 2, dropped: 0, duplicatesSuppressed: 1, deadLettered: 0, conservationOk: true }),
    );
    expect(report.sent).toEqual(expect.objectContaining({ stream: 0, bus: 3, 'bus (raw)': 2 }));
    expect(report.quarantinedByReason).toEqual({ MALFORMED_JSON: 1, NOT_AN_OBJECT: 1 });
    expect(report.notes.join('\n')).toMatch(/2 line\(s\) that are not a JSON object cannot be put on a bus/);
  });

  test('the runner never crashes on input: lines a source refuses are rejected at source with the reason and counted', () => {
    const ok = (id: string) => JSON.stringify({ eventId: id, eventTime: '2026-11-24T10:00:00Z', eventType: 'page_view', userId: 'u', sessionId: 's', page: { url: 'https://x.test/' } });
    const input = writeInput('odd.jsonl', [
      ok('odd-1'),
      'not json \u0001 with a control character SQS refuses',
      'not json with the noncharacter \uffff SQS refuses',
      ok('odd-2'),
    ]);
    for (const via of ['bus', 'all']) {
      const { report, stdout } = run(`odd-${via}`, '--input', input, '--via', via);
      expect({ via, ok: report.conservationOk, linesRead: report.linesRead }).toEqual({ via, ok: true, linesRead: 4 });
      if (via === 'bus') {
        expect(report.rejectedAtSourceByReason).toEqual({ 'SendMessage: InvalidMessageContents': 2 });
        expect(report.recordsIn).toBe(2);
        expect(stdout).toMatch(/rejected at source\s+2/);
      }
      expect(report.recordsIn + report.rejectedAtSource.length).toBe(4);
    }
  }, 220_000);

  test('--via each: the same ids at the same moment by the stream, the bus and a batch object are curated once each', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `same-${String(i + 1).padStart(2, '0')}`);
    const input = writeInput(
      'same.jsonl',
      ids.map((id, i) => JSON.stringify({ eventId: id, eventTime: '2026-11-24T10:00:00Z', eventType: 'page_view', userId: `u${i}`, sessionId: 's', page: { url: `https://x.test/${i}` } })),
    );
    const out = path.join(work, 'same-out');
    const { report, stdout } = run('same', '--input', input, '--via', 'each', '--out', out);
    expect(stdout).toMatch(/each line by each of 3 source\(s\)/);
    expect(report.sent).toEqual({ stream: 30, bus: 30, 'bus (raw)': 0, batch: 30 });
    expect(report).toEqual(
      expect.objectContaining({ linesRead: 30, deliveriesPerLine: 3, recordsIn: 90, conservationOk: true, conservationProblems: [] }),
    );
    // Each id curated once; its two other deliveries suppressed as duplicates, nothing lost or dead-lettered.
    expect(report).toEqual(expect.objectContaining({ curated: 30, duplicatesSuppressed: 60, quarantined: 0, dropped: 0, deadLettered: 0 }));
    const curatedFiles = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? curatedFiles(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    const curatedIds = curatedFiles(out)
      .filter((f) => f.includes(`${path.sep}curated${path.sep}`) && !f.includes('_lineage') && f.endsWith('.jsonl'))
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { eventId: string }).eventId));
    expect(curatedIds.sort()).toEqual(ids);
    // The sources ran at once, each within its cap.
    for (const m of report.concurrency.mappings) expect(m.peak).toBeLessThanOrEqual(m.cap);
    expect(batchRuns(report)).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expectTableRunsSucceeded(report);
  });

  test('--via stream and --rate; --via batch with an object that is not JSON Lines: the workflow quarantines it whole', () => {
    const event = (id: string) => JSON.stringify({ eventId: id, eventTime: '2026-11-24T10:00:00Z', eventType: 'click', userId: 'u1', sessionId: 's', page: { url: 'https://a.example/x' } });
    const input = writeInput('three.jsonl', [event('r-1'), event('r-2'), event('r-3')]);
    const stream = run('stream', '--input', input, '--via', 'stream', '--rate', '50').report;
    expect(stream).toEqual(expect.objectContaining({ recordsIn: 3, curated: 3, conservationOk: true }));
    expect(batchRuns(stream)).toEqual([]);
    expectTableRunsSucceeded(stream);
    expect(stream.sent.stream).toBe(3);

    const csv = writeInput('csv.jsonl', ['id,type', 'r-4,click', 'r-5,click', event('r-6')]);
    const batch = run('batch', '--input', csv, '--via', 'batch').report;
    // The object check rejects it (NotJsonLines): Catch by the error's name, quarantine of the
    // object, BatchFailed; its 4 records are accounted as quarantined with the object.
    expect(batch).toEqual(
      expect.objectContaining({ recordsIn: 4, curated: 0, quarantined: 4, quarantinedByReason: { 'NotJsonLines (object)': 4 }, conservationOk: true }),
    );
    expect(batch.sent).toEqual(expect.objectContaining({ stream: 0, bus: 0, batch: 4 }));
    expect(batchRuns(batch)).toEqual([
      expect.objectContaining({ status: 'FAILED', error: 'BatchFailed', events: [expect.objectContaining({ detailType: 'BatchFailed', error: 'NotJsonLines' })] }),
    ]);
    expect(batch.batchObjects).toEqual([expect.objectContaining({ records: 4, processed: 0, accounting: 'quarantined', reason: 'NotJsonLines' })]);
  });

  test('--app runs another CDK app end to end', () => {
    const json = path.join(work, 'tiny.json');
    const fixtures = path.join(__dirname, '..', 'fixtures');
    const app = `${process.execPath} ${require.resolve('tsx/cli')} ${path.join(fixtures, 'tiny-app.ts')}`;
    const result = start('--app', app, '--cdk-out', path.join(work, 'tiny.out'), '--input', path.join(fixtures, 'tiny-events.jsonl'), '--json', json);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Created TinyPipeline: .* 0 buses/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as RunReport;
    // t-1, t-2, t-4 curated; "not json" and the line without id quarantined; t-3 dropped; the second t-1 a duplicate.
    expect(report).toEqual(
      expect.objectContaining({ recordsIn: 7, curated: 3, quarantined: 2, dropped: 1, duplicatesSuppressed: 1, deadLettered: 0, conservationOk: true }),
    );
  }, 110_000);

  test('an app missing a grant (escape hatch: no s3:PutObject for the transform) fails with exit 5, naming the call', () => {
    const json = path.join(work, 'missing-grant.json');
    const fixtures = path.join(__dirname, '..', 'fixtures');
    const app = `${process.execPath} ${require.resolve('tsx/cli')} ${path.join(fixtures, 'missing-grant-app.ts')}`;
    const result = start('--app', app, '--cdk-out', path.join(work, 'missing-grant.out'), '--input', path.join(fixtures, 'tiny-events.jsonl'), '--via', 'stream', '--json', json);
    expect(result.status).toBe(5);
    expect(result.stderr).toMatch(/IAM check FAILED: .*\d+ record\(s\) were dead-lettered.* Tiny\/Transform\/Function: s3:PutObject on arn:aws:s3:::missinggrant-tinydatalakecurated\S+ \(\d+ calls?\)/);
    expect(result.stdout).toMatch(/Tiny\/Transform\/Function {2}s3:PutObject {2}arn:aws:s3:::\S+ {2}\d+ calls? \(s3:PutObject\)\n {4}because no identity-based policy allows the s3:PutObject action/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as RunReport;
    // The lineage manifest (curated) and the quarantine entries: both writes need the grant.
    expect(report.iam?.denied).toEqual([
      expect.objectContaining({ caller: 'Tiny/Transform/Function', action: 's3:PutObject', resource: expect.stringMatching(/curated\w+\/_lineage\/\*$/), enforced: true }),
      expect.objectContaining({ caller: 'Tiny/Transform/Function', action: 's3:PutObject', resource: expect.stringMatching(/quarantine\w+\/tiny\/\*$/), enforced: true }),
    ]);
    expect(report.curated).toBe(0);
  }, 110_000);

  test('exits non-zero with the synth error when the app does not synthesize', () => {
    const result = start('--cdk-out', path.join(work, 'broken.out'), '--app', `${process.execPath} -e "process.exit(3)"`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cdk synth failed/);
  });

  test('rejects unknown and invalid options with usage', () => {
    for (const bad of [['--bogus'], ['--via', 'carrier-pigeon'], ['--rate', '-1'], ['--iam', 'sometimes']]) {
      const result = start(...bad);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/Usage: cdk-serverless-etl start \[--app <command>\]/);
    }
  });

  test('without cdk.json or --app: a usage error naming the directory', () => {
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    const result = spawnSync(process.execPath, args('--input', path.join(__dirname, '..', 'fixtures', 'tiny-events.jsonl')), { cwd: empty, encoding: 'utf8', env, timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`No cdk.json in ${fs.realpathSync(empty)}`);
  });

  test("an app with an explicit account and region: bus events, rules and ARNs are the stack's own", () => {
    // The bus rule matches { account: ['111111111111'] }; events put as the emulators' account were all lost (exit 4).
    const json = path.join(work, 'account.json');
    const fixtures = path.join(__dirname, '..', 'fixtures');
    const app = `${process.execPath} ${require.resolve('tsx/cli')} ${path.join(fixtures, 'account-app.ts')}`;
    const result = start('--app', app, '--cdk-out', path.join(work, 'account.out'), '--input', path.join(fixtures, 'tiny-events.jsonl'), '--json', json);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as RunReport;
    // Stream t-1, t-3 (dropped), t-4; bus t-2 and t-1 again (a duplicate); batch "not json" and the line without id (quarantined).
    expect(report.sent).toEqual({ stream: 3, bus: 2, 'bus (raw)': 0, batch: 2 });
    expect(report).toEqual(
      expect.objectContaining({ recordsIn: 7, curated: 3, quarantined: 2, dropped: 1, duplicatesSuppressed: 1, deadLettered: 0, conservationOk: true }),
    );
    expect(report.executions).toEqual([
      expect.objectContaining({
        status: 'SUCCEEDED',
        executionArn: expect.stringMatching(/^arn:aws:states:eu-west-1:111111111111:execution:AccountPipeline-/),
        events: [expect.objectContaining({ detailType: 'BatchCompleted' })],
      }),
    ]);
  }, 110_000);

  test('Ctrl-C stops the emulators and exits 130', async () => {
    const big = writeInput('big.jsonl', Array.from({ length: 400 }, (_, i) => JSON.stringify({ eventId: `b-${i}`, eventTime: '2026-11-24T10:00:00Z' })));
    // Straight in node with tsx's loader, not through the tsx CLI: the CLI relays a signal to its
    // child and SIGKILLs it when the child does not answer within 30 ms, which a busy run on a
    // loaded machine need not (the packaged CLI is plain node, as here).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'start', '--assembly', assembly, '--input', big, '--rate', '20'], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let interrupting = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (/Loaded /.test(stdout) && !interrupting) {
          interrupting = true;
          // Twice, as an impatient user would: the second signal must not kill it before it stops the emulators.
          setTimeout(() => child.kill('SIGINT'), 300);
          setTimeout(() => child.kill('SIGINT'), 320);
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(stderr).toMatch(/SIGINT: stopping the functions and emulators/);
    expect(code).toBe(130);
  });
});
