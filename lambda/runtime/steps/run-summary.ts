/** Counts of one batch, as the transform's runtime returns them. */
export interface Counts {
  recordsIn: number;
  curated: number;
  quarantined: number;
  schemaMismatches: number;
  dropped: number;
  duplicates: number;
  retried: number;
}

/** `summarize` input: the Map's results. */
export interface SummarizeInput {
  readonly action: 'summarize';
  readonly batches: Array<{ summary?: Partial<Counts> } | null>;
  readonly maxDriftRate: number;
}

/** `summarize` output. */
export interface SummarizeOutput extends Counts {
  /** What the counts cover: the whole object (a drift verdict after loading). */
  readonly scope: 'object';
  readonly batches: number;
  readonly driftRate: number;
  readonly drifted: boolean;
}

const COUNT_FIELDS: Array<keyof Counts> = ['recordsIn', 'curated', 'quarantined', 'schemaMismatches', 'dropped', 'duplicates', 'retried'];

/**
 * The `summarize` step: sums the batch summaries (a missing count is 0); the drift rate is schema
 * mismatches over records in, drifted when above `maxDriftRate`.
 */
export function summarize(input: SummarizeInput): SummarizeOutput {
  const total = Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as unknown as Counts;
  for (const batch of input.batches) {
    for (const f of COUNT_FIELDS) total[f] += Number(batch?.summary?.[f] ?? 0);
  }
  const driftRate = total.recordsIn === 0 ? 0 : total.schemaMismatches / total.recordsIn;
  return { ...total, scope: 'object', batches: input.batches.length, driftRate, drifted: driftRate > input.maxDriftRate };
}
