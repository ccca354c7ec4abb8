/**
 * 4. Modelled cost per million 1 KB records, all in: every service a pipeline bills, for the
 * library in both deduplication modes and for the usual alternative, from the calls, units and
 * CPU time measured in the throughput run, the reference stack's inventory (alarms, keys) and
 * the stated workload assumptions ({@link WORKLOAD}). Pure arithmetic: test/bench/cost.test.ts.
 */
import { PRICES } from './cost-prices';
import type { PerRecord } from './throughput';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const SECONDS_PER_MONTH = 30 * 86_400;

/** What the model assumes of the workload and of AWS (each stated in BENCHMARKS.md). */
export interface Workload {
  /** Records per million-record unit (the model's denominator). */
  readonly records: number;
  readonly recordBytes: number;
  /** Sustained arrival rate: turns per-hour, per-day and per-month charges into per-record ones. */
  readonly recordsPerSecond: number;
  /** Kinesis batch size of the transform's event source mapping (the library's default). */
  readonly batchSize: number;
  readonly memoryMb: number;
  /** Lambda gives a full vCPU at 1,769 MB: CPU-bound time at `memoryMb` is this much longer. */
  readonly cpuScale: number;
  /** In-region round trips (typical, assumed): DynamoDB item call, batch call, S3 PUT. */
  readonly dynamodbItemMs: number;
  readonly dynamodbBatchMs: number;
  readonly s3PutMs: number;
  /** Provisioned shards are sized for this share of a shard's 1 MB/s or 1,000 records/s. */
  readonly shardUtilisation: number;
  /** gzip ratio of curated JSON Lines (measured on the example generator's unpadded events). */
  readonly gzipRatio: number;
  /** Rows in the current table when a MERGE runs: its join reads the whole table. */
  readonly tableRows: number;
  /** Bytes the MERGE reads per table row: key and order columns, Parquet (assumed). */
  readonly scanBytesPerRow: number;
  /** Bytes of a whole row in the table's Parquet files (assumed; storage and OPTIMIZE). */
  readonly tableRowBytes: number;
  readonly mergeIntervalMinutes: number;
  /** `currentTable.maxObjectsPerMerge`: curated objects per MERGE statement. */
  readonly maxObjectsPerMerge: number;
  /** How raw stream records are archived: Firehose (the default), or one object per batch written by the transform. */
  readonly archive: 'firehose' | 'transform' | 'none';
  /** S3 writes of one MERGE commit: data, delete and stats files, manifest, manifest list, metadata (assumed). */
  readonly icebergPutsPerStatement: number;
  /** Athena reads Parquet with ranged GETs; one GET per this many bytes scanned (assumed). */
  readonly bytesPerGet: number;
  /** Glue Data Catalog requests per Athena statement (GetDatabase, GetTable, UpdateTable; assumed). */
  readonly glueRequestsPerStatement: number;
  /** KMS requests per S3 request with S3 Bucket Keys (assumed: bucket keys cut them by about 99 %). */
  readonly kmsRequestsPerS3Request: number;
  /** Log bytes per invocation besides the EMF line: the handler's summary line and Lambda's START/END/REPORT. */
  readonly logBytesPerBatch: { readonly library: number; readonly alternative: number };
  /** Months the stored bytes are kept (storage per month kept × this). */
  readonly storageMonths: number;
  /** Merge steps and operations functions: memory and billed time per invocation (assumed). */
  readonly smallFunctionMb: number;
  readonly smallFunctionMs: number;
}

/** The reference stack's workload and assumptions. */
export const WORKLOAD: Workload = {
  records: 1_000_000,
  recordBytes: 1024,
  recordsPerSecond: 1000,
  batchSize: 100,
  memoryMb: 1024,
  cpuScale: 1769 / 1024,
  dynamodbItemMs: 5,
  dynamodbBatchMs: 10,
  s3PutMs: 25,
  shardUtilisation: 0.5,
  gzipRatio: 5,
  tableRows: 10_000_000,
  scanBytesPerRow: 100,
  tableRowBytes: 300,
  mergeIntervalMinutes: 15,
  maxObjectsPerMerge: 200,
  archive: 'firehose',
  icebergPutsPerStatement: 6,
  bytesPerGet: 8 * MIB,
  glueRequestsPerStatement: 4,
  kmsRequestsPerS3Request: 0.01,
  logBytesPerBatch: { library: 1100, alternative: 600 },
  storageMonths: 1,
  smallFunctionMb: 256,
  smallFunctionMs: 300,
};

/** The reference stack's resources the model prices per month (read from its synthesized template). */
export interface Inventory {
  /** Metric alarm metrics (an anomaly-detection alarm counts 3: the metric and its band). */
  readonly alarmMetrics: number;
  readonly compositeAlarms: number;
  readonly kmsKeys: number;
  /** Custom metrics the pipeline publishes (EMF metric × dimension set). */
  readonly customMetrics: number;
  /** Scheduled operations function invocations per month (watermark and cost publishers). */
  readonly scheduledInvocationsPerMonth: number;
}

/** What the throughput run measured for one contender. */
export interface ContenderMeasure {
  /** Single-core records/s with the whole SDK client running (the CPU a batch costs). */
  readonly recordsPerSecond: number;
  readonly perRecord: PerRecord;
  readonly emfBytesPerBatch: number;
}

/** Who is priced: the library in each deduplication mode, or the usual alternative. */
export type Contender = 'table' | 'claims' | 'alternative';

/** One priced line: a service, what is billed and the quantity behind it. */
export interface CostItem {
  readonly service: string;
  readonly item: string;
  readonly usd: number;
  readonly quantity: string;
}

/** The cost of a million records for one contender, by line. */
export interface CostBreakdown {
  readonly contender: Contender;
  readonly items: CostItem[];
  readonly total: number;
  readonly billedMsPerBatch: number;
  /** MERGE statements per million records and the bytes each scans. */
  readonly merge?: { readonly statements: number; readonly bytesPerStatement: number };
}

/** Conditional claim PutItems the idempotency store keeps in flight at once (lambda/runtime/idempotency-store.ts). */
const CLAIM_PUTS_IN_FLIGHT = 32;

/**
 * Sequential round trips per batch. Claims: 1 BatchGetItem, then the conditional PutItems 32 at a
 * time, then the lineage PUT, then the curated PUTs in parallel. Table: the lineage PUT, then the
 * curated PUTs. Alternative: records in parallel, each PutItem then UpdateItem, then one PUT.
 */
export function waitsPerBatchMs(contender: Contender, w: Workload = WORKLOAD): number {
  if (contender === 'claims') return w.dynamodbBatchMs + Math.ceil(w.batchSize / CLAIM_PUTS_IN_FLIGHT) * w.dynamodbItemMs + w.s3PutMs * 2;
  if (contender === 'table') return w.s3PutMs * 2;
  return w.dynamodbItemMs * 2 + w.s3PutMs;
}

/** Rounds dollars to 1/100 of a cent for tables and JSON. */
export const usd = (x: number): number => Math.round(x * 1e6) / 1e6;

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 1000) / 1000));

/** The MERGE statements per million records and the bytes each scans (incoming objects + the table's join columns). */
export function mergeLoad(curatedObjects: number, w: Workload = WORKLOAD): { statements: number; bytesPerStatement: number; ticks: number } {
  const ticks = w.records / (w.recordsPerSecond * w.mergeIntervalMinutes * 60);
  const objectsPerTick = curatedObjects / ticks;
  const statementsPerTick = Math.max(1, Math.ceil(objectsPerTick / w.maxObjectsPerMerge));
  const incoming = (Math.min(objectsPerTick, w.maxObjectsPerMerge) * (w.records / curatedObjects) * w.recordBytes) / w.gzipRatio;
  const bytesPerStatement = Math.max(10 * MIB, incoming + w.tableRows * w.scanBytesPerRow);
  return { statements: statementsPerTick * ticks, bytesPerStatement, ticks };
}

/** Cost per {@link Workload.records} records for one contender. */
export function costPerMillion(contender: Contender, m: ContenderMeasure, inventory: Inventory, w: Workload = WORKLOAD): CostBreakdown {
  const p = PRICES;
  const items: CostItem[] = [];
  const add = (service: string, item: string, dollars: number, quantity: string) => items.push({ service, item, usd: usd(dollars), quantity });
  const library = contender !== 'alternative';
  const batches = w.records / w.batchSize;
  const months = w.records / (w.recordsPerSecond * SECONDS_PER_MONTH);
  const days = w.records / (w.recordsPerSecond * 86_400);

  // Lambda: the transform (measured CPU + the batch's round trips), then the small functions.
  const cpuMs = (w.batchSize / m.recordsPerSecond) * 1000 * w.cpuScale;
  const billedMsPerBatch = Math.ceil(cpuMs + waitsPerBatchMs(contender, w));
  const gbSeconds = batches * (billedMsPerBatch / 1000) * (w.memoryMb / 1024);
  add('Lambda', 'transform GB-seconds', gbSeconds * p.lambdaArmGbSecond, `${fmt(batches)} batches × ${billedMsPerBatch} ms × ${w.memoryMb / 1024} GB`);
  add('Lambda', 'transform requests', batches * p.lambdaRequest, `${fmt(batches)} invocations`);

  // S3 writes by the transform (measured: curated objects + lineage manifest per batch).
  const transformPuts = m.perRecord.s3Puts * w.records;
  const rawPuts = library && w.archive === 'transform' ? batches : 0;
  add('S3', 'PUTs by the transform', (transformPuts + rawPuts) * p.s3PutRequest, `${fmt(transformPuts + rawPuts)} PUTs${rawPuts ? ` (incl. ${fmt(rawPuts)} raw batch objects)` : ''}`);
  add('S3', 'GETs and HEADs by the transform', m.perRecord.byOperation.HeadObject ? m.perRecord.byOperation.HeadObject * w.records * p.s3GetRequest : 0, `${fmt((m.perRecord.byOperation.HeadObject ?? 0) * w.records)} requests`);
  const logGb = (w.records * w.recordBytes) / w.gzipRatio / GIB;
  const storedGb = logGb * (library && w.archive !== 'none' ? 2 : 1) + (library ? (w.records * w.tableRowBytes) / GIB : 0);
  add('S3', `storage, ${w.storageMonths} month(s) kept`, storedGb * w.storageMonths * p.s3StorageGbMonth, `${fmt(storedGb)} GB (${library ? `curated log${w.archive !== 'none' ? ', raw archive' : ''} and current table` : 'curated objects'})`);

  // DynamoDB: measured units (claims and the alternative's idempotency records).
  add('DynamoDB', 'write and read request units', m.perRecord.writeUnits * w.records * p.dynamoDbWriteUnit + m.perRecord.readUnits * w.records * p.dynamoDbReadUnit, `${fmt(m.perRecord.writeUnits * w.records)} WRU, ${fmt(m.perRecord.readUnits * w.records)} RRU`);

  // Kinesis, provisioned (the same for every contender).
  const shards = Math.max(1, Math.max(w.recordsPerSecond / 1000, (w.recordsPerSecond * w.recordBytes) / MIB) / w.shardUtilisation);
  const shardHours = (shards * (w.records / w.recordsPerSecond)) / 3600;
  add('Kinesis', 'shard-hours', shardHours * p.kinesisShardHour, `${fmt(shardHours)} shard-hours (${fmt(shards)} shards at ${w.shardUtilisation * 100} %)`);
  const payloadUnits = w.records * Math.ceil(w.recordBytes / (25 * 1024));
  add('Kinesis', 'PUT payload units', payloadUnits * p.kinesisPutPayloadUnit, `${fmt(payloadUnits)} units`);

  // CloudWatch: logs per batch, and the monthly alarms and metrics amortised over the records.
  const logBytes = batches * (m.emfBytesPerBatch + (library ? w.logBytesPerBatch.library : w.logBytesPerBatch.alternative));
  add('CloudWatch', 'Logs ingested (EMF + log lines)', (logBytes / GIB) * p.logsIngestGb, `${fmt(logBytes / MIB)} MB`);
  const metrics = library ? inventory.customMetrics : 2;
  add('CloudWatch', 'custom metrics (monthly, amortised)', metrics * p.cloudWatchMetricMonth * months, `${metrics} metrics`);

  let merge: CostBreakdown['merge'];
  if (library) {
    add('CloudWatch', 'alarms (monthly, amortised)', (inventory.alarmMetrics * p.cloudWatchAlarmMetricMonth + inventory.compositeAlarms * p.cloudWatchCompositeAlarmMonth) * months, `${inventory.alarmMetrics} alarm metrics, ${inventory.compositeAlarms} composite`);
    if (w.archive === 'firehose') {
      const billedGb = (w.records * Math.ceil(w.recordBytes / 5120) * 5120) / GIB;
      add('Firehose', 'raw archive ingestion (5 KB per record)', billedGb * p.firehoseIngestGb, `${fmt(billedGb)} GB billed for ${fmt((w.records * w.recordBytes) / GIB)} GB`);
    }
    // The current table: one SQS message per curated object, the merge state machine, Athena.
    const curatedObjects = transformPuts - batches;
    const load = mergeLoad(curatedObjects, w);
    merge = { statements: load.statements, bytesPerStatement: load.bytesPerStatement };
    add('SQS', 'merge queue (send, receive and delete per object)', curatedObjects * 1.2 * p.sqsRequest, `${fmt(curatedObjects)} objects × 1.2 requests (receive and delete in tens)`);
    const transitions = load.statements * 6 + load.ticks * 2 + days * 6;
    add('Step Functions', 'merge and maintenance transitions', transitions * p.stepFunctionsTransition, `${fmt(transitions)} transitions (6 per MERGE loop, 2 per tick, 6 per daily maintenance; no batch workflow on a stream)`);
    const mergeBytes = load.statements * load.bytesPerStatement;
    add('Athena', `MERGE (table of ${fmt(w.tableRows / 1e6)}M rows)`, (mergeBytes / 1024 ** 4) * p.athenaTbScanned, `${fmt(load.statements)} statements × ${fmt(load.bytesPerStatement / MIB)} MB`);
    const maintenanceBytes = w.records * w.tableRowBytes + days * 2 * 10 * MIB;
    add('Athena', 'OPTIMIZE and VACUUM (daily)', (maintenanceBytes / 1024 ** 4) * p.athenaTbScanned, `${fmt(maintenanceBytes / MIB)} MB: the day's new rows rewritten, VACUUM at the 10 MB minimum`);
    const mergeGets = curatedObjects + load.statements * Math.ceil((w.tableRows * w.scanBytesPerRow) / w.bytesPerGet) + maintenanceBytes / w.bytesPerGet;
    add('S3', 'GETs by Athena (objects merged, table read)', mergeGets * p.s3GetRequest, `${fmt(mergeGets)} GETs`);
    const icebergPuts = load.statements * (w.icebergPutsPerStatement + 2) + days * 20;
    add('S3', 'PUTs by Athena (Iceberg commits, query results)', icebergPuts * p.s3PutRequest, `${fmt(icebergPuts)} PUTs`);
    const glue = (load.statements + days * 2) * w.glueRequestsPerStatement;
    add('Glue', 'Data Catalog requests', glue * p.glueRequest, `${fmt(glue)} requests (free tier not deducted)`);
    const s3Requests = transformPuts + rawPuts + mergeGets + icebergPuts;
    add('KMS', 'requests (S3 Bucket Keys)', s3Requests * w.kmsRequestsPerS3Request * p.kmsRequest, `${fmt(s3Requests * w.kmsRequestsPerS3Request)} requests`);
    add('KMS', 'keys (monthly, amortised)', inventory.kmsKeys * p.kmsKeyMonth * months, `${inventory.kmsKeys} keys`);
    const smallInvocations = load.statements * 2 + load.ticks + inventory.scheduledInvocationsPerMonth * months;
    add('Lambda', 'merge steps and operations functions', smallInvocations * ((w.smallFunctionMs / 1000) * (w.smallFunctionMb / 1024) * p.lambdaArmGbSecond + p.lambdaRequest), `${fmt(smallInvocations)} invocations`);
  }
  const total = usd(items.reduce((sum, i) => sum + i.usd, 0));
  return { contender, items, total, billedMsPerBatch, merge };
}

/** Totals by service, for the breakdown table. */
export function byService(b: CostBreakdown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of b.items) out[i.service] = usd((out[i.service] ?? 0) + i.usd);
  return out;
}
