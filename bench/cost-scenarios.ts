/**
 * The cost figures BENCHMARKS.md reports: the three contenders as shipped (library defaults, the
 * HTTP-stub batch-100 measurements), the table-size and arrival-rate sensitivity of table mode,
 * and the design changes that move it (measured at batch 1,000). Pure: test/bench/cost-scenarios.test.ts.
 */
import { costPerMillion, WORKLOAD, type ContenderMeasure, type CostBreakdown, type Inventory, type Workload } from './cost';
import { PRICES } from './cost-prices';
import type { ThroughputCase } from './throughput';

/** One row of the sensitivity table: table mode against the alternative at a table size and rate, as shipped and with the design changes. */
export interface SensitivityRow {
  readonly tableRows: number;
  readonly recordsPerSecond: number;
  readonly table: number;
  readonly alternative: number;
  readonly ratio: number;
  readonly redesign?: { readonly table: number; readonly alternative: number; readonly ratio: number };
}

/** A set of priced contenders under one workload. */
export interface CostScenario {
  readonly basis: string;
  readonly workload: Workload;
  readonly table: CostBreakdown;
  readonly claims: CostBreakdown;
  readonly alternative: CostBreakdown;
}

/** Everything the report prints about cost. */
export interface CostResults {
  readonly prices: Record<string, number>;
  readonly inventory: Inventory;
  readonly asShipped: CostScenario;
  readonly sensitivity: SensitivityRow[];
  /** Batch 1,000, raw batches archived by the transform, 1,000 objects per MERGE. */
  readonly redesign?: CostScenario;
  /** Table mode / alternative with on-demand Kinesis instead of provisioned shards (as shipped otherwise). */
  readonly onDemandKinesisRatio: number;
}

/** The three contenders' measurements in one throughput case (HTTP-stubbed SDK clients). */
export function measuresOf(c: ThroughputCase): Record<'table' | 'claims' | 'alternative', ContenderMeasure> {
  return {
    table: { recordsPerSecond: c.tableVsPowertools.medianA, perRecord: c.perRecord.table, emfBytesPerBatch: c.emfBytesPerBatch.table },
    claims: { recordsPerSecond: c.runtimeVsPowertools.medianA, perRecord: c.perRecord.runtime, emfBytesPerBatch: c.emfBytesPerBatch.runtime },
    alternative: { recordsPerSecond: c.runtimeVsPowertools.medianB, perRecord: c.perRecord.powertools, emfBytesPerBatch: c.emfBytesPerBatch.powertools },
  };
}

function scenario(basis: string, c: ThroughputCase, inventory: Inventory, workload: Workload): CostScenario {
  const m = measuresOf(c);
  return {
    basis,
    workload,
    table: costPerMillion('table', m.table, inventory, workload),
    claims: costPerMillion('claims', m.claims, inventory, workload),
    alternative: costPerMillion('alternative', m.alternative, inventory, workload),
  };
}

/** On-demand Kinesis for a million records: data in and out, and the stream-hours they take. */
function onDemandKinesis(w: Workload): number {
  const gb = (w.records * Math.ceil(w.recordBytes / 1024) * 1024) / 1024 ** 3;
  const hours = w.records / w.recordsPerSecond / 3600;
  return gb * (PRICES.kinesisOnDemandIngestGb + PRICES.kinesisOnDemandRetrievalGb) + hours * PRICES.kinesisOnDemandStreamHour;
}

/** The cost results from the throughput cases at batch 100 and 1,000 (HTTP stub), the inventory and the measured gzip ratio. */
export function costScenarios(http100: ThroughputCase, http1000: ThroughputCase | undefined, inventory: Inventory, gzipRatio: number): CostResults {
  const base: Workload = { ...WORKLOAD, gzipRatio, batchSize: http100.batchSize };
  const asShipped = scenario(`${http100.label}; library defaults (batch ${base.batchSize}, Firehose archive, ${base.maxObjectsPerMerge} objects per MERGE)`, http100, inventory, base);
  const redesignWorkload: Workload | undefined = http1000 ? { ...base, batchSize: http1000.batchSize, archive: 'transform', maxObjectsPerMerge: 1000 } : undefined;
  const pair = (c: ThroughputCase, w: Workload) => {
    const m = measuresOf(c);
    const table = costPerMillion('table', m.table, inventory, w).total;
    const alternative = costPerMillion('alternative', m.alternative, inventory, w).total;
    return { table, alternative, ratio: Math.round((table / alternative) * 1000) / 1000 };
  };
  const sensitivity: SensitivityRow[] = [];
  for (const tableRows of [10_000_000, 100_000_000]) {
    for (const recordsPerSecond of [100, 1000, 10_000]) {
      const shipped = pair(http100, { ...base, tableRows, recordsPerSecond });
      const changed = http1000 && redesignWorkload ? pair(http1000, { ...redesignWorkload, tableRows, recordsPerSecond }) : undefined;
      sensitivity.push({ tableRows, recordsPerSecond, ...shipped, ...(changed ? { redesign: changed } : {}) });
    }
  }
  const kinesisShift = (b: CostBreakdown) => b.total - b.items.filter((i) => i.service === 'Kinesis').reduce((s, i) => s + i.usd, 0) + onDemandKinesis(base);
  const redesign =
    http1000 && redesignWorkload
      ? scenario(`${http1000.label}; batch ${http1000.batchSize} (maxBatchingWindow 5 s), raw batches archived by the transform, 1,000 objects per MERGE`, http1000, inventory, redesignWorkload)
      : undefined;
  return {
    prices: { ...PRICES },
    inventory,
    asShipped,
    sensitivity,
    redesign,
    onDemandKinesisRatio: Math.round((kinesisShift(asShipped.table) / kinesisShift(asShipped.alternative)) * 1000) / 1000,
  };
}
