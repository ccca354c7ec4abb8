import type { PipelineRecord } from './transform-contract';

/** EventBridge metadata of a record that arrived as an EventBridge event. */
export interface EventBridgeMetadata {
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  /** The replay that put it on the bus again (`replay-name`, which EventBridge adds to replayed events). */
  readonly replayName?: string;
}

/** The outcome of parsing a source record's body. */
export type ParseResult =
  | { readonly ok: true; readonly record: PipelineRecord; readonly eventBridge?: EventBridgeMetadata }
  | { readonly ok: false; readonly reason: 'MALFORMED_JSON' | 'NOT_AN_OBJECT' | 'TOO_DEEP'; readonly message: string };

/**
 * Deepest nesting of objects and arrays a record may have (the top-level object is depth 1;
 * an EventBridge envelope adds one). Deeper records are quarantined as `TOO_DEEP`: everything
 * after parsing (validation, masking, hashing, serialising, the user's transform) may then
 * recurse over a record without a stack a record can exhaust.
 */
export const MAX_RECORD_DEPTH = 64;

/**
 * Parses a record body into a JSON object. An EventBridge event (as delivered through an SQS
 * buffer queue) is unwrapped to its `detail`, keeping its source and detail-type.
 */
export function parseRecordBody(body: string): ParseResult {
  // Fewer opening brackets than the limit cannot nest past it: most records skip the scan.
  const depth = atLeastOpenings(body, MAX_RECORD_DEPTH + 1) ? nestingDepth(body, MAX_RECORD_DEPTH + 1) : 0;
  if (depth > MAX_RECORD_DEPTH) {
    return { ok: false, reason: 'TOO_DEEP', message: `nested more than ${MAX_RECORD_DEPTH} levels deep` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    // The parser's own message quotes the input around the bad token (which may be PII): keep
    // only where the input stops being JSON.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return { ok: false, reason: 'MALFORMED_JSON', message: at ? `not valid JSON (at character ${at})` : 'not valid JSON' };
  }
  let eventBridge: EventBridgeMetadata | undefined;
  if (isEventBridgeEvent(value)) {
    const replayName = (value as { 'replay-name'?: unknown })['replay-name'];
    eventBridge = { id: value.id, source: value.source, detailType: String(value['detail-type']), ...(typeof replayName === 'string' ? { replayName } : {}) };
    value = value.detail;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'NOT_AN_OBJECT', message: `expected a JSON object, got ${describe(value)}` };
  }
  return { ok: true, record: value as PipelineRecord, eventBridge };
}

/** Whether a value is an EventBridge event envelope. */
export function isEventBridgeEvent(value: unknown): value is { id: string; source: string; 'detail-type': unknown; detail: unknown } {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return 'detail-type' in v && 'detail' in v && typeof v.source === 'string' && typeof v.id === 'string';
}

/**
 * The deepest nesting of `{` and `[` in a JSON text (outside strings), counted in one pass without
 * recursion; stops counting at `stopAt`. Malformed text gets some depth: JSON.parse rejects it next.
 */
export function nestingDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) >= stopAt) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Whether `text` holds at least `n` of `{` and `[` together (native searches, no per-character loop). */
function atLeastOpenings(text: string, n: number): boolean {
  let count = 0;
  for (const c of ['{', '[']) {
    for (let at = text.indexOf(c); at !== -1; at = text.indexOf(c, at + 1)) if (++count >= n) return true;
  }
  return false;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
