import type { PipelineRecord } from './transform-contract';

/** EventBridge metadata of a record that arrived as an EventBridge event. */
export interface EventBridgeMetadata {
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
}

/** The outcome of parsing a source record's body. */
export type ParseResult =
  | { readonly ok: true; readonly record: PipelineRecord; readonly eventBridge?: EventBridgeMetadata }
  | { readonly ok: false; readonly reason: 'MALFORMED_JSON' | 'NOT_AN_OBJECT'; readonly message: string };

/**
 * Parses a record body into a JSON object. An EventBridge event (as delivered through an SQS
 * buffer queue) is unwrapped to its `detail`, keeping its source and detail-type.
 */
export function parseRecordBody(body: string): ParseResult {
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
    eventBridge = { id: value.id, source: value.source, detailType: String(value['detail-type']) };
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
