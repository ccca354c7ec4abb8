/** Longest wait between two attempts of a call retried within an invocation. */
export const MAX_BACKOFF_MS = 5_000;
/** Attempts of a call when no time budget is known (outside Lambda, tests). */
export const UNBUDGETED_ATTEMPTS = 5;
/**
 * Share of an invocation's time kept for what follows a dependency's recovery (claims, writes,
 * reporting): calls are retried only while more than this share of the time at the start remains.
 */
export const WRITE_RESERVE_SHARE = 1 / 3;

/** How long an invocation may keep retrying a dependency, and how it waits. */
export interface RetryBudget {
  /**
   * Milliseconds left for retries (the invocation's remaining time less what it keeps for its
   * writes); none: {@link UNBUDGETED_ATTEMPTS} attempts.
   */
  readonly remainingMs?: () => number;
  /** Waits (tests pass a fake). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The retry budget of an invocation, from its Lambda context: retries stop once a third of its
 * time at the start remains (also measured on the wall clock, should a context not count down).
 */
export function invocationBudget(
  context: { getRemainingTimeInMillis(): number } | undefined,
  now: () => number = Date.now,
): (() => number) | undefined {
  if (!context || typeof context.getRemainingTimeInMillis !== 'function') return undefined;
  const total = context.getRemainingTimeInMillis();
  const usable = total * (1 - WRITE_RESERVE_SHARE);
  const start = now();
  return () => Math.min(context.getRemainingTimeInMillis() - total * WRITE_RESERVE_SHARE, usable - (now() - start));
}

/** Full-jitter exponential backoff before attempt `attempt + 1`: up to 100 ms × 2^(attempt-1), at most {@link MAX_BACKOFF_MS}. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(MAX_BACKOFF_MS, 100 * 2 ** (attempt - 1));
}

/** Whether another attempt fits: within the budget's time (any number of attempts), or the first {@link UNBUDGETED_ATTEMPTS} without one. */
export function mayRetry(budget: RetryBudget, attempt: number, waitMs: number): boolean {
  const remaining = budget.remainingMs?.();
  return remaining === undefined ? attempt < UNBUDGETED_ATTEMPTS : waitMs < remaining;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `call` until it succeeds, backing off between attempts while the budget allows; then
 * throws the last error. For lookups a whole batch depends on: an outage of a minute or so is
 * ridden out inside the invocation instead of failing (and redelivering) every record.
 */
export async function retryWithinBudget<T>(call: () => Promise<T>, budget: RetryBudget = {}): Promise<T> {
  const sleep = budget.sleep ?? timer;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait = backoffMs(attempt);
      if (!mayRetry(budget, attempt, wait)) throw error;
      await sleep(wait);
    }
  }
}
