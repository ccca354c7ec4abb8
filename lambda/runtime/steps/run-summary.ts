import { BATCH_SUMMARY_FIELDS, type BatchSummary, type SummarizeInput, type SummarizeOutput } from '../../../lib/contract/workflow-steps';

/**
 * The `summarize` step: sums the batch summaries (a missing count is 0); the drift rate is schema
 * mismatches over records in, drifted when above `maxDriftRate`.
 */
export function summarize(input: SummarizeInput): SummarizeOutput {
  const total = Object.fromEntries(BATCH_SUMMARY_FIELDS.map((f) => [f, 0])) as Record<keyof BatchSummary, number>;
  for (const batch of input.batches) {
    for (const f of BATCH_SUMMARY_FIELDS) total[f] += Number(batch?.summary?.[f] ?? 0);
  }
  const driftRate = total.recordsIn === 0 ? 0 : total.schemaMismatches / total.recordsIn;
  return { ...total, scope: 'object', batches: input.batches.length, driftRate, drifted: driftRate > input.maxDriftRate };
}
