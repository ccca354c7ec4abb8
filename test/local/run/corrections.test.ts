import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { queryKeptTables } from '../../../local/lakehouse/local-lakehouse';
import type { RunReport } from '../../../local/report/run-report';
import { ROOT } from '../../support/cdk';

/**
 * The done-when of corrections (issue 15): the default `start` sends the sample events, merges,
 * then their corrections (examples/clickstream/sample-corrections.jsonl), merges again, and the
 * current table holds one row per id with the newest revision, retracted ids tombstoned, and no
 * older revision resurrected, in both deduplication modes of the reference app.
 */
const TABLE = 'clickstream_etl.clickstream_current';

/** The table after both inputs, row by row: key, operation, revision, event type, path (a tombstone keeps only its key and revision). */
const EXPECTED_ROWS = [
  ['evt-0001', 'upsert', '1', 'click', '/products/1'],
  ['evt-0002', 'upsert', '2', 'purchase', '/products/2'], // revision 2 (sent twice): an add_to_cart that was a purchase
  ['evt-0003', 'upsert', '1', 'purchase', '/products/3'],
  ['evt-0004', 'upsert', '1', 'page_view', '/products/4'],
  ['evt-0005', 'upsert', '3', 'click', '/products/55'], // revisions 2 and 3: the newest wins
  ['evt-0006', 'upsert', '1', 'add_to_cart', '/products/6'],
  ['evt-0007', 'delete', '2', null, null], // retracted
  ['evt-0008', 'upsert', '3', 'click', '/products/88'], // revision 2 came after revision 3: it does not win
  ['evt-0009', 'upsert', '1', 'click', '/products/9'],
  ['evt-0010', 'upsert', '1', 'add_to_cart', '/products/10'],
  ['evt-0011', 'delete', '2', null, null], // retracted; its revision 1 sent again afterwards does not bring it back
  ['evt-0012', 'upsert', '1', 'page_view', '/products/12'],
  // The oversize event: claim-checked, its row holds the key, order and version columns only (the record is in the raw bucket).
  ['evt-0016', 'upsert', '1', null, null],
  ['evt-0017', 'upsert', '1', 'page_view', '/products/17'], // a new id among the corrections
];

describe.each([
  ['claims', []],
  ['table', ['--context', 'deduplication=table']],
])("start with the sample events, then their corrections (deduplication '%s')", (mode, context) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `corrections-${mode}-`));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const env = { ...process.env, CDK_VALIDATION: 'false', ETL_NAG: 'false' };
  const start = (cwd: string, ...rest: string[]) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'cli', 'main.ts'), 'start', ...rest], { cwd, encoding: 'utf8', env, timeout: 150_000 });

  test('one row per id: updates applied, older revisions not resurrected, retracted ids tombstoned; conservation holds', async () => {
    const assembly = path.join(work, 'cdk.out');
    const synth = start(ROOT, '--summary-only', '--cdk-out', assembly, ...context);
    expect(synth.status).toBe(0);
    // Run where the repository's own .local-run is not touched (the run keeps its tables under <cwd>/.local-run).
    const json = path.join(work, 'report.json');
    const result = start(work, '--assembly', assembly, '--json', json);
    if (result.status !== 0) throw new Error(`exit ${result.status}\n${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as RunReport;

    expect(result.stdout).toContain('Input: 18 events from');
    expect(result.stdout).toMatch(/then 10 events from .*sample-corrections\.jsonl/);
    expect(report.deduplication).toBe(mode);
    expect(report.conservationOk).toBe(true);
    expect(report.conservationProblems).toEqual([]);
    expect(report.recordsIn).toBe(28);
    // Claims: the second evt-0003 and the second evt-0002 revision 2 are suppressed. Without claims, a
    // copy delivered in another batch is curated again, and the table still holds it once.
    if (mode === 'claims') expect(report).toEqual(expect.objectContaining({ curated: 22, duplicatesSuppressed: 2, curatedAgain: 0 }));
    else expect(report.curated + report.curatedAgain + report.duplicatesSuppressed).toBe(24);
    expect(report.currentTableHistory?.map((h) => [h.input, h.tables.map(({ table, ...counts }) => [table, counts])])).toEqual([
      ['sample-events.jsonl', [[TABLE, { liveRows: 13, tombstones: 0, inserted: 13, updated: 0, deleted: 0, restored: 0 }]]],
      ['sample-corrections.jsonl', [[TABLE, { liveRows: 12, tombstones: 2, inserted: 1, updated: 3, deleted: 2, restored: 0 }]]],
    ]);
    expect(report.currentTables).toEqual([
      expect.objectContaining({ table: TABLE, rows: 14, liveRows: 12, tombstones: 2, duplicateKeys: 0, curatedKeys: 14, deletedKeys: 2, failedMerges: 0, versionColumn: 'revision' }),
    ]);
    expect(result.stdout).toMatch(/current table {11}clickstream_etl\.clickstream_current: 12 rows \(one per id: 14 distinct ids curated − 2 deleted\), 2 tombstone\(s\)/);
    expect(result.stdout).toContain('    after sample-events.jsonl: 13 live rows, 0 tombstones (13 inserted, 0 updated, 0 deleted)');
    expect(result.stdout).toContain('    after sample-corrections.jsonl: 12 live rows, 2 tombstones (1 inserted, 3 updated, 2 deleted)');

    const { rows } = await queryKeptTables(
      path.join(work, '.local-run', 'lakehouse'),
      `SELECT "_etl_key", "_etl_op", "revision", "eventtype", "path" FROM ${TABLE} ORDER BY "_etl_key"`,
    );
    expect(rows.map((r) => r.map((v) => (v === null ? null : String(v))))).toEqual(EXPECTED_ROWS);
    // The live view: what a query of the table sees.
    const live = start(work, '--query', `SELECT count(*) AS live FROM ${TABLE}_live WHERE "_etl_key" IN ('evt-0007', 'evt-0011') OR "revision" = 3`);
    expect(live.status).toBe(0);
    expect(live.stdout).toMatch(/live\s*\n-+\s*\n2\s/);
  }, 300_000);
});
