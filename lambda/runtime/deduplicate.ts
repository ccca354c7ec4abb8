import type { IdempotencyStore } from './idempotency-store';
import type { DuplicateFilter } from './process-batch';

/** Whether a curated object exists (HeadObject). */
export type ObjectExists = (key: string) => Promise<boolean>;

/**
 * Cross-batch duplicate detection with the idempotency store: an id whose claim points to an
 * existing curated object is a duplicate; a claim whose object does not exist is stale (its
 * attempt crashed or failed to write) and the record is processed again, taking the claim over.
 * One HeadObject per distinct object key of the batch's known ids.
 */
export function storeDuplicateFilter(store: IdempotencyStore, objectExists: ObjectExists): DuplicateFilter {
  return async (envelopes) => {
    const claimed = await store.lookup(envelopes.map((e) => e.id));
    const existence = new Map<string, Promise<boolean>>();
    const exists = (key: string) => {
      let answer = existence.get(key);
      if (!answer) existence.set(key, (answer = objectExists(key)));
      return answer;
    };
    const duplicates = new Set<string>();
    const stale = new Map<string, string>();
    await Promise.all(
      envelopes.map(async (e) => {
        const key = claimed.get(e.id);
        if (key === undefined) return;
        if (await exists(key)) duplicates.add(e.itemId);
        else stale.set(e.id, key);
      }),
    );
    return { duplicates, stale };
  };
}
