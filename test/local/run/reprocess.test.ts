/**
 * `start --reprocess` in process (runPipeline), in both deduplication modes: a run with transform
 * A keeps its input, curated objects and current table; the app rebuilt with transform B then
 * re-derives the kept input as a reprocess run, and the kept table shows the rows as B derives them
 * (a deleted order stays deleted), with conservation holding on both runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isReprocessRunId, newReprocessRunId } from '../../../lib/contract/reprocess';
import { queryKeptTables } from '../../../local/lakehouse/local-lakehouse';
import { synthesize, type CloudAssembly } from '../../../local/template/cloud-assembly';
import { runPipeline } from '../../../local/run/pipeline-run';
import { readKeptRun } from '../../../local/run/reprocess';
import type { RunReport } from '../../../local/report/run-report';
import { ROOT } from '../../support/cdk';

jest.setTimeout(300_000);

const APP = `npx tsx ${path.join('test', 'local', 'fixtures', 'correction-app.ts')}`;
let work: string;
const assemblies: Record<'a' | 'b', CloudAssembly> = {} as Record<'a' | 'b', CloudAssembly>;

beforeAll(() => {
  const saved = { validation: process.env.CDK_VALIDATION, nag: process.env.ETL_NAG, variant: process.env.CORRECTION_TRANSFORM };
  process.env.CDK_VALIDATION = 'false';
  process.env.ETL_NAG = 'false';
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'reprocess-'));
  try {
    for (const variant of ['a', 'b'] as const) {
      process.env.CORRECTION_TRANSFORM = variant;
      assemblies[variant] = synthesize({ cwd: ROOT, app: APP, outdir: path.join(work, `cdk.out-${variant}`) });
    }
  } finally {
    for (const [name, value] of Object.entries({ CDK_VALIDATION: saved.validation, ETL_NAG: saved.nag, CORRECTION_TRANSFORM: saved.variant })) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}, 300_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let events = 0;
const order = (id: string, minute: number, status: string, amount = 0) =>
  JSON.stringify({ eventId: `e-${++events}`, orderId: id, updatedAt: `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`, status, amount });
/** Amounts are cents; transform A reads them as euros. o-2 is shipped after it was placed; o-3 is cancelled (a delete). */
const INPUT = [order('o-1', 0, 'placed', 1250), order('o-2', 1, 'placed', 300), order('o-2', 5, 'shipped', 300), order('o-3', 2, 'placed', 999), order('o-3', 6, 'cancelled'), order('o-4', 3, 'placed', 42)];

async function run(variant: 'a' | 'b', pipeline: string, lakehouseDir: string, reprocess?: { run: string }): Promise<RunReport> {
  const kept = reprocess ? readKeptRun(lakehouseDir) : undefined;
  return runPipeline({
    assembly: assemblies[variant],
    lines: kept ? kept.lines : INPUT,
    via: 'batch',
    pipeline,
    lakehouseDir,
    ...(kept && reprocess ? { reprocess: { run: reprocess.run, curated: kept.curated } } : {}),
    progress: () => undefined,
    onStarted: () => undefined,
  });
}

/** The current table's rows: key, operation, status, amount and transform version. */
async function rows(lakehouseDir: string, table: string): Promise<string[]> {
  const result = await queryKeptTables(lakehouseDir, `SELECT _etl_key, _etl_op, status, amount_cents, _etl_transform_version FROM ${table} ORDER BY _etl_key`);
  return result.rows.map((r) => r.map((v) => (v === null ? '-' : String(v))).join(' '));
}

describe.each(['claims', 'table'])("start --reprocess, '%s' deduplication", (mode) => {
  it('re-derives the kept input with the changed transform: the kept current table shows the corrected rows, conservation holds', async () => {
    const dir = path.join(work, `lakehouse-${mode}`);
    const first = await run('a', `orders-${mode}`, dir);
    expect(first.conservationProblems).toEqual([]);
    const table = (first.currentTables ?? []).find((t) => t.table.startsWith(`orders_${mode}.`)) as NonNullable<RunReport['currentTables']>[number];
    expect(table).toEqual(expect.objectContaining({ liveRows: 3, tombstones: 1, duplicateKeys: 0 }));
    const before = await rows(dir, table.table);
    const versionA = before[0].split(' ')[4];
    expect(before).toEqual([`o-1 upsert placed 125000 ${versionA}`, `o-2 upsert shipped 30000 ${versionA}`, 'o-3 delete - - ' + versionA, `o-4 upsert placed 4200 ${versionA}`]);

    const reprocessRun = newReprocessRunId();
    const second = await run('b', `orders-${mode}`, dir, { run: reprocessRun });
    expect(second.conservationProblems).toEqual([]);
    // Six inputs re-derived: each one curated again (o-3's cancellation as a delete line).
    expect(second).toEqual(expect.objectContaining({ recordsIn: 6, curated: 6, duplicatesSuppressed: 0 }));
    const corrected = (second.currentTables ?? []).find((t) => t.table === table.table);
    expect(corrected).toEqual(expect.objectContaining({ table: table.table, liveRows: 3, tombstones: 1, duplicateKeys: 0, failedMerges: 0 }));
    const after = await rows(dir, table.table);
    const versionB = after[0].split(' ')[4];
    expect(versionB).not.toBe(versionA);
    expect(after).toEqual([`o-1 upsert PLACED 1250 ${versionB}`, `o-2 upsert SHIPPED 300 ${versionB}`, `o-3 delete - - ${versionB}`, `o-4 upsert PLACED 42 ${versionB}`]);
    expect(second.executions.find((e) => e.stateMachine.endsWith('BatchWorkflow/StateMachine'))?.executionArn).toMatch(new RegExp(`:${reprocessRun}--[0-9a-f]{16}$`));
    expect(isReprocessRunId(reprocessRun)).toBe(true);
  });
});

describe("a run of an app whose pipelines differ in deduplication mode", () => {
  it("accounts by the mode of the pipeline the input went to ('table', though another pipeline claims): an id sent twice is held once by the table", async () => {
    const dir = path.join(work, 'lakehouse-mixed');
    const report = await runPipeline({
      assembly: assemblies.a,
      lines: [order('o-1', 0, 'placed', 100), INPUT[0], INPUT[0]],
      via: 'batch',
      pipeline: 'orders-table',
      lakehouseDir: dir,
      progress: () => undefined,
      onStarted: () => undefined,
    });
    expect(report.deduplication).toBe('table');
    // Suppressed within its batch, or curated again by another batch: either way counted once, never lost.
    expect(report.curatedAgain + report.duplicatesSuppressed).toBe(1);
    expect(report.conservationProblems).toEqual([]);
    expect(report.currentTables?.find((t) => t.table.startsWith('orders_table.'))).toEqual(expect.objectContaining({ duplicateKeys: 0 }));
  });
});
