import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Where curated records are also written, one item each. */
export interface TableSinkTarget {
  readonly table: string;
  /** The table's partition key attribute (string), which receives the record id. */
  readonly key: string;
}

/**
 * Writes records to a DynamoDB table with conditional puts (`attribute_not_exists(<key>)`): a
 * record already written by an earlier attempt is left as it is and counts as written, so
 * retries and redeliveries never overwrite or duplicate. Item keys come from {@link sinkItemKey}.
 * @returns the ids whose item could not be written (to retry)
 */
export async function writeToTable(
  ddb: DynamoDBClient,
  target: TableSinkTarget,
  records: ReadonlyArray<{ readonly id: string; readonly record: Record<string, unknown> }>,
  concurrency = 16,
): Promise<Set<string>> {
  const failed = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const { id, record } = records[next++];
      try {
        await ddb.send(
          new PutItemCommand({
            TableName: target.table,
            Item: { ...(marshall(record).M as Record<string, AttributeValue>), [target.key]: { S: id } },
            ConditionExpression: 'attribute_not_exists(#k)',
            ExpressionAttributeNames: { '#k': target.key },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') failed.add(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  return failed;
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
 */
export function sinkItemKey(recordId: string, index: number): string {
  const escaped = recordId.replace(/[\\#]/g, (c) => `\\${c}`);
  return index === 0 ? escaped : `${escaped}#${index}`;
}
