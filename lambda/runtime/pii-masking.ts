import { createHmac } from 'node:crypto';
import { canonicalJson } from './record-id';

/** A field marked `"x-pii"` in a schema: where it is and what to do with it. */
export interface PiiField {
  /** Property names from the record root; `'*'` stands for every element of an array. */
  readonly path: readonly string[];
  /** `hash`: replace by a keyed hash (joins still work); `redact`: remove the field. */
  readonly action: 'hash' | 'redact';
}

/** Turns a value into its keyed hash. */
export type PiiHasher = (value: unknown) => string;

/**
 * A keyed hash (HMAC-SHA256, hex) of a value's canonical JSON. Without the key, the hash cannot be
 * reversed by trying likely values, unlike a plain hash of an e-mail address or user id.
 */
export function createPiiHasher(key: string | Buffer): PiiHasher {
  return (value) => createHmac('sha256', key).update(typeof value === 'string' ? value : canonicalJson(value)).digest('hex');
}

/**
 * Returns a copy of `record` with every PII field hashed or removed. The input is not modified;
 * only the objects on a PII field's path are copied.
 */
export function maskRecord<T extends Record<string, unknown>>(record: T, fields: readonly PiiField[], hasher: PiiHasher | undefined): T {
  let result: unknown = record;
  // Objects already copied for this record: each is copied once however many fields it holds.
  const copies = new WeakSet<object>();
  for (const field of fields) {
    if (field.action === 'hash' && !hasher) {
      throw new Error('cdk-serverless-etl runtime: a schema marks fields "x-pii": "hash" but no hashing key is configured');
    }
    result = applyAtPath(result, field.path, field.action === 'redact' ? REMOVE : (v) => (hasher as PiiHasher)(v), copies);
  }
  return result as T;
}

/** The node itself if it was already copied for this record, else a shallow copy (remembered). */
function ownCopy<T extends object>(node: T, copies: WeakSet<object>): T {
  if (copies.has(node)) return node;
  const copy = (Array.isArray(node) ? [...node] : { ...node }) as T;
  copies.add(copy);
  return copy;
}

const REMOVE = Symbol('remove');
type Edit = typeof REMOVE | ((value: unknown) => unknown);

function applyAtPath(node: unknown, path: readonly string[], edit: Edit, copies: WeakSet<object>): unknown {
  if (path.length === 0 || node === null || typeof node !== 'object') return node;
  const [head, ...rest] = path;
  if (Array.isArray(node)) {
    if (head === '*') {
      // The elements themselves are PII when the path ends here: hash each one, or remove them all.
      if (rest.length === 0 && edit === REMOVE) return [];
      const copy = ownCopy(node, copies);
      for (let i = 0; i < copy.length; i++) {
        copy[i] = rest.length > 0 ? applyAtPath(copy[i], rest, edit, copies) : copy[i] === null || copy[i] === undefined ? copy[i] : (edit as (v: unknown) => unknown)(copy[i]);
      }
      return copy;
    }
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= node.length) return node;
    const copy = ownCopy(node, copies);
    if (rest.length > 0) copy[index] = applyAtPath(copy[index], rest, edit, copies);
    else if (edit === REMOVE) copy[index] = null;
    else if (copy[index] !== null && copy[index] !== undefined) copy[index] = edit(copy[index]);
    return copy;
  }
  if (!Object.prototype.hasOwnProperty.call(node, head)) return node;
  const copy = ownCopy(node as Record<string, unknown>, copies);
  if (rest.length > 0) {
    copy[head] = applyAtPath(copy[head], rest, edit, copies);
  } else if (edit === REMOVE) {
    delete copy[head];
  } else if (copy[head] !== null && copy[head] !== undefined) {
    copy[head] = edit(copy[head]);
  }
  return copy;
}

/**
 * Best-effort scrubbing of text that is not valid JSON (so cannot be masked field by field) before
 * it is stored in quarantine: the value after any `"<name>":` for a PII field name is replaced.
 */
export function scrubPiiText(text: string, fieldNames: readonly string[]): string {
  if (fieldNames.length === 0) return text;
  const names = fieldNames.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  // The value: a string (possibly unterminated), an array (possibly unterminated), or a bare token.
  const pattern = new RegExp(`("(?:${names})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"?|\\[[^\\]]*\\]?|[^,}\\]\\s]+)`, 'g');
  return text.replace(pattern, '$1"[pii removed]"');
}

/** The property name holding each PII field's value (for {@link scrubPiiText}): for array paths, the array's name. */
export function piiFieldNames(fields: readonly PiiField[]): string[] {
  const names = fields.map((f) => [...f.path].reverse().find((segment) => segment !== '*' && !/^\d+$/.test(segment)));
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}
