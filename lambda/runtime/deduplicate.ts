import type { IdempotencyStore } from './idempotency-store';
import type { DuplicateFilter } from './process-batch';
import { positionId } from './s3-sink';

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
 * existing curated object is a duplicate. A claim whose object does not exist is either in flight
 * (another input claimed it less than `inFlightMs` ago and is writing its object now: the record
 * waits, see `inFlight`) or stale (its attempt crashed or failed to write, or it is this same input
 * delivered again) and the record is processed again, taking the claim over. One HeadObject per
 * distinct object key of the batch's known ids.
 */
export function storeDuplicateFilter(store: IdempotencyStore, objectExists: ObjectExists, options: InFlightOptions = {}): DuplicateFilter {
  const inFlightMs = options.inFlightMs ?? 900_000;
  const now = options.now ?? Date.now;
  return async (envelopes) => {
    const claimed = await store.lookupClaims(envelopes.map((e) => e.id));
    const existence = new Map<string, Promise<boolean>>();
    const exists = (key: string) => {
      let answer = existence.get(key);
      if (!answer) existence.set(key, (answer = objectExists(key)));
      return answer;
    };
    const duplicates = new Set<string>();
    const inFlight = new Set<string>();
    const stale = new Map<string, string>();
    await Promise.all(
      envelopes.map(async (e) => {
        const claim = claimed.get(e.id);
        if (claim === undefined) return;
        if (await exists(claim.objectKey)) duplicates.add(e.itemId);
        else if (claim.position !== undefined && claim.position !== positionId(e.position) && claim.claimedAt !== undefined && now() - claim.claimedAt < inFlightMs) {
          inFlight.add(e.itemId);
        } else stale.set(e.id, claim.objectKey);
      }),
    );
    return { duplicates, stale, inFlight };
  };
}
