import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { escapeKeyPart } from './idempotency-key';
import type { QuarantineReason } from './process-batch';

/** Where curated records are also written, one item each. */
export interface TableSinkTarget {
  readonly table: string;
  /** The table's partition key attribute (string), which receives the record id. */
  readonly key: string;
}

/** Quarantine reason of a record whose sink-table item DynamoDB refuses for good. */
export const SINK_ITEM_REJECTED = 'SINK_ITEM_REJECTED' satisfies QuarantineReason;

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** What writing to the sink table gave. */
export interface TableWriteOutcome {
  /** Item keys not written for a transient reason (throttling, errors): retry them. */
  readonly failed: Set<string>;
  /**
   * Item keys DynamoDB refuses whatever the attempt (a ValidationException: item over 400 KB, a
   * number out of DynamoDB's range or precision), with the reason: quarantine their records, as
   * retrying would fail forever.
   */
  readonly rejected: Map<string, string>;
}

/**
 * Writes records to a DynamoDB table with conditional puts (`attribute_not_exists(<key>)`): a
 * record already written by an earlier attempt is left as it is and counts as written, so
 * retries and redeliveries never overwrite or duplicate. Item keys come from {@link sinkItemKey}.
 * An item over 400 KB is rejected without a call; a `ValidationException` rejects the item too.
 */
export async function writeToTable(
  ddb: DynamoDBClient,
  target: TableSinkTarget,
  records: ReadonlyArray<{ readonly id: string; readonly record: Record<string, unknown> }>,
  concurrency = 16,
): Promise<TableWriteOutcome> {
  const failed = new Set<string>();
  const rejected = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const { id, record } = records[next++];
      const item = { ...(marshall(record).M as Record<string, AttributeValue>), [target.key]: { S: id } };
      const bytes = itemBytes(item);
      if (bytes > MAX_ITEM_BYTES) {
        rejected.set(id, `the sink table item is ${bytes} bytes; DynamoDB stores at most ${MAX_ITEM_BYTES}`);
        continue;
      }
      try {
        await ddb.send(
          new PutItemCommand({
            TableName: target.table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#k)',
            ExpressionAttributeNames: { '#k': target.key },
          }),
        );
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ValidationException') rejected.set(id, `the sink table refused the item: ${(error as Error).message}`);
        else if (name !== 'ConditionalCheckFailedException') failed.add(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  return { failed, rejected };
}

/**
 * An item's size as DynamoDB counts it, at least: attribute names and string values in UTF-8 bytes,
 * numbers about one byte per two digits plus one, one byte per boolean or null, and 3 bytes of
 * overhead per list or map and 1 per element.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|[.eE].*$/g, '').length / 2) + 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  return 1;
}

/** A JSON value as a DynamoDB attribute value (numbers as N, nested objects as M, arrays as L). */
export function marshall(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return Number.isFinite(value) ? { N: String(value) } : { NULL: true };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(marshall) };
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return { M: Object.fromEntries(entries.map(([k, v]) => [k, marshall(v)])) };
  }
  return { S: String(value) };
}

/**
 * The sink table key of a record's `index`-th output: its record id for the first, `<id>#<n>` for
 * the n-th of a fan-out. In the id, a backslash and `#` are escaped with a backslash, so no record's key
 * can equal another record's fan-out key (a record whose id is `a#1` and the second output of `a`).
 * A record with a version (`recordVersionField`) is an item per version: `<id>#v=<version>` (the
 * version escaped the same way), then `#<n>` for a fan-out.
 */
export function sinkItemKey(recordId: string, index: number, version?: string): string {
  const base = version === undefined ? escapeKeyPart(recordId) : `${escapeKeyPart(recordId)}#v=${escapeKeyPart(version)}`;
  return index === 0 ? base : `${base}#${index}`;
}
