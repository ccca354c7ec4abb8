/**
 * The report of a local run: where every record that entered ended (curated, quarantined by
 * reason, dead-lettered, dropped on purpose, suppressed as a duplicate), freshness, throughput,
 * the state machine executions, and the conservation check: records in = curated + quarantined +
 * dead-lettered + dropped + duplicates suppressed, and no record id twice in curated.
 *
 * Batch objects are accounted record by record when the transform processed them; the records of
 * an object that was rejected whole (quarantined as an object by the workflow, or sent to a DLQ)
 * are counted there, by the object's line count, except those a pass that did not finish (killed
 * by its timeout) had already stored: a user finds them in curated or quarantine, where they are
 * counted, and the rejected object stands for the rest. A whole-object quarantine copy (the object
 * next to `<key>.error.json` naming its source) is never read as quarantined records.
 */
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import { PipelineMetricName } from '../../lib/contract/metrics';
import { QUARANTINE_POINTER_SUFFIX } from '../../lib/contract/storage-layout';
import type { IamReport } from '../iam/authorizer';
import type { FaultReport } from '../faults/fault-report';
import { linesOf, type RunOutputs } from './outputs';
import { currentTableProblems, type CurrentTableHistory, type CurrentTableReport } from '../lakehouse/current-table-report';

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
  /** Invocations ended by their function's timeout (counted in `functionErrors`). */
  readonly functionTimeouts: number;
  readonly conservationOk: boolean;
  /** Why conservation failed (empty when it holds). */
  readonly conservationProblems: string[];
  /** Lines sent, by path, and lines the sources rejected (never entered). */
  readonly sent: Record<string, number>;
  readonly rejectedAtSource: Array<{ line: number; reason: string }>;
  /** Lines of the input, when known: every one is a record in, rejected at source, or put where no pipeline reads it. */
  readonly linesRead?: number;
  /** Lines rejected at source, by reason (the reason's text up to its first ':' after the API name). */
  readonly rejectedAtSourceByReason: Record<string, number>;
  /** State machine executions, in start order. */
  readonly executions: ExecutionReport[];
  /** The batch objects the run put, and where their records were accounted. */
  readonly batchObjects: BatchObjectOutcome[];
  /** Deliveries per input line: 1, or one per source with `--via each`. */
  readonly deliveriesPerLine: number;
  /** What ran at once: per mapping, per Distributed Map and per function. */
  readonly concurrency: ConcurrencyReport;
  /** What the local run does not emulate, or did differently, for this run. */
  readonly notes: string[];
  /** IAM: the calls the app's policies denied, and whether that cost records (then the run fails). */
  readonly iam?: IamOutcome;
  /** The faults injected (`--faults`) and how the run absorbed them. */
  readonly faults?: FaultReport;
  /** Records an event source delivered again after they were handled, counted once in the figures above. */
  readonly redelivered?: RedeliveredRecords;
  /** The current tables (lakehouse) after the run, checked against the curated objects. */
  readonly currentTables?: CurrentTableReport[];
  /** The current tables after each input, in a run of several inputs (e.g. events, then corrections). */
  readonly currentTableHistory?: CurrentTableHistory[];
  /**
   * Where exactly-once holds: `claims` (an idempotency store: the curated log holds each record
   * once) or `table` (only the current table does; a record delivered again in another batch is in
   * the curated log again, counted in `curatedAgain`).
   */
  readonly deduplication: 'claims' | 'table';
  /** With `deduplication: 'table'`: curated inputs written again by another delivery (also in records in). */
  readonly curatedAgain: number;
}

/** The IAM section of the report. */
export interface IamOutcome extends IamReport {
  /**
   * True when calls were refused and the run lost, dead-lettered or blocked records or had an
   * execution that did not succeed: the app as deployed would not work (`start` exits non-zero).
   */
  readonly failed: boolean;
  /** Why the run fails on IAM: what it cost, and the refused calls by caller, action and resource. */
  readonly failure?: string;
}

/** What ran at once in a run. */
export interface ConcurrencyReport {
  /** Each event source mapping that invoked its function: the most invocations at once, and its cap. */
  readonly mappings: MappingConcurrency[];
  /** Each Distributed Map state that ran: the most items at once (over its executions), and its cap. */
  readonly distributedMaps: DistributedMapConcurrency[];
  /** Each function that was invoked: the most invocations at once over all its callers, in how many environments. */
  readonly functions: FunctionConcurrencyReport[];
}

/** How many invocations an event source mapping ran at once. */
export interface MappingConcurrency {
  /** Construct path of the mapping. */
  readonly mapping: string;
  readonly kind: 'kinesis' | 'sqs';
  /** Construct paths of the stream or queue, and of the function. */
  readonly source: string;
  readonly function: string;
  /** The settings that make the cap (`2 shard(s) × ParallelizationFactor 2`, `MaximumConcurrency 10`). */
  readonly setting: string;
  /** The most invocations the mapping may run at once. */
  readonly cap: number;
  /** The most that ran at once. */
  readonly peak: number;
}

/** How many items a Distributed Map ran at once. */
export interface DistributedMapConcurrency {
  readonly stateMachine: string;
  readonly state: string;
  /** Its MaxConcurrency (0: not set; AWS then runs up to 10,000 at once). */
  readonly maxConcurrency: number;
  /** The most items the local run runs at once. */
  readonly cap: number;
  readonly peak: number;
  /** Items run, over every execution (and retry) of the Map. */
  readonly items: number;
}

/** How many invocations a function ran at once, from every caller. */
export interface FunctionConcurrencyReport {
  readonly function: string;
  /** Execution environments started (each runs one invocation at a time). */
  readonly environments: number;
  readonly peak: number;
  /** The most environments at once (its reserved concurrency, or the local bound). */
  readonly cap: number;
  /** Invocations that waited for a free environment (on AWS: throttled). */
  readonly waited: number;
}

/** One state machine execution, for the report. */
export interface ExecutionReport {
  /** Construct path of the state machine. */
  readonly stateMachine: string;
  readonly executionArn: string;
  /** `s3://bucket/key` when the input names an object, else the input (shortened). */
  readonly input: string;
  readonly status: string;
  readonly durationMs: number;
  readonly statesVisited: number;
  readonly mapIterations: number;
  readonly taskCalls: number;
  /** Events the execution put (`events:putEvents` tasks), with their `counts` and `error` when they carry them. */
  readonly events: Array<{ readonly detailType: string; readonly counts?: Record<string, unknown>; readonly error?: string }>;
  readonly error?: string;
  readonly cause?: string;
}

/** A batch object the run put into a bucket, and the transform's passes over its line ranges. */
export interface BatchObject {
  readonly bucket: string;
  readonly key: string;
  /** Records (non-empty lines) in it. */
  readonly records: number;
  /** Each successful transform invocation on a range of it, in completion order. */
  readonly passes: readonly BatchPass[];
}

/** One transform invocation on a line range of a batch object, with the summary it returned. */
export interface BatchPass {
  readonly firstLine: number;
  readonly lineCount?: number;
  readonly summary: {
    readonly recordsIn: number;
    readonly curated: number;
    readonly quarantined: number;
    readonly dropped: number;
    readonly duplicates: number;
    /** Records the pass could not store (left for a retry of the range). */
    readonly retried: number;
  };
}

/** Where a batch object's records were accounted. */
export interface BatchObjectOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
  /** Records the transform processed and stored somewhere (the last pass over each range, without its retried records). */
  readonly processed: number;
  /** Ranges processed more than once (a retried Map): their earlier passes are not counted again. */
  readonly rangesReprocessed: number;
  /**
   * Records outside every finished pass that are in curated or quarantine anyway (a pass killed by
   * its timeout had stored them): counted there, not again with the rejected object.
   */
  readonly storedByUnfinishedPasses: number;
  /** `records`: every record processed; `quarantined` / `dead-lettered`: the unprocessed ones, as an object; `unaccounted`: lost. */
  readonly accounting: 'records' | 'quarantined' | 'dead-lettered' | 'unaccounted';
  /** The object's quarantine reason or DLQ error, when rejected whole. */
  readonly reason?: string;
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
  /** Invocations ended by their timeout. @default 0 */
  readonly functionTimeouts?: number;
  readonly sent: Record<string, number>;
  readonly rejectedAtSource: Array<{ line: number; reason: string }>;
  /**
   * Lines of the input file. When given, conservation also requires lines = records in + rejected at
   * source + `linesNotRouted`, so a line the run neither sent nor counted as rejected is caught.
   */
  readonly linesRead?: number;
  /** Lines put into a bucket no state machine reads (the app has no batch route): not records in. */
  readonly linesNotRouted?: number;
  /** Deliveries per input line (`--via each`: one by each source). @default 1 */
  readonly deliveriesPerLine?: number;
  /** What ran at once. */
  readonly concurrency?: ConcurrencyReport;
  readonly notes: string[];
  readonly executions?: ExecutionReport[];
  readonly batchObjects?: BatchObject[];
  /** What the IAM checks saw. */
  readonly iam?: IamReport;
  readonly faults?: FaultReport;
  /**
   * Records an event source delivered again after a delivery had handled them (Kinesis redelivers
   * everything from the lowest failed record on): the runtime counted them again, as dropped or as
   * duplicates, and those in a dead-letter range are dead-lettered as well. Counted once here.
   */
  readonly redelivered?: RedeliveredRecords;
  /** The current tables after the run: conservation extends to them (see local/lakehouse/current-table-report.ts). */
  readonly currentTables?: CurrentTableReport[];
  /** The current tables after each input of a run of several. */
  readonly currentTableHistory?: CurrentTableHistory[];
  /**
   * `table` when the pipelines claim nothing (`deduplication: 'table'`): a record delivered again
   * in another batch reaches the curated log again, which is then counted, not a problem; the
   * current tables' checks hold exactly-once. @default 'claims'
   */
  readonly deduplication?: 'claims' | 'table';
}

/** Records counted again because an event source delivered them again after handling (see {@link ReportInputs.redelivered}). */
export interface RedeliveredRecords {
  /** Dropped again (the runtime's RecordsDropped counted them twice). */
  readonly dropped: number;
  /** Skipped as duplicates of their own earlier delivery (DuplicatesSkipped counted them). */
  readonly duplicates: number;
  /** In a dead-letter range after a delivery had handled them, by DLQ construct path. */
  readonly deadLetteredByQueue: Readonly<Record<string, number>>;
}

/** Computes the report and the conservation check. */
export function buildReport(inputs: ReportInputs): RunReport {
  const { outputs, metrics } = inputs;
  const sum = (name: PipelineMetricName) => metrics.reduce((n, m) => n + (typeof m[name] === 'number' ? (m[name] as number) : 0), 0);

  const existing = new Set(outputs.curated.map((o) => `${o.bucket}/${o.key}`));
  // The batch-object lines stored record by record (curated or quarantined), by object.
  const stored = new StoredLines();
  const inputIds: string[] = [];
  for (const m of outputs.lineage) {
    const manifest = parse(m.text) as
      | { objects?: Array<{ bucket?: string; key: string; inputs?: Array<{ recordId: string; version?: string; reprocessRun?: string; source?: unknown }> }> }
      | undefined;
    for (const o of manifest?.objects ?? []) {
      // A manifest is written before its objects: one whose write failed lists an object that does not exist.
      if (!existing.has(`${o.bucket ?? m.bucket}/${o.key}`)) continue;
      for (const i of o.inputs ?? []) {
        // A versioned input is the record (id, version): another version of an id is another input;
        // a reprocess run's re-derivation of a record is the run's own.
        inputIds.push(i.version === undefined && i.reprocessRun === undefined ? i.recordId : JSON.stringify([i.recordId, i.version ?? null, i.reprocessRun ?? null]));
        stored.add(i.source);
      }
    }
  }
  const curatedInputs = new Set(inputIds);

  const curatedIds: string[] = [];
  let claimChecked = 0;
  for (const o of outputs.curated) {
    for (const line of linesOf(o.text)) {
      const record = parse(line) as (Record<string, unknown> & { claimCheck?: unknown }) | undefined;
      if (record?.claimCheck) claimChecked++;
      curatedIds.push(curatedLineIdentity(record, line));
    }
  }

  // Whole objects quarantined by a workflow: `<copy>` and `<copy>.error.json` naming the source object.
  const objectCopies = new Set<string>();
  const quarantinedObjects = new Map<string, string>();
  for (const o of outputs.quarantine) {
    if (!o.key.endsWith(SIDECAR)) continue;
    const sidecar = parse(o.text) as { source?: { bucket?: unknown; key?: unknown }; reason?: unknown } | undefined;
    if (typeof sidecar?.source?.key !== 'string') continue;
    objectCopies.add(`${o.bucket}/${o.key}`).add(`${o.bucket}/${o.key.slice(0, -SIDECAR.length)}`);
    quarantinedObjects.set(`${String(sidecar.source.bucket)}/${sidecar.source.key}`, String(sidecar.reason ?? 'UNKNOWN'));
  }

  const quarantinedByReason: Record<string, number> = {};
  let quarantined = 0;
  for (const o of outputs.quarantine) {
    if (objectCopies.has(`${o.bucket}/${o.key}`)) continue;
    for (const line of linesOf(o.text)) {
      const entry = parse(line) as { reason?: unknown; source?: unknown } | undefined;
      stored.add(entry?.source);
      const reason = String(entry?.reason ?? 'UNKNOWN');
      quarantinedByReason[reason] = (quarantinedByReason[reason] ?? 0) + 1;
      quarantined++;
    }
  }

  const batchObjects = inputs.batchObjects ?? [];
  const isBatchObject = (o: { bucket: string; key: string } | undefined) => o !== undefined && batchObjects.some((b) => b.bucket === o.bucket && b.key === o.key);
  const deadLetteredByQueue: Record<string, number> = {};
  const deadLetteredObjects = new Map<string, { path: string; error: string }>();
  for (const q of outputs.deadLetters) {
    // A Kinesis on-failure message describes a range of records; a message naming a batch object
    // stands for its unprocessed records (counted below); any other message is one record.
    const count = q.messages.reduce((n, m) => {
      const object = objectOfMessage(m.body);
      if (object && isBatchObject(object)) {
        deadLetteredObjects.set(`${object.bucket}/${object.key}`, { path: q.path, error: object.error });
        return n;
      }
      const info = (parse(m.body) as { KinesisBatchInfo?: { batchSize?: number } } | undefined)?.KinesisBatchInfo;
      return n + (q.kind === 'on-failure' && info ? Number(info.batchSize ?? 0) : 1);
    }, 0);
    deadLetteredByQueue[q.path] = count - (inputs.redelivered?.deadLetteredByQueue[q.path] ?? 0);
  }

  const problems: string[] = [];
  // A range processed again (its Map retried) is re-counted by the runtime's metrics: its earlier
  // passes' drops count again, and what they curated or quarantined comes back as duplicates.
  const rerun = { dropped: 0, duplicates: 0 };
  const batchOutcomes: BatchObjectOutcome[] = batchObjects.map((b) => {
    const id = `${b.bucket}/${b.key}`;
    const ranges = new Map<string, BatchPass[]>();
    for (const pass of b.passes) {
      const range = `${pass.firstLine}:${pass.lineCount ?? '*'}`;
      ranges.set(range, [...(ranges.get(range) ?? []), pass]);
    }
    let processed = 0;
    let rangesReprocessed = 0;
    for (const passes of ranges.values()) {
      const last = passes[passes.length - 1].summary;
      processed += last.recordsIn - last.retried;
      if (passes.length > 1) rangesReprocessed++;
      for (const earlier of passes.slice(0, -1)) {
        rerun.dropped += earlier.summary.dropped;
        rerun.duplicates += earlier.summary.duplicates + earlier.summary.curated + earlier.summary.quarantined;
      }
    }
    // Lines a killed pass stored before its timeout are where a user finds them, counted there.
    const finished = [...ranges.values()].map((passes) => passes[passes.length - 1]);
    const inFinished = (line: number) => finished.some((p) => line >= p.firstLine && (p.lineCount === undefined || line < p.firstLine + p.lineCount));
    const storedByUnfinishedPasses = [...stored.of(b.bucket, b.key)].filter((line) => !inFinished(line)).length;
    const base = { bucket: b.bucket, key: b.key, records: b.records, processed, rangesReprocessed, storedByUnfinishedPasses };
    const unprocessed = b.records - processed - storedByUnfinishedPasses;
    if (unprocessed <= 0) return { ...base, accounting: 'records' };
    const reason = quarantinedObjects.get(id);
    if (reason !== undefined) {
      quarantined += unprocessed;
      quarantinedByReason[`${reason} (object)`] = (quarantinedByReason[`${reason} (object)`] ?? 0) + unprocessed;
      return { ...base, accounting: 'quarantined', reason };
    }
    const dlq = deadLetteredObjects.get(id);
    if (dlq) {
      deadLetteredByQueue[dlq.path] = (deadLetteredByQueue[dlq.path] ?? 0) + unprocessed;
      return { ...base, accounting: 'dead-lettered', reason: dlq.error };
    }
    problems.push(`s3://${id}: ${unprocessed} of its ${b.records} record(s) were not processed or not stored, and the object is neither quarantined nor dead-lettered`);
    return { ...base, accounting: 'unaccounted' };
  });
  const deadLettered = Object.values(deadLetteredByQueue).reduce((a, b) => a + b, 0);

  const dropped = sum(PipelineMetricName.RECORDS_DROPPED) - rerun.dropped - (inputs.redelivered?.dropped ?? 0);
  const duplicatesSuppressed = sum(PipelineMetricName.DUPLICATES_SKIPPED) - rerun.duplicates - (inputs.redelivered?.duplicates ?? 0);
  const freshness = metrics.flatMap((m) => {
    const lags = m[PipelineMetricName.FRESHNESS_LAG_SECONDS];
    return Array.isArray(lags) ? (lags as number[]) : [];
  });

  // Without claims a record delivered again in another batch is curated again (as documented): counted, not lost.
  const tableMode = inputs.deduplication === 'table';
  const curatedAgain = tableMode ? inputIds.length - curatedInputs.size : 0;
  const accounted = curatedInputs.size + curatedAgain + quarantined + deadLettered + dropped + duplicatesSuppressed;
  if (accounted !== inputs.recordsIn) {
    problems.push(
      `records in (${inputs.recordsIn}) != curated (${curatedInputs.size}) + ${tableMode ? `curated again (${curatedAgain}) + ` : ''}quarantined (${quarantined}) + dead-lettered (${deadLettered}) + dropped (${dropped}) + duplicates suppressed (${duplicatesSuppressed}) = ${accounted}`,
    );
  }
  const rejected = inputs.rejectedAtSource.length;
  const perLine = inputs.deliveriesPerLine ?? 1;
  if (inputs.linesRead !== undefined && inputs.linesRead * perLine !== inputs.recordsIn + rejected + (inputs.linesNotRouted ?? 0)) {
    problems.push(
      `input lines (${inputs.linesRead}${perLine > 1 ? ` × ${perLine} sources` : ''}) != records in (${inputs.recordsIn}) + rejected at source (${rejected})` +
        `${inputs.linesNotRouted ? ` + put where no pipeline reads them (${inputs.linesNotRouted})` : ''}`,
    );
  }
  if (!tableMode && inputIds.length !== curatedInputs.size) problems.push(`${inputIds.length - curatedInputs.size} input record(s) reached curated more than once`);
  const fanOut = curatedIds.length - inputIds.length;
  if (fanOut === 0 && !tableMode) {
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
    functionTimeouts: inputs.functionTimeouts ?? 0,
    conservationOk: problems.length + currentTableProblems(inputs.currentTables ?? []).length === 0,
    conservationProblems: [...problems, ...currentTableProblems(inputs.currentTables ?? [])],
    sent: inputs.sent,
    rejectedAtSource: inputs.rejectedAtSource,
    linesRead: inputs.linesRead,
    rejectedAtSourceByReason: countByReason(inputs.rejectedAtSource),
    executions: inputs.executions ?? [],
    batchObjects: batchOutcomes,
    deliveriesPerLine: perLine,
    concurrency: inputs.concurrency ?? { mappings: [], distributedMaps: [], functions: [] },
    notes: inputs.notes,
    iam: inputs.iam && iamOutcome(inputs.iam, problems, deadLettered, inputs.executions ?? []),
    ...(inputs.faults ? { faults: inputs.faults } : {}),
    ...(inputs.redelivered && hasAny(inputs.redelivered) ? { redelivered: inputs.redelivered } : {}),
    ...(inputs.currentTables && inputs.currentTables.length > 0 ? { currentTables: inputs.currentTables } : {}),
    ...(inputs.currentTableHistory && inputs.currentTableHistory.length > 0 ? { currentTableHistory: inputs.currentTableHistory } : {}),
    deduplication: inputs.deduplication ?? 'claims',
    curatedAgain,
  };
}

/**
 * What makes a curated line the same record as another: its event id; for a line of a pipeline
 * with a current table (it has `_etl_key`), whose ids repeat across versions and deletes, the line
 * without the columns that differ per delivery (`_etl_processed_at`, `_etl_position`).
 */
function curatedLineIdentity(record: Record<string, unknown> | undefined, line: string): string {
  if (record && typeof record === 'object' && LAKEHOUSE_COLUMNS.key in record) {
    const { [LAKEHOUSE_COLUMNS.processedAt]: _processedAt, [LAKEHOUSE_COLUMNS.position]: _position, ...rest } = record;
    return JSON.stringify(rest);
  }
  return String(record?.eventId ?? record?.recordId ?? record?.id ?? line);
}

/** The IAM verdict: refused calls fail the run when records were lost, dead-lettered or blocked, or an execution failed. */
function iamOutcome(iam: IamReport, problems: readonly string[], deadLettered: number, executions: readonly ExecutionReport[]): IamOutcome {
  const refused = iam.denied.filter((d) => d.enforced);
  const costs: string[] = [];
  if (problems.length > 0) costs.push('records were lost or duplicated (conservation failed)');
  if (deadLettered > 0) costs.push(`${deadLettered} record(s) were dead-lettered`);
  if (iam.blocked.length > 0) costs.push(`${iam.blocked.length} event source mapping(s) stopped polling, their records left in the source`);
  const unsuccessful = executions.filter((e) => e.status !== 'SUCCEEDED').length;
  if (unsuccessful > 0) costs.push(`${unsuccessful} execution(s) did not succeed`);
  if (refused.length === 0 || costs.length === 0) return { ...iam, failed: false };
  const calls = refused.map((d) => `${d.caller}: ${d.action} on ${d.resource} (${d.count} call${d.count === 1 ? '' : 's'})`);
  return { ...iam, failed: true, failure: `${costs.join('; ')}, and the app's policies refused ${calls.join('; ')}` };
}

const SIDECAR = QUARANTINE_POINTER_SUFFIX;

/** Lines of batch objects stored record by record, from the `source` positions of lineage inputs and quarantine entries. */
class StoredLines {
  private readonly lines = new Map<string, Set<number>>();

  /** Adds a position when it is a line of an S3 object (other sources are not batch objects). */
  add(source: unknown): void {
    const s = source as { kind?: unknown; bucket?: unknown; key?: unknown; line?: unknown } | undefined;
    if (s?.kind !== 's3' || typeof s.bucket !== 'string' || typeof s.key !== 'string' || typeof s.line !== 'number') return;
    const id = `${s.bucket}/${s.key}`;
    const set = this.lines.get(id) ?? new Set<number>();
    this.lines.set(id, set.add(s.line));
  }

  /** The stored lines of an object. */
  of(bucket: string, key: string): ReadonlySet<number> {
    return this.lines.get(`${bucket}/${key}`) ?? new Set();
  }
}

function hasAny(r: RedeliveredRecords): boolean {
  return r.dropped + r.duplicates + Object.values(r.deadLetteredByQueue).reduce((a, b) => a + b, 0) > 0;
}

/**
 * The object a dead-letter message is about: `{ bucket, key, error? }` (a workflow's own DLQ
 * message, or a start event's transformed input), or `{ input: "<json with bucket and key>" }`
 * (a timed-out or aborted execution).
 */
function objectOfMessage(body: string): { bucket: string; key: string; error: string } | undefined {
  const message = parse(body) as { bucket?: unknown; key?: unknown; error?: unknown; input?: unknown } | undefined;
  if (!message || typeof message !== 'object') return undefined;
  if (typeof message.bucket === 'string' && typeof message.key === 'string') {
    return { bucket: message.bucket, key: message.key, error: typeof message.error === 'string' ? message.error : 'undeliverable' };
  }
  const input = typeof message.input === 'string' ? (parse(message.input) as { bucket?: unknown; key?: unknown } | undefined) : undefined;
  if (typeof input?.bucket === 'string' && typeof input.key === 'string') {
    return { bucket: input.bucket, key: input.key, error: typeof message.error === 'string' ? message.error : 'abandoned' };
  }
  return undefined;
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

/** Rejections counted by reason: the API and error code (`SendMessage: InvalidMessageContents`), not the message. */
function countByReason(rejected: ReadonlyArray<{ reason: string }>): Record<string, number> {
  const counts: Record<string, number> = Object.create(null);
  for (const { reason } of rejected) {
    const key = reason.split(':').slice(0, 2).join(':').trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
