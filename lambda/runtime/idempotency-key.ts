/**
 * The key a record is deduplicated by (its claim in the idempotency store, and its place in a
 * batch's own deduplication): the record id, namespaced by the reprocess run when the record is
 * re-derived by one (see lib/contract/reprocess.ts). So a reprocess run curates each record once
 * within the run (a retry of the run finds its own claims), and never counts a record as a
 * duplicate of its first processing, which is what it corrects.
 */
export function idempotencyKey(record: { readonly id: string; readonly run?: string }): string {
  return record.run === undefined ? record.id : `${record.run}#${record.id}`;
}
