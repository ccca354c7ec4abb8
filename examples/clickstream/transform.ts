/**
 * Reference transform of the clickstream pipeline.
 *
 * - normalizes `page.url` into `host` and `path` (and the referrer's host);
 * - derives `isConversion` (a purchase);
 * - drops bot traffic (`properties.bot === true`) on purpose: returning null is counted, not an error;
 * - passes the event's `revision` on (1 when absent: its first version), which orders the versions
 *   of an eventId in the current table (`currentTable.versionField`); a correction is the event
 *   re-sent with a higher revision (schema version 2);
 * - turns a retraction (`eventType: 'retracted'`, schema version 2) into a delete of its eventId,
 *   ordered by its revision like any correction: the event leaves the table's live view;
 * - never passes `email`, `ip` or `userId` on: the runtime has already removed `email` and `ip`
 *   and replaced `userId` by a keyed hash (the schema marks them `x-pii`); curated records carry
 *   `userKey`, a hash of that, so even a pipeline run without the schema never leaks a raw id.
 */
import { createHash } from 'node:crypto';
import { deleteRecord, type DeleteOutput } from '../../lambda/runtime/record-operations';
import type { PipelineRecord, TransformContext } from '../../lambda/runtime/transform-contract';

/** A curated clickstream record. */
export type CuratedClickstreamEvent = {
  eventId: string;
  revision: number;
  eventTime: string;
  eventType: string;
  userKey: string;
  sessionId: string;
  host: string;
  path: string;
  referrerHost: string | null;
  isConversion: boolean;
  properties: Record<string, unknown>;
  schemaVersion: string;
  pipeline: string;
};

export function transform(record: PipelineRecord, context: TransformContext): CuratedClickstreamEvent | DeleteOutput | null {
  const revision = typeof record.revision === 'number' ? record.revision : 1;
  if (record.eventType === 'retracted') return deleteRecord(String(record.eventId), { revision });
  const properties = isObject(record.properties) ? record.properties : {};
  if (properties.bot === true) return null;

  const page = record.page;
  if (!isObject(page) || typeof page.url !== 'string') throw new TypeError('page.url must be a string');
  const url = new URL(page.url);
  const referrer = typeof page.referrer === 'string' && page.referrer !== '' ? safeHost(page.referrer) : null;

  return {
    eventId: String(record.eventId),
    revision,
    eventTime: String(record.eventTime),
    eventType: String(record.eventType),
    userKey: createHash('sha256').update(String(record.userId)).digest('hex'),
    sessionId: String(record.sessionId),
    host: url.hostname.toLowerCase(),
    path: normalizePath(url.pathname),
    referrerHost: referrer,
    isConversion: record.eventType === 'purchase',
    properties: withoutPii(properties),
    schemaVersion: typeof record.schemaVersion === 'string' ? record.schemaVersion : '1',
    pipeline: context.pipeline,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function safeHost(value: string): string | null {
  try {
    return new URL(value).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** Lower-cases the path and removes a trailing slash (except for the root). */
function normalizePath(pathname: string): string {
  const lower = decodeURIComponent(pathname).toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Free-form properties must not smuggle the PII fields back in. */
function withoutPii(properties: Record<string, unknown>): Record<string, unknown> {
  const { email: _email, ip: _ip, userId: _userId, ...rest } = properties;
  return rest;
}
