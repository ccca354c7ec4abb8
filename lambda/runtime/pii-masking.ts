import { createHmac } from 'node:crypto';
import type { PiiField } from '../../lib/contract/schema-bundle';
import { nestingDepth } from './parse-record';
import { canonicalJson } from './record-id';

// The shape SchemaRegistry bundles the PII fields in (the contract's; `cdk-serverless-etl/lambda` exports it from here).
export type { PiiField };

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
 *
 * A field is masked by its path whatever the shape found there: an array where the schema says
 * object (`user: [{email}]` for `user.email`) has the rest of the path applied to each element;
 * an object where the schema says array (`items: {email}` for `items.*.email`) has it applied to
 * the object itself and to each of its values; a single value where the schema says an array of
 * PII values (`emails: "a@b"` for `emails.*`) is masked as a whole. Arrays nested deeper than
 * {@link MAX_MASK_DEPTH} on a PII path are replaced by `null`.
 */
export function maskRecord<T extends Record<string, unknown>>(record: T, fields: readonly PiiField[], hasher: PiiHasher | undefined): T {
  return maskFields(record, fields, hasher, new WeakMap()) as T;
}

/** How many arrays-in-arrays (or objects in place of arrays) a PII path is followed through. */
export const MAX_MASK_DEPTH = 32;

/** Containers copied by the masking, and the keys (`'*'`: every element) whose values it masked. */
type Masked = WeakMap<object, Set<string>>;

function maskFields(record: unknown, fields: readonly PiiField[], hasher: PiiHasher | undefined, masked: Masked): unknown {
  let result: unknown = record;
  for (const field of fields) {
    if (field.action === 'hash' && !hasher) {
      throw new Error('cdk-serverless-etl runtime: a schema marks fields "x-pii": "hash" but no hashing key is configured');
    }
    const edit: Edit = field.action === 'redact' ? REMOVE : (v) => (hasher as PiiHasher)(v);
    if (field.path.length > 0) result = descend(result, field.path, edit, masked, 0);
  }
  return result;
}

/** The node itself if it was already copied for this record, else a shallow copy (remembered). */
function ownCopy<T extends object>(node: T, masked: Masked): T {
  if (masked.has(node)) return node;
  const copy = (Array.isArray(node) ? [...node] : { ...node }) as T;
  masked.set(copy, new Set());
  return copy;
}

function mark(container: object, key: string, masked: Masked): void {
  masked.get(container)?.add(key);
}

const REMOVE = Symbol('remove');
type Edit = typeof REMOVE | ((value: unknown) => unknown);

/** Masks `container[key]` (an own copy) by the rest of a path: the value itself when the path ends there. */
function step(container: Record<string, unknown> | unknown[], key: string, rest: readonly string[], edit: Edit, masked: Masked, depth: number): void {
  const record = container as Record<string, unknown>;
  const value = record[key];
  if (value === null || value === undefined) return;
  // The path ends here, or ends in '*' where no array is: the value as a whole is PII.
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '*' && !Array.isArray(value))) {
    if (edit !== REMOVE) record[key] = edit(value);
    else if (Array.isArray(container)) record[key] = null;
    else delete record[key];
    mark(container, key, masked);
    return;
  }
  record[key] = descend(value, rest, edit, masked, depth);
}

function descend(node: unknown, path: readonly string[], edit: Edit, masked: Masked, depth: number): unknown {
  if (node === null || typeof node !== 'object') return node;
  // A record nesting arrays deeper than any schema would: mask what is there rather than recurse on.
  if (depth > MAX_MASK_DEPTH) return null;
  const [head, ...rest] = path;
  if (Array.isArray(node)) {
    if (head === '*') {
      // The elements themselves are PII when the path ends here: hash each one, or remove them all.
      if (rest.length === 0) {
        if (edit === REMOVE) return [];
        const copy = ownCopy(node, masked);
        for (let i = 0; i < copy.length; i++) if (copy[i] !== null && copy[i] !== undefined) copy[i] = edit(copy[i]);
        mark(copy, '*', masked);
        return copy;
      }
      const copy = ownCopy(node, masked);
      for (let i = 0; i < copy.length; i++) step(copy, String(i), rest, edit, masked, depth);
      return copy;
    }
    if (/^\d+$/.test(head)) {
      const index = Number(head);
      if (index >= node.length) return node;
      const copy = ownCopy(node, masked);
      step(copy, String(index), rest, edit, masked, depth);
      return copy;
    }
    // An array where the schema says object: the same path applies to each element.
    const copy = ownCopy(node, masked);
    for (let i = 0; i < copy.length; i++) copy[i] = descend(copy[i], path, edit, masked, depth + 1);
    return copy;
  }
  const object = node as Record<string, unknown>;
  if (head === '*') {
    if (rest.length === 0) return node; // handled by the caller (the whole value is PII)
    // An object where the schema says array: the rest applies to the object itself (one element)
    // and to each of its values (a map of elements).
    let copy = descend(object, rest, edit, masked, depth + 1) as Record<string, unknown>;
    for (const key of Object.keys(copy)) {
      const value = copy[key];
      if (value === null || typeof value !== 'object' || masked.get(copy)?.has(key)) continue;
      copy = ownCopy(copy, masked);
      copy[key] = descend(value, rest, edit, masked, depth + 1);
    }
    return copy;
  }
  if (!Object.prototype.hasOwnProperty.call(object, head)) return node;
  const copy = ownCopy(object, masked);
  step(copy, head, rest, edit, masked, depth);
  return copy;
}

/** How deep {@link maskQuarantineInput} looks into an input; anything deeper is removed. */
export const MAX_SCRUB_DEPTH = 64;

/** What replaces a value the text scrubber removes. */
export const PII_REMOVED = '[pii removed]';

/**
 * Masks an input that failed (it goes to quarantine, not curated), as thoroughly as it can:
 *
 * - a JSON object is masked by every field's path (like {@link maskRecord}), then every property
 *   named like a PII field (compared without case) is hashed or removed wherever it is;
 * - an array is masked element by element the same way;
 * - a string holding JSON (a double-encoded body, at any depth) is decoded, masked and encoded
 *   again; other text is scrubbed ({@link scrubPiiText});
 * - values nested deeper than {@link MAX_SCRUB_DEPTH} are removed.
 *
 * Text input stays text (masked JSON is serialized again).
 */
export function maskQuarantineInput(input: unknown, fields: readonly PiiField[], hasher: PiiHasher | undefined): unknown {
  if (fields.length === 0) return input;
  const names = new Map<string, PiiField['action']>();
  for (const name of piiFieldNames(fields)) {
    const key = name.toLowerCase();
    // A name redacted on one path is redacted wherever it is matched by name.
    const action = fields.some((f) => f.action === 'redact' && lastName(f) === name) || !hasher ? 'redact' : 'hash';
    if (names.get(key) !== 'redact') names.set(key, action);
  }
  const scrubber = new QuarantineScrubber(fields, hasher, names);
  return scrubber.value(input, 0, true);
}

function lastName(field: PiiField): string | undefined {
  return [...field.path].reverse().find((segment) => segment !== '*' && !/^\d+$/.test(segment));
}

class QuarantineScrubber {
  private readonly masked: Masked = new WeakMap();
  private readonly textNames: string[];

  constructor(
    private readonly fields: readonly PiiField[],
    private readonly hasher: PiiHasher | undefined,
    private readonly names: ReadonlyMap<string, PiiField['action']>,
  ) {
    this.textNames = [...names.keys()];
  }

  /** `root`: a record (or a list of records, or the text of one) whose paths start here. */
  value(value: unknown, depth: number, root: boolean): unknown {
    if (depth > MAX_SCRUB_DEPTH) return PII_REMOVED;
    if (typeof value === 'string') return this.text(value, depth, root);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      // A list of records (a batch sent as one body) has the records' paths in each element.
      if (this.masked.get(value)?.has('*')) return value;
      return value.map((element) => this.value(element, depth + 1, root));
    }
    const object = root ? (maskFields(value, this.fields, this.hasher, this.masked) as Record<string, unknown>) : (value as Record<string, unknown>);
    const done = this.masked.get(object);
    // Prototype-free: a key named `__proto__` stays a key.
    const result = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (done?.has(key)) {
        result[key] = item;
        continue;
      }
      const action = this.names.get(key.toLowerCase());
      if (action === undefined) result[key] = this.value(item, depth + 1, false);
      else if (action === 'hash' && (item === null || typeof item !== 'object')) result[key] = item === null ? null : (this.hasher as PiiHasher)(item);
      // redact, or a structure under a name to hash (of any depth): left out
    }
    return result;
  }

  private text(text: string, depth: number, root: boolean): string {
    const trimmed = text.trim();
    // Text nested deeper than the scrub looks is not parsed (building it could take seconds).
    if (/^["[{]/.test(trimmed) && nestingDepth(trimmed, MAX_SCRUB_DEPTH - depth + 1) <= MAX_SCRUB_DEPTH - depth) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        return scrubPiiText(text, this.textNames);
      }
      if (parsed !== null && typeof parsed === 'object') return JSON.stringify(this.value(parsed, depth + 1, root));
      if (typeof parsed === 'string') return JSON.stringify(this.text(parsed, depth + 1, root));
    }
    return scrubPiiText(text, this.textNames);
  }
}

/**
 * Best-effort scrubbing of text that is not valid JSON (so cannot be masked field by field) before
 * it is stored in quarantine: the value after every key named like a PII field is replaced by
 * `"[pii removed]"`. Keys are compared without case, after decoding escapes (`"em\u0061il"`),
 * quoted with `"` or `'` at any level of escaping (`\"email\":` inside a double-encoded string)
 * or not quoted at all (`email: x`, `email=x`); the value ends where it would in JSON (a string
 * at its closing quote, an array or object at its closing bracket, else at the next `,` `;` `&`
 * `}` `]`, quote or space) or at the end of the text when it does not end.
 */
export function scrubPiiText(text: string, fieldNames: readonly string[]): string {
  if (fieldNames.length === 0) return text;
  const names = new Set(fieldNames.map((n) => n.toLowerCase()));
  // A quoted key (any number of backslashes before its quotes), or a bare one; then `:` or `=`.
  const keyPattern = /(?<!\\)(\\*)(["'])([^"'\n]*?)\1\2\s*[:=]|(?<![\w$.\\-])([A-Za-z_$][\w$.-]*)\s*[:=]/g;
  let out = '';
  let copied = 0;
  for (let match = keyPattern.exec(text); match !== null; match = keyPattern.exec(text)) {
    const quoted = match[2] !== undefined;
    const name = quoted ? unescapeKey(match[3]) : match[4];
    if (!names.has(name.toLowerCase())) continue;
    let start = match.index + match[0].length;
    while (start < text.length && /\s/.test(text[start])) start++;
    const end = valueEnd(text, start);
    const delimiter = quoted ? `${match[1]}${match[2] === "'" ? "'" : '"'}` : '';
    out += `${text.slice(copied, start)}${delimiter}${PII_REMOVED}${delimiter}`;
    copied = end;
    keyPattern.lastIndex = Math.max(end, keyPattern.lastIndex);
  }
  return out + text.slice(copied);
}

/** A key's text with its escapes decoded, however many times it was escaped. */
function unescapeKey(key: string): string {
  let result = key;
  for (let i = 0; i < 8 && result.includes('\\'); i++) {
    result = result.replace(/\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))/g, (_m, u: string | undefined, x: string | undefined, c: string | undefined) => {
      if (u !== undefined) return String.fromCharCode(parseInt(u, 16));
      if (x !== undefined) return String.fromCharCode(parseInt(x, 16));
      return c ?? '';
    });
  }
  return result;
}

/** The quote at `at` (preceded by its backslashes), if one starts there: its escape level and character. */
function quoteAt(text: string, at: number): { readonly backslashes: number; readonly quote: string; readonly length: number } | undefined {
  let i = at;
  while (text[i] === '\\') i++;
  if (text[i] !== '"' && text[i] !== "'") return undefined;
  return { backslashes: i - at, quote: text[i], length: i - at + 1 };
}

/** Where a quoted string opened at `from` (after its quote) ends: after its closing quote, or the text's end. */
function stringEnd(text: string, from: number, quote: string, backslashes: number): number {
  for (let i = text.indexOf(quote, from); i !== -1; i = text.indexOf(quote, i + 1)) {
    let b = 0;
    while (i - b - 1 >= from && text[i - b - 1] === '\\') b++;
    // Unescaped JSON: an even number of backslashes before the quote; escaped k times: exactly k.
    if (backslashes === 0 ? b % 2 === 0 : b === backslashes) return i + 1;
  }
  return text.length;
}

/** Where the value starting at `start` ends (exclusive). */
function valueEnd(text: string, start: number): number {
  const opening = quoteAt(text, start);
  if (opening) return stringEnd(text, start + opening.length, opening.quote, opening.backslashes);
  if (text[start] === '[' || text[start] === '{') {
    let depth = 0;
    for (let i = start; i < text.length; ) {
      const c = text[i];
      const quote = c === '\\' || c === '"' || c === "'" ? quoteAt(text, i) : undefined;
      if (quote) {
        i = stringEnd(text, i + quote.length, quote.quote, quote.backslashes);
        continue;
      }
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      i++;
      if (depth === 0) return i;
    }
    return text.length;
  }
  let end = start;
  while (end < text.length && !/[,;&}\]\s"'\\]/.test(text[end])) end++;
  return end;
}

/**
 * Whether the record id field (a top-level field) is marked x-pii: then the id the runtime uses
 * everywhere (claims, sink keys, lineage, quarantine, logs) is the field's keyed hash, the value
 * a `hash` action gives the field itself.
 */
export function isPiiIdField(idField: string | undefined, fields: readonly PiiField[]): boolean {
  return idField !== undefined && fields.some((f) => f.path[0] === idField && f.path.slice(1).every((s) => s === '*'));
}

/** The property name holding each PII field's value (for {@link scrubPiiText}): for array paths, the array's name. */
export function piiFieldNames(fields: readonly PiiField[]): string[] {
  const names = fields.map(lastName);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}
