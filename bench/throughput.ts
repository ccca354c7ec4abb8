/**
 * 1. Runtime throughput and 4. calls per record: the library's transform handler in both
 * deduplication modes (`'claims'`: a DynamoDB claim per record; `'table'`: no idempotency store,
 * exactly-once at the current table) against the bare limit and the usual alternative
 * (Powertools), same input, same process, alternating per round.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import * as clickstream from '../examples/clickstream/transform';
import { createBatchHandler } from '../lambda/runtime/batch-handler';
import type { RuntimeConfig } from '../lambda/runtime/config';
import { createPiiHasher } from '../lambda/runtime/pii-masking';
import type { SchemaBundle } from '../lambda/runtime/schema-validation';
import type { TransformModule } from '../lambda/runtime/transform-contract';
import { writeSchemaBundle } from '../lib/schema/schema-bundle';
import { startEmulators } from '../local/services/emulators';
import { bareLoop } from './alternatives/bare-loop';
import { createPowertoolsHandler } from './alternatives/powertools-handler';
import { AwsStub, metered, newMeter, stubClients, type Meter } from './lib/aws-stub';
import { profileOf, type ProfileShare } from './lib/cpu-profile';
import { clickstreamLines, kinesisBatches, lambdaContext } from './lib/events';
import { compare, median, msSince, progress, round, type Comparison } from './lib/stats';

export const OUT_DIR = path.join(__dirname, '.out');
const PII_KEY = 'a-benchmark-key-of-32-characters';
const ROOT = path.join(__dirname, '..');

/** `deduplication: 'claims'` as the reference stack runs it: idempotency store and current table on. */
export const RUNTIME_CONFIG: RuntimeConfig = {
  claimInFlightSeconds: 900,
  pipeline: 'clickstream',
  stage: 'transform',
  curatedBucket: 'curated-bucket',
  quarantineBucket: 'quarantine-bucket',
  rawBucket: 'raw-bucket',
  dataset: 'clickstream',
  idField: 'eventId',
  eventTimeField: 'eventTime',
  transformVersion: 'bench',
  idempotencyTable: 'idempotency-store',
  idempotencyTtlSeconds: 3600,
  maxRecordBytes: 256 * 1024,
  sinkTableKey: 'id',
  currentTable: {},
};
/**
 * `deduplication: 'table'`: what `EtlPipeline` gives the transform then (no `IDEMPOTENCY_TABLE`,
 * `CURRENT_TABLE=true`): no claims, the lakehouse columns on every curated line.
 */
export const TABLE_MODE_CONFIG: RuntimeConfig = (({ idempotencyTable: _none, ...rest }) => rest)(RUNTIME_CONFIG);
const POWERTOOLS_TABLE = 'powertools-idempotency';

type Handler = (event: KinesisStreamEvent, context: Context) => Promise<unknown>;

/** Per-record calls and units of one run. */
export interface PerRecord {
  calls: number;
  dynamodbCalls: number;
  s3Calls: number;
  writeUnits: number;
  readUnits: number;
  s3Puts: number;
  byOperation: Record<string, number>;
}

/** Calls per record of each contender (`runtime`: claims mode, `table`: table mode). */
export interface PerRecordByContender {
  runtime: PerRecord;
  table: PerRecord;
  powertools: PerRecord;
}

export interface ThroughputCase {
  label: string;
  clients: 'send-stub' | 'http-stub' | 'emulators';
  batchSize: number;
  records: { runtime: number; table: number; powertools: number; bare?: number };
  /** records/s per round: `runtime` is the library in claims mode, `table` in table mode */
  runtime: number[];
  table: number[];
  powertools: number[];
  bare?: number[];
  runtimeVsBare?: Comparison;
  runtimeVsPowertools: Comparison;
  tableVsBare?: Comparison;
  tableVsPowertools: Comparison;
  perRecord: PerRecordByContender;
  duplicatesPerRecord?: PerRecordByContender;
  /** Bytes of EMF metric lines per batch (CloudWatch Logs ingestion in the cost model). */
  emfBytesPerBatch: { runtime: number; table: number; powertools: number };
  /** Where table mode's CPU time goes (sampled after the rounds; HTTP-stub cases). */
  tableProfile?: ProfileShare[];
}

export interface ThroughputResults {
  cases: ThroughputCase[];
  rounds: number;
}

function perRecord(meter: Meter, records: number): PerRecord {
  const ops = meter.byOperation;
  const ddb = ['BatchGetItem', 'BatchWriteItem', 'PutItem', 'UpdateItem', 'GetItem', 'DeleteItem'].reduce((n, k) => n + (ops[k] ?? 0), 0);
  return {
    calls: round(meter.calls / records, 4),
    dynamodbCalls: round(ddb / records, 4),
    s3Calls: round((meter.calls - ddb) / records, 4),
    writeUnits: round(meter.writeUnits / records, 4),
    readUnits: round(meter.readUnits / records, 4),
    s3Puts: round(meter.s3Puts / records, 4),
    byOperation: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, round(v / records, 4)])),
  };
}

export async function loadSchemas(): Promise<{ schemas: SchemaBundle; file: string }> {
  const file = writeSchemaBundle({
    versions: [{ version: '1', schema: JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/clickstream/schemas/clickstream-v1.json'), 'utf8')) }],
    versionField: 'schemaVersion',
    defaultVersion: '1',
    outDir: path.join(OUT_DIR, 'schemas'),
  });
  return { schemas: (await import(file)) as SchemaBundle, file };
}

const quietLogger = (service: string) => new Logger({ serviceName: service, logLevel: 'WARN' });
let requestCounter = 0;

/** Runs every batch through the handler; returns records/s. */
async function timeHandler(handler: Handler, batches: KinesisStreamEvent[]): Promise<number> {
  let records = 0;
  const start = process.hrtime.bigint();
  for (const batch of batches) {
    const res = (await handler(batch, lambdaContext(`req-${++requestCounter}`) as unknown as Context)) as { batchItemFailures: unknown[] };
    if (res.batchItemFailures.length > 0) throw new Error(`benchmark: ${res.batchItemFailures.length} records failed`);
    records += batch.Records.length;
  }
  return (records / msSince(start)) * 1000;
}

/** Counts the EMF bytes each contender writes (the metric lines Lambda sends to CloudWatch Logs). */
function emfCounter() {
  const bytes = { runtime: 0, table: 0, powertools: 0 };
  const batches = { runtime: 0, table: 0, powertools: 0 };
  return {
    writer: (who: keyof typeof bytes) => (line: string) => {
      bytes[who] += Buffer.byteLength(line) + 1;
      batches[who]++;
    },
    perBatch: () => ({
      runtime: round(bytes.runtime / Math.max(1, batches.runtime), 0),
      table: round(bytes.table / Math.max(1, batches.table), 0),
      powertools: round(bytes.powertools / Math.max(1, batches.powertools), 0),
    }),
  };
}

interface Contenders {
  runtime: Handler;
  table: Handler;
  powertools: Handler;
}

/** The three handlers on the same clients: the library in claims and in table mode, and the alternative. */
function contenders(s3: S3Client, dynamodb: DynamoDBClient, schemas: SchemaBundle, emf: ReturnType<typeof emfCounter>): Contenders {
  const library = (config: RuntimeConfig, who: 'runtime' | 'table') =>
    createBatchHandler(clickstream as unknown as TransformModule, schemas, {
      config,
      s3,
      dynamodb,
      hasher: createPiiHasher(PII_KEY),
      logger: quietLogger('clickstream'),
      writeMetrics: emf.writer(who),
    }) as unknown as Handler;
  return {
    runtime: library(RUNTIME_CONFIG, 'runtime'),
    table: library(TABLE_MODE_CONFIG, 'table'),
    powertools: createPowertoolsHandler({
      s3,
      dynamodb,
      logger: quietLogger('clickstream'),
      piiKey: PII_KEY,
      writeMetrics: emf.writer('powertools'),
      table: POWERTOOLS_TABLE,
      bucket: 'curated-bucket',
    }) as unknown as Handler,
  };
}

/** Round order, alternating so no contender always runs first (or right after the same one). */
function roundOrder<T extends string>(contenderNames: readonly T[], roundIndex: number): T[] {
  return roundIndex % 2 === 0 ? [...contenderNames] : [...contenderNames].reverse();
}

async function stubCase(mode: 'send' | 'http', batchSize: number, rounds: number, schemas: SchemaBundle): Promise<ThroughputCase> {
  const stub = new AwsStub();
  const clients = stubClients(stub, mode);
  const emf = emfCounter();
  const handlers = contenders(clients.s3, clients.dynamodb, schemas, emf);

  const n = { runtime: 10_000, table: 10_000, powertools: mode === 'http' ? 2_000 : 3_000, bare: 20_000 };
  const lines = clickstreamLines(n.bare);
  const batches = {
    runtime: kinesisBatches(lines.slice(0, n.runtime), batchSize),
    table: kinesisBatches(lines.slice(0, n.table), batchSize),
    powertools: kinesisBatches(lines.slice(0, n.powertools), batchSize),
    bare: kinesisBatches(lines, batchSize),
  };

  // Warm-up: two full passes each (the JIT and the SDK's lazy internals settle in the second).
  for (let w = 0; w < 2; w++) {
    await timeHandler(handlers.runtime, batches.runtime);
    await timeHandler(handlers.table, batches.table);
    await timeHandler(handlers.powertools, batches.powertools);
    bareLoop(batches.bare, PII_KEY);
  }

  const result = { runtime: [] as number[], table: [] as number[], powertools: [] as number[], bare: [] as number[] };
  const meters = { runtime: newMeter(), table: newMeter(), powertools: newMeter() };
  for (let r = 0; r < rounds; r++) {
    for (const which of roundOrder(['runtime', 'table', 'powertools', 'bare'] as const, r)) {
      stub.reset('new');
      if (which === 'bare') {
        const start = process.hrtime.bigint();
        bareLoop(batches.bare, PII_KEY);
        result.bare.push((n.bare / msSince(start)) * 1000);
        continue;
      }
      result[which].push(await timeHandler(handlers[which], batches[which]));
      meters[which] = stub.meter;
    }
  }
  // Duplicates: the same records again, every id already claimed / completed (table mode has no
  // store: it rewrites the batch's objects under the same keys).
  const dupRecords = Math.max(batchSize, 1000);
  const duplicates = async (which: keyof Contenders) => {
    stub.reset('duplicate');
    await timeHandler(handlers[which], batches[which].slice(0, dupRecords / batchSize));
    return perRecord(stub.meter, dupRecords);
  };
  const duplicatesPerRecord = { runtime: await duplicates('runtime'), table: await duplicates('table'), powertools: await duplicates('powertools') };
  stub.reset('new');
  const tableProfile = mode === 'http' ? await profileOf(async () => {
    for (let pass = 0; pass < 2; pass++) await timeHandler(handlers.table, batches.table);
  }) : undefined;

  const label = `${mode === 'send' ? 'send() stub' : 'SDK client, HTTP stub'}, batch ${batchSize}`;
  const c: ThroughputCase = {
    label,
    clients: mode === 'send' ? 'send-stub' : 'http-stub',
    batchSize,
    records: n,
    runtime: result.runtime.map((x) => round(x, 0)),
    table: result.table.map((x) => round(x, 0)),
    powertools: result.powertools.map((x) => round(x, 0)),
    bare: result.bare.map((x) => round(x, 0)),
    runtimeVsBare: compare(result.runtime, result.bare),
    runtimeVsPowertools: compare(result.runtime, result.powertools),
    tableVsBare: compare(result.table, result.bare),
    tableVsPowertools: compare(result.table, result.powertools),
    perRecord: { runtime: perRecord(meters.runtime, n.runtime), table: perRecord(meters.table, n.table), powertools: perRecord(meters.powertools, n.powertools) },
    duplicatesPerRecord,
    emfBytesPerBatch: emf.perBatch(),
    ...(tableProfile ? { tableProfile } : {}),
  };
  progress(
    `  ${label}: table ${round(median(result.table), 0)} rec/s, claims ${round(median(result.runtime), 0)}, powertools ${round(median(result.powertools), 0)}, bare ${round(median(result.bare), 0)}; ` +
      `calls/record ${c.perRecord.table.calls} / ${c.perRecord.runtime.calls} vs ${c.perRecord.powertools.calls}`,
  );
  return c;
}

async function emulatorCase(rounds: number, schemas: SchemaBundle): Promise<ThroughputCase> {
  const emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
  try {
    let meter = newMeter();
    const s3 = metered(emulators.clients.s3(), () => meter) as S3Client;
    const dynamodb = metered(emulators.clients.dynamodb(), () => meter) as DynamoDBClient;
    for (const Bucket of ['curated-bucket', 'quarantine-bucket', 'raw-bucket']) await s3.send(new CreateBucketCommand({ Bucket }));
    for (const TableName of [RUNTIME_CONFIG.idempotencyTable as string, POWERTOOLS_TABLE]) {
      await dynamodb.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    const emf = emfCounter();
    const handlers = contenders(s3, dynamodb, schemas, emf);
    const batchSize = 100;
    const n = { runtime: 2_000, table: 2_000, powertools: 500 };
    // Fresh ids for every run (the store is real): prefix per round and handler.
    const batchesFor = (prefix: string, count: number) => kinesisBatches(clickstreamLines(count, prefix), batchSize);
    await timeHandler(handlers.runtime, batchesFor('warm-rt', 500));
    await timeHandler(handlers.table, batchesFor('warm-tb', 500));
    await timeHandler(handlers.powertools, batchesFor('warm-pt', 200));
    const result = { runtime: [] as number[], table: [] as number[], powertools: [] as number[] };
    const meters = { runtime: newMeter(), table: newMeter(), powertools: newMeter() };
    for (let r = 0; r < rounds; r++) {
      for (const which of roundOrder(['runtime', 'table', 'powertools'] as const, r)) {
        const batches = batchesFor(`r${r}-${which}`, n[which]);
        meter = newMeter();
        result[which].push(await timeHandler(handlers[which], batches));
        meters[which] = meter;
      }
    }
    const c: ThroughputCase = {
      label: `emulators (fauxqs S3, dynalite), batch ${batchSize}`,
      clients: 'emulators',
      batchSize,
      records: n,
      runtime: result.runtime.map((x) => round(x, 0)),
      table: result.table.map((x) => round(x, 0)),
      powertools: result.powertools.map((x) => round(x, 0)),
      runtimeVsPowertools: compare(result.runtime, result.powertools),
      tableVsPowertools: compare(result.table, result.powertools),
      perRecord: { runtime: perRecord(meters.runtime, n.runtime), table: perRecord(meters.table, n.table), powertools: perRecord(meters.powertools, n.powertools) },
      emfBytesPerBatch: emf.perBatch(),
    };
    progress(`  ${c.label}: table ${round(median(result.table), 0)} rec/s, claims ${round(median(result.runtime), 0)}, powertools ${round(median(result.powertools), 0)}`);
    return c;
  } finally {
    await emulators.stop();
  }
}

/** Every throughput case: `send()` and HTTP stubs at batch 100 and 1,000, then the emulators. */
export async function runThroughput(rounds = 5, only?: ReadonlyArray<ThroughputCase['clients']>): Promise<ThroughputResults> {
  const { schemas } = await loadSchemas();
  const cases: ThroughputCase[] = [];
  const wanted = (clients: ThroughputCase['clients']) => only === undefined || only.includes(clients);
  for (const mode of ['send', 'http'] as const) {
    if (!wanted(mode === 'send' ? 'send-stub' : 'http-stub')) continue;
    for (const batchSize of [100, 1000]) cases.push(await stubCase(mode, batchSize, rounds, schemas));
  }
  if (wanted('emulators')) cases.push(await emulatorCase(rounds, schemas));
  return { cases, rounds };
}
