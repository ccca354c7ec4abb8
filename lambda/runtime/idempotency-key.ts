import { canonicalJson } from './record-id';

/** What a record's idempotency key is made of. */
export interface IdempotencyKeyParts {
  /** The record id (its keyed hash when the id field is PII). */
  readonly id: string;
  /** The reprocess run re-deriving the record (see lib/contract/reprocess.ts). @default - none */
  readonly run?: string;
  /**
   * The record's version (see {@link recordVersion}) when the pipeline declares a record version
   * field (`RECORD_VERSION_FIELD`); `null` when it declares one and the record has none;
   * `undefined` when it declares none.
   */
  readonly version?: string | null;
}

/**
 * The key a record is deduplicated by (its claim in the idempotency store, and its place in a
 * batch's own deduplication): what "the same record" means.
 *
 * - Without a declared version, the record id, as it always was. With one (`recordVersionField`),
 *   the id and the version, so a redelivery of a version is a duplicate and another version of the
 *   id is a record of its own (the current table orders them). Then `\` and `#` of both parts are
 *   escaped with a `\` and the parts joined by `#`: only a versioned record's key holds an
 *   unescaped `#`, so no id can take another record's key (`a#1` without a version is `a\#1`, id
 *   `a` at version 1 is `a#1`). A record without a version keeps its plain id when the id holds
 *   neither character, so declaring a version later does not re-curate what the store holds.
 * - Namespaced by the reprocess run when the record is re-derived by one: a reprocess run curates
 *   each record once within the run (a retry of the run finds its own claims), and never counts a
 *   record as a duplicate of its first processing, which is what it corrects.
 */
export function idempotencyKey(record: IdempotencyKeyParts): string {
  const key = record.version === undefined ? record.id : versionedKey(record.id, record.version);
  return record.run === undefined ? key : `${record.run}#${key}`;
}

function versionedKey(id: string, version: string | null): string {
  return version === null ? escapeKeyPart(id) : `${escapeKeyPart(id)}#${escapeKeyPart(version)}`;
}

/**
 * A record's version as key text, from the value of its version field: a string as it is, a number
 * as JavaScript prints it (so `2` and `"2"` are one version), any other JSON value as its canonical
 * JSON; absent, null or an empty string: `null`, no version.
 */
export function recordVersion(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return canonicalJson(value);
}

/** `\` and `#` escaped with a `\`: the escaping of key parts (also of the sink table's item keys). */
export function escapeKeyPart(text: string): string {
  return text.replace(/[\\#]/g, (c) => `\\${c}`);
}
