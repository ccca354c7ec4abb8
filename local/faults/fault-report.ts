/**
 * The faults section of a run's report: each fault injected (kind, service, operation, caller,
 * count) with what became of it, and how the run absorbed the failures that reached the
 * functions' results, from what the event sources, function hosts and state machine executions
 * recorded (never assumed from the spec).
 */
import type { PollStats } from '../services/event-sources/types';
import type { TaskCall } from '../services/state-machine';
import type { FaultInjector, FaultOutcome } from './fault-injector';
import type { FaultKind } from './fault-spec';

/** Faults of one kind injected into one operation of one caller, and what became of them. */
export interface FaultRow {
  readonly kind: FaultKind;
  /** The clause as written in the spec. */
  readonly clause: string;
  readonly service: string;
  readonly operation: string;
  /** The function whose calls were faulted. */
  readonly caller: string;
  readonly count: number;
  /**
   * Completed on a later attempt of the same SDK call (`sdk-retry`); the same request completed
   * when sent again, by the function or a redelivery (`sent-again`); neither, so the invocation's result carried it
   * (`reached-result`); the invocation was timed out (`timed-out`).
   */
  readonly outcomes: Readonly<Record<FaultOutcome, number>>;
  /** Hung calls: total time held until the clients gave up (ms). */
  readonly heldMs?: number;
}

/** How the run absorbed the failures that reached the functions' results. */
export interface FaultAbsorption {
  /** Invocations that failed (threw or timed out): the event source retried their batch or bisected it. */
  readonly functionErrors: number;
  /** Invocations ended by the function's timeout (their worker stopped, a fresh one started). */
  readonly timeouts: number;
  /** Workers started again after a timeout or a crash (cold starts beyond each function's first). */
  readonly restarts: number;
  /** Records the functions reported as failed (partial batch responses): delivered again. */
  readonly recordsRetried: number;
  /** Failed Kinesis batches split in two and retried (BisectBatchOnFunctionError). */
  readonly batchesBisected: number;
  /** Records the event sources gave up on (sent to an on-failure destination). */
  readonly recordsGivenUp: number;
  /** Failed state machine task calls that a Retry ran again. */
  readonly workflowRetries: number;
  /** Failed state machine task calls that were not run again (caught, or failed the execution). */
  readonly workflowTaskFailures: number;
}

/** The faults section of the report (`--faults`). */
export interface FaultReport {
  readonly spec: string;
  readonly seed: number;
  /** Every clause with the calls it matched and the faults it injected (0 when it never fired). */
  readonly clauses: ReadonlyArray<{ readonly clause: string; readonly matched: number; readonly injected: number }>;
  readonly faults: readonly FaultRow[];
  readonly injected: number;
  readonly absorbedBy: FaultAbsorption;
}

/** What the run recorded besides the injector's own records. */
export interface FaultRunRecords {
  /** Each event source's statistics, summed over its drains. */
  readonly eventSources: readonly PollStats[];
  readonly functions: ReadonlyArray<{ readonly timeouts: number; readonly coldStarts: number }>;
  /** The task calls of each execution, in order. */
  readonly executions: ReadonlyArray<readonly TaskCall[]>;
}

/** Builds the faults section from the injector's records and what the run recorded. */
export function buildFaultReport(injector: FaultInjector, run: FaultRunRecords): FaultReport {
  const plan = injector.plan;
  const rows = new Map<string, { row: Omit<FaultRow, 'outcomes' | 'count' | 'heldMs'>; count: number; outcomes: Record<FaultOutcome, number>; heldMs: number }>();
  for (const fault of injector.injected) {
    const clause = plan.clauses[fault.clause];
    const key = [fault.clause, fault.operation, fault.caller].join('\n');
    const entry = rows.get(key) ?? {
      row: { kind: fault.kind, clause: clause.text, service: fault.service, operation: fault.operation, caller: fault.caller },
      count: 0,
      outcomes: { 'sdk-retry': 0, 'sent-again': 0, 'reached-result': 0, 'timed-out': 0 },
      heldMs: 0,
    };
    entry.count++;
    entry.outcomes[injector.outcomeOf(fault)]++;
    entry.heldMs += fault.heldMs ?? 0;
    rows.set(key, entry);
  }
  const faults = [...rows.values()].map(({ row, count, outcomes, heldMs }) => ({ ...row, count, outcomes, ...(row.kind === 'hang' ? { heldMs } : {}) }));
  const fired = injector.firedByClause();
  const matched = injector.matchedByClause();
  const sum = (f: (s: PollStats) => number) => run.eventSources.reduce((n, s) => n + f(s), 0);
  let workflowRetries = 0;
  let workflowTaskFailures = 0;
  for (const calls of run.executions) {
    calls.forEach((call, i) => {
      if (!call.error) return;
      const input = JSON.stringify(call.input ?? null);
      const again = calls.slice(i + 1).some((later) => later.state === call.state && JSON.stringify(later.input ?? null) === input);
      if (again) workflowRetries++;
      else workflowTaskFailures++;
    });
  }
  return {
    spec: plan.spec,
    seed: plan.seed,
    clauses: plan.clauses.map((c, i) => ({ clause: c.text, matched: matched[i], injected: fired[i] })),
    faults,
    injected: injector.injected.length,
    absorbedBy: {
      functionErrors: sum((s) => s.functionErrors),
      timeouts: run.functions.reduce((n, f) => n + f.timeouts, 0),
      restarts: run.functions.reduce((n, f) => n + Math.max(0, f.coldStarts - 1), 0),
      recordsRetried: sum((s) => s.itemFailures),
      batchesBisected: sum((s) => s.batchesBisected),
      recordsGivenUp: sum((s) => s.recordsDeadLettered),
      workflowRetries,
      workflowTaskFailures,
    },
  };
}
