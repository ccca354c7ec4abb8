import type { Inventory } from '../../bench/cost';
import { PRICE_SOURCES } from '../../bench/cost-prices';
import { costScenarios } from '../../bench/cost-scenarios';
import { costSection, issue15Findings, issue15Rows } from '../../bench/report-lakehouse';
import type { ThroughputResults } from '../../bench/throughput';
import { throughputCase } from './fixtures';

const INVENTORY: Inventory = { alarmMetrics: 50, compositeAlarms: 4, kmsKeys: 3, customMetrics: 27, scheduledInvocationsPerMonth: 44_640 };

function results(table100: number): ThroughputResults {
  return {
    rounds: 3,
    cases: [
      throughputCase({ clients: 'send-stub', batchSize: 100, table: 30_000, claims: 24_000, alternative: 17_000, bare: 40_000 }),
      throughputCase({ clients: 'send-stub', batchSize: 1000, table: 32_000, claims: 25_000, alternative: 10_000, bare: 40_000 }),
      throughputCase({ clients: 'http-stub', batchSize: 100, table: table100, claims: 3800, alternative: 1900, bare: 40_000 }),
      throughputCase({ clients: 'http-stub', batchSize: 1000, table: 28_000, claims: 3900, alternative: 1600, bare: 40_000 }),
      throughputCase({ clients: 'emulators', batchSize: 100, table: 5000, claims: 1100, alternative: 470 }),
    ],
  };
}

const row = (rows: string[][], start: string) => rows.find((r) => r[0].startsWith(start) && r[0].includes('http-stub, batch 100'));

describe('cost scenarios', () => {
  const cost = costScenarios(results(25_000).cases[2], results(25_000).cases[3], INVENTORY, 8);

  it('prices the three contenders as shipped, with the measured gzip ratio and batch size', () => {
    expect(cost.asShipped.workload).toMatchObject({ gzipRatio: 8, batchSize: 100, archive: 'firehose' });
    expect(cost.asShipped.table.total).toBeLessThan(cost.asShipped.claims.total);
    expect(cost.asShipped.claims.total - cost.asShipped.table.total).toBeGreaterThan(0.7);
  });

  it('shows table mode against the alternative for 10M and 100M rows at three rates', () => {
    expect(cost.sensitivity.map((r) => [r.tableRows, r.recordsPerSecond])).toEqual([
      [10_000_000, 100], [10_000_000, 1000], [10_000_000, 10_000],
      [100_000_000, 100], [100_000_000, 1000], [100_000_000, 10_000],
    ]);
    const at = (rows: number, rate: number) => cost.sensitivity.find((r) => r.tableRows === rows && r.recordsPerSecond === rate)?.ratio ?? NaN;
    expect(at(100_000_000, 1000)).toBeGreaterThan(at(10_000_000, 1000));
  });

  it('models the design changes at batch 1,000 without Firehose', () => {
    expect(cost.redesign?.workload).toMatchObject({ batchSize: 1000, archive: 'transform', maxObjectsPerMerge: 1000 });
    expect(cost.redesign?.table.items.some((i) => i.service === 'Firehose')).toBe(false);
    expect(cost.redesign?.table.total).toBeLessThan(cost.asShipped.table.total);
  });
});

describe('issue #15 report', () => {
  it('marks each target PASS or MISS from the measured ratios', () => {
    const cost = costScenarios(results(25_000).cases[2], results(25_000).cases[3], INVENTORY, 8);
    const pass = issue15Rows(results(25_000), cost);
    expect(row(pass, 'throughput, table mode vs bare limit')?.slice(2)).toEqual(['0.63×', '≥ 0.5×', '**PASS**']);
    expect(row(pass, 'throughput, table mode vs usual alternative')?.slice(2)).toEqual(['13.16×', '≥ 10×', '**PASS**']);
    const miss = issue15Rows(results(15_000), cost);
    expect(row(miss, 'throughput, table mode vs bare limit')?.slice(2)).toEqual(['0.38×', '≥ 0.5×', '**MISS**']);
    expect(row(miss, 'throughput, table mode vs usual alternative')?.slice(2)).toEqual(['7.9×', '≥ 10×', '**MISS**']);
    // Only real SDK clients are targets: the send() stub cases are not rows.
    expect(pass.some((r) => r[0].includes('send-stub'))).toBe(false);
    const costRow = pass.find((r) => r[0].startsWith('modelled cost per million 1 KB records, all in, table mode'));
    const ratio = cost.asShipped.table.total / cost.asShipped.alternative.total;
    expect(costRow?.[4]).toBe(ratio <= 0.15 ? '**PASS**' : '**MISS**');
  });

  it('prints every price with its source, the breakdown by service and the sensitivity', () => {
    const cost = costScenarios(results(25_000).cases[2], results(25_000).cases[3], INVENTORY, 8);
    const text = costSection(cost).join('\n');
    for (const key of Object.keys(PRICE_SOURCES)) expect(text).toContain(`| ${key} |`);
    for (const service of ['Lambda', 'S3', 'DynamoDB', 'Kinesis', 'Firehose', 'SQS', 'Step Functions', 'Athena', 'Glue', 'KMS', 'CloudWatch']) expect(text).toContain(`| ${service} |`);
    expect(text).toContain('| 100M | 1,000 |');
    expect(text).toContain('With the design changes');
  });

  it('explains a miss with the per-record profile and the cost profile', () => {
    const cost = costScenarios(results(15_000).cases[2], results(15_000).cases[3], INVENTORY, 8);
    const text = issue15Findings(results(15_000), cost).join('\n');
    // 15,000 records/s is 66.67 µs per record; send() stubbed, 30,000 records/s is 33.33 µs.
    expect(text).toContain('66.67 µs per record with real SDK clients: 33.33 µs of its own work');
    expect(text).toContain('≥ 0.5× the bare limit needs ≤ 50 µs per record (missed)');
    expect(text).toMatch(/Where table mode's money goes: \w/);
  });
});
