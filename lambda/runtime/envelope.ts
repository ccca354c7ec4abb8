import { RUNTIME_DEFAULTS } from '../../lib/contract/environment';
import { reprocessRunOfReplay } from '../../lib/contract/reprocess';
import type { RuntimeConfig } from './config';
import { parseRecordBody } from './parse-record';
import { recordVersion } from './idempotency-key';
import { payloadHashId } from './record-id';
import type { SourceRecord } from './source-records';
import type { PipelineRecord, SourcePosition } from './transform-contract';

/**
 * A record normalized from whatever delivered it: the unit the runtime validates, masks,
 * deduplicates, transforms and writes.
 */
export interface Envelope {
  /** The Lambda batch item this record came in (Kinesis sequence number, SQS message id, ...). */
  readonly itemId: string;
  /** The record id: the id field's value, or a hash of the payload (its key: see `idempotencyKey`). */
  readonly id: string;
  /**
   * The record's version, when the pipeline declares a record version field (`recordVersionField`):
   * the field's value as text (see `recordVersion`), `null` when the record has none.
   * @default - the pipeline declares no version
   */
  readonly version?: string | null;
  /** Who sent it: the EventBridge `source`, else the delivering service. */
  readonly source: string;
  /** The event type: the EventBridge `detail-type`, when there is one. */
  readonly type?: string;
  /** Event time, ISO-8601 (the receive time when the record has no valid event time). */
  readonly eventTime: string;
  /** Whether `eventTime` came from the record (true) or fell back to the receive time. */
  readonly eventTimeFromRecord: boolean;
  /**
   * The record's event time was valid but outside the bounds the warehouse reads (before its first
   * partition date, or too far past the receive time): `eventTime` fell back to the receive time.
   */
  readonly eventTimeOutOfBounds?: true;
  /** When the source received the record, ISO-8601. */
  readonly receivedAt: string;
  /** The record itself. */
  readonly payload: PipelineRecord;
  /** Where it came from. */
  readonly position: SourcePosition;
  /**
   * The reprocess run re-deriving it: the batch workflow execution's (`SourceRecord.reprocessRun`)
   * or the EventBridge replay's (`replay-name`, when it is a reprocess run id).
   * @default - none
   */
  readonly run?: string;
}

/** Why an input could not become an envelope. */
export type EnvelopeFailure = 'MALFORMED_JSON' | 'NOT_AN_OBJECT' | 'TOO_DEEP' | 'INVALID_UTF8' | 'MISSING_ID';

/** The outcome of building an envelope. */
export type EnvelopeResult =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: EnvelopeFailure; readonly message: string; readonly input: unknown };

/** Builds the envelope of one source record; never throws for bad input. */
export function toEnvelope(record: SourceRecord, config: RuntimeConfig): EnvelopeResult {
  if (record.invalidUtf8) return { ok: false, reason: 'INVALID_UTF8', message: 'not valid UTF-8', input: record.body };
  if (record.tooDeep) return { ok: false, reason: 'TOO_DEEP', message: 'nested too deep to serialise', input: null };
  const parsed = parseRecordBody(record.body);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, message: parsed.message, input: record.body };
  const payload = parsed.record;

  let id: string;
  if (config.idField) {
    const raw = payload[config.idField];
    if ((typeof raw !== 'string' && typeof raw !== 'number') || raw === '') {
      return {
        ok: false,
        reason: 'MISSING_ID',
        message: `field ${JSON.stringify(config.idField)} must be a non-empty string or a number`,
        input: payload,
      };
    }
    id = String(raw);
  } else {
    id = payloadHashId(payload);
  }

  const receivedAt = new Date(record.receivedAtMs).toISOString();
  const parsedMs = parseTime(payload[config.eventTimeField]);
  const outOfBounds = parsedMs !== undefined && !withinBounds(parsedMs, record.receivedAtMs, config);
  const eventMs = outOfBounds ? undefined : parsedMs;
  const meta = parsed.eventBridge;
  const run = record.reprocessRun ?? reprocessRunOfReplay(meta?.replayName);
  const version = config.recordVersionField === undefined ? undefined : recordVersion(payload[config.recordVersionField]);
  return {
    ok: true,
    envelope: {
      itemId: record.itemId,
      id,
      ...(version === undefined ? {} : { version }),
      source: meta?.source ?? record.position.kind,
      type: meta?.detailType,
      eventTime: eventMs === undefined ? receivedAt : new Date(eventMs).toISOString(),
      eventTimeFromRecord: eventMs !== undefined,
      ...(outOfBounds ? { eventTimeOutOfBounds: true as const } : {}),
      receivedAt,
      payload,
      position: record.position,
      ...(run === undefined ? {} : { run }),
    },
  };
}

const EARLIEST_DEFAULT_MS = Date.parse(`${RUNTIME_DEFAULTS.eventTimeEarliest}T00:00:00Z`);

/**
 * Whether an event time lands in a partition the warehouse's projection reads: not before the
 * earliest date (`dt` from the first partition date on) and at most the allowed skew past the
 * receive time (which also keeps `dt` a four-digit year). Seconds mistaken for milliseconds, "1"
 * read as 2001, or 1e15 (year 33658) all fail this.
 */
function withinBounds(eventMs: number, receivedAtMs: number, config: RuntimeConfig): boolean {
  const earliest = config.eventTimeEarliestMs ?? EARLIEST_DEFAULT_MS;
  const skewMs = (config.eventTimeMaxSkewSeconds ?? RUNTIME_DEFAULTS.eventTimeMaxSkewSeconds) * 1000;
  return eventMs >= earliest && eventMs <= receivedAtMs + skewMs;
}

/** Epoch milliseconds of an ISO-8601 string or epoch-millisecond number; undefined if invalid. */
function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
