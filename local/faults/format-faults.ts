/** Renders the faults section of a run report (`--faults`) for a terminal. */
import type { FaultOutcome } from './fault-injector';
import type { FaultReport } from './fault-report';

const OUTCOME_LABELS: Record<FaultOutcome, string> = {
  'sdk-retry': 'retried by the SDK',
  'sent-again': 'completed when sent again (by the function or a redelivery)',
  'reached-result': 'surfaced to the invocation',
  'timed-out': 'invocation timed out',
};

/** The lines of the faults section. */
export function formatFaults(f: FaultReport): string[] {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [`Faults injected: ${n(f.injected)}  (--faults ${f.spec} --seed ${f.seed})`];
  for (const c of f.clauses) {
    lines.push(`  ${c.clause}: ${c.injected === 0 ? `never fired (${c.matched === 0 ? 'no call matched it' : `${n(c.matched)} matching call(s)`})` : n(c.injected)}`);
    for (const row of f.faults.filter((r) => r.clause === c.clause)) {
      const outcomes = (Object.entries(row.outcomes) as Array<[FaultOutcome, number]>).filter(([, v]) => v > 0).map(([k, v]) => `${OUTCOME_LABELS[k]} ${n(v)}`);
      const held = row.heldMs !== undefined ? `; held ${(row.heldMs / 1000).toFixed(1)} s in all until the clients gave up` : '';
      lines.push(`    ${row.service}:${row.operation} by ${row.caller}: ${n(row.count)} (${outcomes.join(', ')}${held})`);
    }
  }
  const a = f.absorbedBy;
  lines.push(
    `  absorbed by the event sources: ${n(a.functionErrors)} failed invocation(s) retried` +
      `${a.timeouts > 0 ? ` (${n(a.timeouts)} timed out, their workers stopped; ${n(a.restarts)} cold start(s) after)` : ''}, ` +
      `${n(a.recordsRetried)} record(s) reported failed and delivered again, ${n(a.batchesBisected)} batch(es) bisected, ${n(a.recordsGivenUp)} record(s) given up to an on-failure destination`,
    `  absorbed by the workflows: ${n(a.workflowRetries)} failed task call(s) run again by a Retry, ${n(a.workflowTaskFailures)} not retried (caught or failed)`,
    '  records that ended in a DLQ are in "dead-lettered" above: redrive them with the CLI (redrive, redrive-stream, restart)',
  );
  return lines;
}
