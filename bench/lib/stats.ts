/** Small statistics and timing helpers shared by the benchmarks. */

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Milliseconds since `start` (a `process.hrtime.bigint()` value). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Rounds to `digits` significant decimals, for readable JSON and tables. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Prints a progress line to stderr (stdout is left to the report). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The A/B ratio of medians, and of each round (the round ratios show the noise). */
export interface Comparison {
  readonly a: number[];
  readonly b: number[];
  readonly medianA: number;
  readonly medianB: number;
  /** medianA / medianB */
  readonly ratio: number;
  /** a[i] / b[i] per round */
  readonly roundRatios: number[];
  /** median of the per-round ratios */
  readonly medianRoundRatio: number;
}

export function compare(a: number[], b: number[]): Comparison {
  const roundRatios = a.map((x, i) => x / b[i]);
  return {
    a: a.map((x) => round(x)),
    b: b.map((x) => round(x)),
    medianA: round(median(a)),
    medianB: round(median(b)),
    ratio: round(median(a) / median(b)),
    roundRatios: roundRatios.map((r) => round(r)),
    medianRoundRatio: round(median(roundRatios)),
  };
}
