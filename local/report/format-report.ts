import { formatIam, iamRow } from '../iam/format-iam';
import { formatFaults } from '../faults/format-faults';
import { describeTableChanges, type CurrentTableReport } from '../lakehouse/current-table-report';
import type { ConcurrencyReport, ExecutionReport, RunReport } from './run-report';

/** Renders a run report as plain text for a terminal. */
export function formatReport(r: RunReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const ms = (v: number | null) =>
    v === null ? 'n/a' : v >= 86_400_000 ? `${(v / 86_400_000).toFixed(1)} d` : v >= 3_600_000 ? `${(v / 3_600_000).toFixed(1)} h` : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`;
  const rejected = r.rejectedAtSource.length;
  const lines = [
    'Report',
    ...(r.linesRead !== undefined
      ? [
          `  input lines             ${n(r.linesRead)}${r.deliveriesPerLine > 1 ? `  (each sent by ${r.deliveriesPerLine} sources)` : ''}` +
            `${rejected > 0 ? `  (${n(r.recordsIn)} in, ${n(rejected)} rejected at source)` : ''}`,
        ]
      : []),
    ...(rejected > 0 ? [`  rejected at source      ${n(rejected)}${formatCounts(r.rejectedAtSourceByReason)}`] : []),
    `  records in              ${n(r.recordsIn)}  (${Object.entries(r.sent).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${n(v)}`).join(', ') || 'none'})`,
    `  curated                 ${n(r.curated)}${r.fanOut > 0 ? `  (${n(r.curatedRecords)} records: fan-out ${n(r.fanOut)})` : ''}${r.claimChecked > 0 ? `  (${n(r.claimChecked)} claim-checked)` : ''}`,
    ...(r.curatedAgain > 0 ? [`  curated again           ${n(r.curatedAgain)}  (delivered again in another batch; deduplication 'table': the current table holds each once)`] : []),
    `  quarantined             ${n(r.quarantined)}${formatCounts(r.quarantinedByReason)}`,
    `  dead-lettered           ${n(r.deadLettered)}${formatCounts(Object.fromEntries(Object.entries(r.deadLetteredByQueue).filter(([, v]) => v > 0)))}`,
    `  dropped on purpose      ${n(r.dropped)}`,
    `  duplicates suppressed   ${n(r.duplicatesSuppressed)}`,
    ...(r.redelivered ? [`  delivered again         ${formatRedelivered(r.redelivered, n)}`] : []),
    `  freshness p50 / p95     ${ms(r.freshnessP50Ms)} / ${ms(r.freshnessP95Ms)}  (event time to curated write)`,
    `  throughput              ${n(r.throughputPerSec)} records/s  (${n(r.recordsIn)} in ${(r.wallTimeMs / 1000).toFixed(1)} s, ${n(r.invocations)} invocations${r.functionErrors > 0 ? `, ${n(r.functionErrors)} failed` : ''}${r.functionTimeouts > 0 ? ` (${n(r.functionTimeouts)} timed out)` : ''})`,
    `  conservation            ${r.conservationOk ? 'OK' : 'FAILED'}: ${r.linesRead !== undefined ? `lines${r.deliveriesPerLine > 1 ? ` × ${r.deliveriesPerLine}` : ''} = in + rejected at source; ` : ''}in = curated + ${r.deduplication === 'table' ? 'curated again + ' : ''}quarantined + dead-lettered + dropped + duplicates${r.conservationOk && r.deduplication !== 'table' ? ', no id twice in curated' : ''}`,
  ];
  for (const t of r.currentTables ?? []) lines.push(formatCurrentTable(t, n));
  // One table: its name is on the line above. Several: each line names its table.
  const named = (r.currentTables ?? []).length !== 1;
  for (const h of r.currentTableHistory ?? []) for (const t of h.tables) lines.push(`    after ${h.input}: ${describeTableChanges(t, named)}`);
  for (const p of r.conservationProblems) lines.push(`    - ${p}`);
  if (r.iam) lines.push(iamRow(r.iam), ...formatIam(r.iam));
  if (rejected > 0) {
    lines.push(`  rejected at source: never entered the pipeline (a real source refuses them the same way)`);
    for (const x of r.rejectedAtSource.slice(0, 5)) lines.push(`    - line ${x.line}: ${x.reason}`);
  }
  if (r.faults) lines.push('', ...formatFaults(r.faults));
  lines.push(...formatConcurrency(r.concurrency));
  if (r.executions.length > 0) {
    lines.push('', 'State machine executions');
    for (const e of r.executions) lines.push(...formatExecution(e));
  }
  if (r.notes.length > 0) {
    lines.push('', 'Notes');
    for (const note of r.notes) lines.push(`  - ${note}`);
  }
  return lines.join('\n');
}

/** A current table's row: its live rows against the curated keys (conservation extends to it). */
function formatCurrentTable(t: CurrentTableReport, n: (v: number) => string): string {
  return (
    `  current table           ${t.table}: ${n(t.liveRows)} rows (one per id: ${n(t.curatedKeys)} distinct ids curated − ${n(t.deletedKeys)} deleted)` +
    `${t.tombstones > 0 ? `, ${n(t.tombstones)} tombstone(s)` : ''}; ${n(t.merges)} MERGE(s)${t.versionColumn ? `, newest by ${t.versionColumn}` : ''}; query it: start --query "SELECT ..."`
  );
}

/** What ran at once: the most at once and the cap, per mapping, Distributed Map and function. */
function formatConcurrency(c: ConcurrencyReport): string[] {
  if (c.mappings.length + c.distributedMaps.length + c.functions.length === 0) return [];
  const lines = ['', 'Concurrency (the most at once / the cap)'];
  for (const m of c.mappings) lines.push(`  ${m.source} → ${m.function}: ${m.peak} / ${m.cap} invocations  (${m.setting})`);
  for (const m of c.distributedMaps) {
    const setting = m.maxConcurrency > 0 ? `MaxConcurrency ${m.maxConcurrency}` : 'no MaxConcurrency (AWS: up to 10,000)';
    lines.push(`  ${m.stateMachine} Map "${m.state}": ${m.peak} / ${m.cap} items  (${setting}${m.cap < (m.maxConcurrency || Infinity) ? `, ${m.cap} locally` : ''}; ${m.items} items run)`);
  }
  for (const f of c.functions) {
    lines.push(`  ${f.function}: ${f.peak} invocations at once in ${f.environments} environment(s)${f.waited > 0 ? `; ${f.waited} waited for one (at most ${f.cap})` : ''}`);
  }
  return lines;
}

function formatExecution(e: ExecutionReport): string[] {
  const lines = [
    `  ${e.stateMachine}  ${e.input}`,
    `    ${e.status} in ${(e.durationMs / 1000).toFixed(1)} s: ${e.statesVisited} states visited` +
      `${e.mapIterations > 0 ? ` (${e.mapIterations} map iteration${e.mapIterations === 1 ? '' : 's'})` : ''}, ${e.taskCalls} task calls`,
  ];
  for (const event of e.events) {
    const counts = event.counts ? Object.entries(event.counts).filter(([, v]) => typeof v === 'number' || typeof v === 'boolean') : [];
    const value = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(3))) : String(v));
    lines.push(`    ${event.detailType}${counts.length > 0 ? `: ${counts.map(([k, v]) => `${k} ${value(v)}`).join(', ')}` : ''}${event.error ? ` (error ${event.error})` : ''}`);
  }
  if (e.error) lines.push(`    error ${e.error}${e.cause ? `: ${e.cause.length > 200 ? `${e.cause.slice(0, 200)}...` : e.cause}` : ''}`);
  return lines;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? '' : `  (${entries.map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')})`;
}

/** Records an event source delivered again after handling them, and where they were counted once. */
function formatRedelivered(r: NonNullable<RunReport['redelivered']>, n: (v: number) => string): string {
  const inDlq = Object.values(r.deadLetteredByQueue).reduce((a, b) => a + b, 0);
  const parts = [r.dropped > 0 ? `${n(r.dropped)} dropped again` : '', r.duplicates > 0 ? `${n(r.duplicates)} skipped as their own duplicate` : '', inDlq > 0 ? `${n(inDlq)} also in a dead-letter range` : ''];
  return `${n(r.dropped + r.duplicates + inDlq)} handled record(s) delivered again (${parts.filter(Boolean).join(', ')}): each counted once above`;
}
