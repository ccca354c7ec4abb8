/**
 * 4. Modelled cost per million 1 KB records, from the calls and units counted in the throughput
 * run and the CPU time measured there. Prices: AWS list prices, us-east-1, checked 2026-11: DynamoDB
 * on-demand since the November 2024 reduction ($0.625 per million write request units, $0.125 per
 * million read request units), Lambda arm64, S3 Standard requests, Kinesis Data Streams on-demand
 * (per GB written and read; the per-stream hourly charge does not depend on the records and is
 * left out, as are provisioned shards). Check https://aws.amazon.com/pricing before relying on them.
 */
import type { PerRecord } from './throughput';

export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  kinesisOnDemandPerGbIn: 0.08,
  kinesisOnDemandPerGbOut: 0.04,
};

export const ASSUMPTIONS = {
  records: 1_000_000,
  recordBytes: 1024,
  batchSize: 100,
  memoryMb: 1024,
  /** Lambda gives a full vCPU at 1,769 MB: CPU-bound time at 1,024 MB is this much longer. */
  cpuScaleAt1024Mb: 1769 / 1024,
  /** Round-trip latencies inside a region (typical, assumed): DynamoDB item call, batch call, S3 PUT. */
  dynamodbItemMs: 5,
  dynamodbBatchMs: 10,
  s3PutMs: 25,
};

export interface CostLine {
  lambdaCompute: number;
  lambdaRequests: number;
  dynamodb: number;
  s3: number;
  kinesis: number;
  total: number;
  billedMsPerBatch: number;
}

/**
 * Billed Lambda time per batch = measured CPU time (single core, scaled to 1,024 MB) + the
 * sequential AWS round-trips of one batch (`waitsPerBatchMs`, from the call pattern).
 */
export function costPerMillion(recordsPerSecond: number, perRecord: PerRecord, waitsPerBatchMs: number): CostLine {
  const a = ASSUMPTIONS;
  const batches = a.records / a.batchSize;
  const cpuMsPerBatch = (a.batchSize / recordsPerSecond) * 1000 * a.cpuScaleAt1024Mb;
  const billedMsPerBatch = Math.ceil(cpuMsPerBatch + waitsPerBatchMs);
  const lambdaCompute = batches * (billedMsPerBatch / 1000) * (a.memoryMb / 1024) * PRICES.lambdaArmGbSecond;
  const lambdaRequests = (batches / 1e6) * PRICES.lambdaPerMillionRequests;
  const dynamodb =
    perRecord.writeUnits * a.records * (PRICES.dynamodbPerMillionWriteUnits / 1e6) + perRecord.readUnits * a.records * (PRICES.dynamodbPerMillionReadUnits / 1e6);
  const s3 = perRecord.s3Puts * a.records * (PRICES.s3PerThousandPuts / 1000);
  const gb = (a.records * a.recordBytes) / 1024 ** 3;
  const kinesis = gb * (PRICES.kinesisOnDemandPerGbIn + PRICES.kinesisOnDemandPerGbOut);
  const total = lambdaCompute + lambdaRequests + dynamodb + s3 + kinesis;
  const r = (x: number) => Math.round(x * 10000) / 10000;
  return { lambdaCompute: r(lambdaCompute), lambdaRequests: r(lambdaRequests), dynamodb: r(dynamodb), s3: r(s3), kinesis: r(kinesis), total: r(total), billedMsPerBatch };
}

/** Conditional claim PutItems the idempotency store keeps in flight at once (lambda/runtime/idempotency-store.ts). */
const CLAIM_PUTS_IN_FLIGHT = 32;

/**
 * Sequential round-trips per batch of 100 (assumed latencies above).
 * Runtime (Kinesis): 1 BatchGetItem, then one conditional PutItem per new id, at most 32 in
 * flight (4 waves for 100), then the lineage PUT, then the curated PUTs in parallel.
 * Powertools: records run in parallel (BatchProcessor default), each PutItem then UpdateItem in
 * sequence, then one PUT for the batch.
 */
export const WAITS_MS = {
  runtime: ASSUMPTIONS.dynamodbBatchMs + Math.ceil(ASSUMPTIONS.batchSize / CLAIM_PUTS_IN_FLIGHT) * ASSUMPTIONS.dynamodbItemMs + ASSUMPTIONS.s3PutMs * 2,
  powertools: ASSUMPTIONS.dynamodbItemMs * 2 + ASSUMPTIONS.s3PutMs,
};
