/**
 * A jest snapshot serializer that prints a small JSON object or array (one whose JSON fits in
 * {@link MAX_INLINE} characters: an intrinsic function, a tag, a dimension, a short list) on one
 * line, as `JSON.stringify` writes it; larger values are printed as jest prints them, their small
 * parts inline. Snapshots of templates get a third as long and their diffs easier to read.
 */
import type { Plugin } from 'pretty-format';

/** The longest JSON printed on one line. */
const MAX_INLINE = 100;

function isPlainJson(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const serializer: Plugin = {
  test: (value: unknown) => isPlainJson(value) && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0) && JSON.stringify(value).length <= MAX_INLINE,
  serialize: (value: unknown) => JSON.stringify(value),
};

export = serializer;
