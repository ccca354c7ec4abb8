/** Throughput cases with round figures, for the cost model's and the report's tests. */
import type { PerRecord, ThroughputCase } from '../../bench/throughput';
import { compare } from '../../bench/lib/stats';

/** Calls and units per record with only the given fields set. */
export function perRecord(fields: Partial<PerRecord> = {}): PerRecord {
  return { calls: 0, dynamodbCalls: 0, s3Calls: 0, writeUnits: 0, readUnits: 0, s3Puts: 0, byOperation: {}, ...fields };
}

/** A throughput case: every round at the given records/s. */
export function throughputCase(opts: {
  clients: ThroughputCase['clients'];
  batchSize: number;
  table: number;
  claims: number;
  alternative: number;
  bare?: number;
}): ThroughputCase {
  const rounds = (x: number) => [x, x, x];
  const puts = 2 / opts.batchSize;
  return {
    label: `${opts.clients}, batch ${opts.batchSize}`,
    clients: opts.clients,
    batchSize: opts.batchSize,
    records: { runtime: 1000, table: 1000, powertools: 500, bare: opts.bare ? 2000 : undefined },
    runtime: rounds(opts.claims),
    table: rounds(opts.table),
    powertools: rounds(opts.alternative),
    bare: opts.bare ? rounds(opts.bare) : undefined,
    runtimeVsBare: opts.bare ? compare(rounds(opts.claims), rounds(opts.bare)) : undefined,
    runtimeVsPowertools: compare(rounds(opts.claims), rounds(opts.alternative)),
    tableVsBare: opts.bare ? compare(rounds(opts.table), rounds(opts.bare)) : undefined,
    tableVsPowertools: compare(rounds(opts.table), rounds(opts.alternative)),
    perRecord: {
      table: perRecord({ calls: puts, s3Calls: puts, s3Puts: puts, byOperation: { PutObject: puts } }),
      runtime: perRecord({ calls: 1 + 0.01 + puts, dynamodbCalls: 1.01, s3Calls: puts, writeUnits: 1, readUnits: 1, s3Puts: puts, byOperation: { PutItem: 1, BatchGetItem: 0.01, PutObject: puts } }),
      powertools: perRecord({ calls: 2 + 1 / opts.batchSize, dynamodbCalls: 2, s3Calls: 1 / opts.batchSize, writeUnits: 2, s3Puts: 1 / opts.batchSize, byOperation: { PutItem: 1, UpdateItem: 1, PutObject: 1 / opts.batchSize } }),
    },
    emfBytesPerBatch: { runtime: 2000, table: 2000, powertools: 300 },
  };
}
