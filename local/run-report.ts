/**
 * The report of a local run: where every record that entered ended (curated, quarantined by
 * reason, dead-lettered, dropped on purpose, suppressed as a duplicate), freshness, throughput,
 * and the conservation check: records in = curated + quarantined + dead-lettered + dropped +
 * duplicates suppressed, and no record id twice in curated.
 */
import { linesOf, type RunOutputs } from './outputs';

/** The JSON report (`--json`). */
export interface RunReport {
  readonly recordsIn: number;
  /** Input records that reached curated (distinct input record ids in the lineage manifests). */
  readonly curated: number;
  /** Curated lines written (more than `curated` when the transform fans out). */
  readonly curatedRecords: number;
  readonly fanOut: number;
  readonly claimChecked: number;
  readonly quarantined: number;
  readonly quarantinedByReason: Record<string, number>;
  readonly deadLettered: number;
  readonly deadLetteredByQueue: Record<string, number>;
  readonly dropped: number;
  readonly duplicatesSuppressed: number;
  readonly freshnessP50Ms: number | null;
  readonly freshnessP95Ms: number | null;
  readonly throughputPerSec: number;
  readonly wallTimeMs: number;
  readonly invocations: number;
  readonly functionErrors: number;
  readonly conservationOk: boolean;
  /** Why conservation failed (empty when it holds). */
  readonly conservationProblems: string[];
  /** Lines sent, by path, and lines the sources rejected (never entered). */
  readonly sent: Record<string, number>;
  readonly rejectedAtSource: Array<{ line: number; reason: string }>;
  /** What the local run does not emulate, or did differently, for this run. */
  readonly notes: string[];
}

/** What the report is computed from. */
export interface ReportInputs {
  readonly recordsIn: number;
  readonly outputs: RunOutputs;
  /** EMF metric lines the functions printed. */
  readonly metrics: ReadonlyArray<Record<string, unknown>>;
  readonly wallTimeMs: number;
  readonly invocations: number;
  readonly functionErrors: number;
  readonly sent: Record<string, number>;
  readonly rejectedAtSource: Array<{ line: number; reason: string }>;
  readonly notes: string[];
}

/** Computes the report and the conservation check. */
export function buildReport(inputs: ReportInputs): RunReport {
  const { outputs, metrics } = inputs;
  const sum = (name: string) => metrics.reduce((n, m) => n + (typeof m[name] === 'number' ? (m[name] as number) : 0), 0);

  const existing = new Set(outputs.curated.map((o) => `${o.bucket}/${o.key}`));
  const inputIds: string[] = [];
  for (const m of outputs.lineage) {
    const manifest = parse(m.text) as { objects?: Array<{ bucket?: string; key: string; inputs?: Array<{ recordId: string }> }> } | undefined;
    for (const o of manifest?.objects ?? []) {
      // A manifest is written before its objects: one whose write failed lists an object that does not exist.
      if (!existing.has(`${o.bucket ?? m.bucket}/${o.key}`)) continue;
      for (const i of o.inputs ?? []) inputIds.push(i.recordId);
    }
  }
  const curatedInputs = new Set(inputIds);

  const curatedIds: string[] = [];
  let claimChecked = 0;
  for (const o of outputs.curated) {
    for (const line of linesOf(o.text)) {
      const record = parse(line) as { eventId?: unknown; recordId?: unknown; id?: unknown; claimCheck?: unknown } | undefined;
      if (record?.claimCheck) claimChecked++;
      curatedIds.push(String(record?.eventId ?? record?.recordId ?? record?.id ?? line));
    }
  }

  const quarantinedByReason: Record<string, number> = {};
  let quarantined = 0;
  for (const o of outputs.quarantine) {
    for (const line of linesOf(o.text)) {
      const reason = String((parse(line) as { reason?: unknown } | undefined)?.reason ?? 'UNKNOWN');
      quarantinedByReason[reason] = (quarantinedByReason[reason] ?? 0) + 1;
      quarantined++;
    }
  }

  const deadLetteredByQueue: Record<string, number> = {};
  for (const q of outputs.deadLetters) {
    // A Kinesis on-failure message describes a range of records; any other message is one record.
    const count = q.messages.reduce((n, m) => {
      const info = (parse(m.body) as { KinesisBatchInfo?: { batchSize?: number } } | undefined)?.KinesisBatchInfo;
      return n + (q.kind === 'on-failure' && info ? Number(info.batchSize ?? 0) : 1);
    }, 0);
    deadLetteredByQueue[q.path] = count;
  }
  const deadLettered = Object.values(deadLetteredByQueue).reduce((a, b) => a + b, 0);

  const dropped = sum('RecordsDropped');
  const duplicatesSuppressed = sum('DuplicatesSkipped');
  const freshness = metrics.flatMap((m) => (Array.isArray(m.FreshnessLagSeconds) ? (m.FreshnessLagSeconds as number[]) : []));

  const problems: string[] = [];
  const accounted = curatedInputs.size + quarantined + deadLettered + dropped + duplicatesSuppressed;
  if (accounted !== inputs.recordsIn) {
    problems.push(
      `records in (${inputs.recordsIn}) != curated (${curatedInputs.size}) + quarantined (${quarantined}) + dead-lettered (${deadLettered}) + dropped (${dropped}) + duplicates suppressed (${duplicatesSuppressed}) = ${accounted}`,
    );
  }
  if (inputIds.length !== curatedInputs.size) problems.push(`${inputIds.length - curatedInputs.size} input record(s) reached curated more than once`);
  const fanOut = curatedIds.length - curatedInputs.size;
  if (fanOut === 0) {
    const twice = curatedIds.length - new Set(curatedIds).size;
    if (twice > 0) problems.push(`${twice} event id(s) appear twice in curated`);
  }

  return {
    recordsIn: inputs.recordsIn,
    curated: curatedInputs.size,
    curatedRecords: curatedIds.length,
    fanOut,
    claimChecked,
    quarantined,
    quarantinedByReason,
    deadLettered,
    deadLetteredByQueue,
    dropped,
    duplicatesSuppressed,
    freshnessP50Ms: percentileMs(freshness, 0.5),
    freshnessP95Ms: percentileMs(freshness, 0.95),
    throughputPerSec: inputs.wallTimeMs > 0 ? Math.round((inputs.recordsIn / inputs.wallTimeMs) * 1000 * 10) / 10 : 0,
    wallTimeMs: inputs.wallTimeMs,
    invocations: inputs.invocations,
    functionErrors: inputs.functionErrors,
    conservationOk: problems.length === 0,
    conservationProblems: problems,
    sent: inputs.sent,
    rejectedAtSource: inputs.rejectedAtSource,
    notes: inputs.notes,
  };
}

/** The `q` percentile (nearest rank) of values in seconds, in milliseconds; null without values. */
export function percentileMs(seconds: readonly number[], q: number): number | null {
  if (seconds.length === 0) return null;
  const sorted = [...seconds].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank] * 1000);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
