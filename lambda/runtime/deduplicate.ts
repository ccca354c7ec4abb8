import { idempotencyKey } from './idempotency-key';
import type { IdempotencyStore } from './idempotency-store';
import type { DuplicateFilter } from './process-batch';
import { positionId } from './source-records';
import type { SourcePosition } from './transform-contract';

/** Whether a curated object exists (HeadObject). */
export type ObjectExists = (key: string) => Promise<boolean>;

/** When a claim without its object is still being written by another invocation. */
export interface InFlightOptions {
  /**
   * A claim this young, made by another input, is in flight (its object is being written), not
   * stale: about the function's timeout. @default 900000 (15 minutes, Lambda's longest timeout)
   */
  readonly inFlightMs?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * Cross-batch duplicate detection with the idempotency store: an id whose claim points to an
 * existing curated object is a duplicate (`redelivered` when the claim is this same input's, an
 * earlier delivery of it). A claim whose object does not exist is either in flight
 * (another input claimed it less than `inFlightMs` ago and is writing its object now: the record
 * waits, see `inFlight`) or stale (its attempt crashed or failed to write, or it is this same input
 * delivered again) and the record is processed again, taking the claim over. One HeadObject per
 * distinct object key of the batch's known ids.
 */
export function storeDuplicateFilter(store: IdempotencyStore, objectExists: ObjectExists, options: InFlightOptions = {}): DuplicateFilter {
  const inFlightMs = options.inFlightMs ?? 900_000;
  const now = options.now ?? Date.now;
  return async (envelopes) => {
    const claimed = await store.lookupClaims(envelopes.map(idempotencyKey));
    const existence = new Map<string, Promise<boolean>>();
    const exists = (key: string) => {
      let answer = existence.get(key);
      if (!answer) existence.set(key, (answer = objectExists(key)));
      return answer;
    };
    const duplicates = new Set<string>();
    const redelivered = new Set<string>();
    const inFlight = new Set<string>();
    const stale = new Map<string, string>();
    await Promise.all(
      envelopes.map(async (e) => {
        const claim = claimed.get(idempotencyKey(e));
        if (claim === undefined) return;
        const sameInput = claim.position === positionId(e.position);
        if (await exists(claim.objectKey)) {
          duplicates.add(e.itemId);
          if (sameInput) redelivered.add(e.itemId);
        } else if (claim.position !== undefined && !sameInput && claim.claimedAt !== undefined && now() - claim.claimedAt < inFlightMs) {
          inFlight.add(e.itemId);
        } else stale.set(idempotencyKey(e), claim.objectKey);
      }),
    );
    return { duplicates, stale, inFlight, redelivered };
  };
}

/** Waits before each look at records claimed concurrently: about 3 s in all, only when it happens. */
const CONFLICT_WAITS_MS = [200, 800, 2000];

/**
 * Records another invocation claimed first are duplicates once that invocation's object exists;
 * until then they are retried. Looks again a few times (the other write is usually done within a
 * second), so two line ranges of one file sharing an id do not fail a range. Returns the item ids
 * found to be duplicates, and of those the ones another delivery of this same input stored.
 */
export async function settleConflicts(
  conflicted: ReadonlyArray<{ itemId: string; recordId: string; position: SourcePosition; run?: string; version?: string | null }>,
  duplicateFilter: DuplicateFilter,
  sleep: (ms: number) => Promise<void>,
): Promise<{ settled: Set<string>; redelivered: Set<string> }> {
  const settled = new Set<string>();
  const redelivered = new Set<string>();
  let open = [...conflicted];
  for (const wait of CONFLICT_WAITS_MS) {
    if (open.length === 0) break;
    await sleep(wait);
    let found: Awaited<ReturnType<DuplicateFilter>>;
    try {
      found = await duplicateFilter(open.map((c) => ({ id: c.recordId, itemId: c.itemId, position: c.position, run: c.run, version: c.version })));
    } catch {
      break; // the store is not answering: the records stay retried
    }
    found.duplicates.forEach((itemId) => settled.add(itemId));
    found.redelivered?.forEach((itemId) => redelivered.add(itemId));
    open = open.filter((c) => !found.duplicates.has(c.itemId));
  }
  return { settled, redelivered };
}
