/**
 * 1. Runtime throughput and 4. calls per record: the library's transform handler against the bare
 * limit and the usual alternative (Powertools), same input, same process, alternating per round.
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
import { clickstreamLines, kinesisBatches, lambdaContext } from './lib/events';
import { compare, median, msSince, progress, round, type Comparison } from './lib/stats';

export const OUT_DIR = path.join(__dirname, '.out');
const PII_KEY = 'a-benchmark-key-of-32-characters';
const ROOT = path.join(__dirname, '..');

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
};
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

export interface ThroughputCase {
  label: string;
  clients: 'send-stub' | 'http-stub' | 'emulators';
  batchSize: number;
  records: { runtime: number; powertools: number; bare?: number };
  /** records/s per round */
  runtime: number[];
  powertools: number[];
  bare?: number[];
  runtimeVsBare?: Comparison;
  runtimeVsPowertools: Comparison;
  perRecord: { runtime: PerRecord; powertools: PerRecord };
  duplicatesPerRecord?: { runtime: PerRecord; powertools: PerRecord };
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
const discard = () => undefined;
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

async function stubCase(mode: 'send' | 'http', batchSize: number, rounds: number, schemas: SchemaBundle): Promise<ThroughputCase> {
  const stub = new AwsStub();
  const clients = stubClients(stub, mode);
  const runtime = createBatchHandler(clickstream as unknown as TransformModule, schemas, {
    config: RUNTIME_CONFIG,
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    hasher: createPiiHasher(PII_KEY),
    logger: quietLogger('clickstream'),
    writeMetrics: discard,
  }) as unknown as Handler;
  const powertools = createPowertoolsHandler({
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    logger: quietLogger('clickstream'),
    piiKey: PII_KEY,
    writeMetrics: discard,
    table: POWERTOOLS_TABLE,
    bucket: 'curated-bucket',
  }) as unknown as Handler;

  const n = { runtime: 10_000, powertools: mode === 'http' ? 2_000 : 3_000, bare: 20_000 };
  const lines = clickstreamLines(n.bare);
  const runtimeBatches = kinesisBatches(lines.slice(0, n.runtime), batchSize);
  const powertoolsBatches = kinesisBatches(lines.slice(0, n.powertools), batchSize);
  const bareBatches = kinesisBatches(lines, batchSize);

  // Warm-up: two full passes each (the JIT and the SDK's lazy internals settle in the second).
  for (let w = 0; w < 2; w++) {
    await timeHandler(runtime, runtimeBatches);
    await timeHandler(powertools, powertoolsBatches);
    bareLoop(bareBatches, PII_KEY);
  }

  const result = { runtime: [] as number[], powertools: [] as number[], bare: [] as number[] };
  const meters = { runtime: newMeter(), powertools: newMeter() };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['runtime', 'powertools', 'bare'] : ['bare', 'powertools', 'runtime'];
    for (const which of order) {
      stub.reset('new');
      if (which === 'runtime') result.runtime.push(await timeHandler(runtime, runtimeBatches));
      else if (which === 'powertools') result.powertools.push(await timeHandler(powertools, powertoolsBatches));
      else {
        const start = process.hrtime.bigint();
        bareLoop(bareBatches, PII_KEY);
        result.bare.push((n.bare / msSince(start)) * 1000);
      }
      if (which === 'runtime' || which === 'powertools') meters[which] = stub.meter;
    }
  }
  // Duplicates: the same records again, every id already claimed / completed.
  const dupRecords = Math.max(batchSize, 1000);
  stub.reset('duplicate');
  await timeHandler(runtime, runtimeBatches.slice(0, dupRecords / batchSize));
  const dupRuntime = perRecord(stub.meter, dupRecords);
  stub.reset('duplicate');
  await timeHandler(powertools, powertoolsBatches.slice(0, dupRecords / batchSize));
  const dupPowertools = perRecord(stub.meter, dupRecords);
  stub.reset('new');

  const label = `${mode === 'send' ? 'send() stub' : 'SDK client, HTTP stub'}, batch ${batchSize}`;
  const c: ThroughputCase = {
    label,
    clients: mode === 'send' ? 'send-stub' : 'http-stub',
    batchSize,
    records: n,
    runtime: result.runtime.map((x) => round(x, 0)),
    powertools: result.powertools.map((x) => round(x, 0)),
    bare: result.bare.map((x) => round(x, 0)),
    runtimeVsBare: compare(result.runtime, result.bare),
    runtimeVsPowertools: compare(result.runtime, result.powertools),
    perRecord: { runtime: perRecord(meters.runtime, n.runtime), powertools: perRecord(meters.powertools, n.powertools) },
    duplicatesPerRecord: { runtime: dupRuntime, powertools: dupPowertools },
  };
  progress(
    `  ${label}: runtime ${round(median(result.runtime), 0)} rec/s, powertools ${round(median(result.powertools), 0)}, bare ${round(median(result.bare), 0)}; ` +
      `calls/record ${c.perRecord.runtime.calls} vs ${c.perRecord.powertools.calls}`,
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
    const runtime = createBatchHandler(clickstream as unknown as TransformModule, schemas, {
      config: RUNTIME_CONFIG,
      s3,
      dynamodb,
      hasher: createPiiHasher(PII_KEY),
      logger: quietLogger('clickstream'),
      writeMetrics: discard,
    }) as unknown as Handler;
    const powertools = createPowertoolsHandler({
      s3,
      dynamodb,
      logger: quietLogger('clickstream'),
      piiKey: PII_KEY,
      writeMetrics: discard,
      table: POWERTOOLS_TABLE,
      bucket: 'curated-bucket',
    }) as unknown as Handler;
    const batchSize = 100;
    const n = { runtime: 2_000, powertools: 500 };
    // Fresh ids for every run (the store is real): prefix per round and handler.
    const batchesFor = (prefix: string, count: number) => kinesisBatches(clickstreamLines(count, prefix), batchSize);
    await timeHandler(runtime, batchesFor('warm-rt', 500));
    await timeHandler(powertools, batchesFor('warm-pt', 200));
    const result = { runtime: [] as number[], powertools: [] as number[] };
    const meters = { runtime: newMeter(), powertools: newMeter() };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['runtime', 'powertools'] as const) : (['powertools', 'runtime'] as const);
      for (const which of order) {
        const batches = batchesFor(`r${r}-${which}`, n[which]);
        meter = newMeter();
        result[which].push(await timeHandler(which === 'runtime' ? runtime : powertools, batches));
        meters[which] = meter;
      }
    }
    const c: ThroughputCase = {
      label: `emulators (fauxqs S3, dynalite), batch ${batchSize}`,
      clients: 'emulators',
      batchSize,
      records: n,
      runtime: result.runtime.map((x) => round(x, 0)),
      powertools: result.powertools.map((x) => round(x, 0)),
      runtimeVsPowertools: compare(result.runtime, result.powertools),
      perRecord: { runtime: perRecord(meters.runtime, n.runtime), powertools: perRecord(meters.powertools, n.powertools) },
    };
    progress(`  ${c.label}: runtime ${round(median(result.runtime), 0)} rec/s, powertools ${round(median(result.powertools), 0)}`);
    return c;
  } finally {
    await emulators.stop();
  }
}

export async function runThroughput(rounds = 5): Promise<ThroughputResults> {
  const { schemas } = await loadSchemas();
  const cases: ThroughputCase[] = [];
  for (const mode of ['send', 'http'] as const) {
    for (const batchSize of [100, 1000]) cases.push(await stubCase(mode, batchSize, rounds, schemas));
  }
  cases.push(await emulatorCase(rounds, schemas));
  return { cases, rounds };
}
