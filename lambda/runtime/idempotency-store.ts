import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_TABLE } from '../../lib/contract/storage-layout';
import { backoffMs, mayRetry } from './time-budget';

/** The claim's key: the record id (the table's partition key). */
const ID = IDEMPOTENCY_TABLE.partitionKey;

/** A record id and the curated object its output goes to. */
export interface Claim {
  readonly id: string;
  readonly objectKey: string;
  /** The object key of an earlier claim whose object was never written (a crashed attempt). */
  readonly staleObjectKey?: string;
  /** The claiming input's position (`positionId`): a redelivery of it may take a young claim over. */
  readonly position?: string;
}

/** A claim as stored. */
export interface StoredClaim {
  readonly objectKey: string;
  /** Position of the input that claimed (claims written before positions were stored have none). */
  readonly position?: string;
  /** When it was claimed (epoch ms; none for claims written before this was stored). */
  readonly claimedAt?: number;
}

/** The outcome of claiming ids. */
export interface ClaimOutcome {
  /** Ids another invocation claimed first (a concurrent duplicate): retry them later. */
  readonly conflicts: Set<string>;
  /** Ids whose claim could not be written (throttling, errors): retry them later. */
  readonly failed: Set<string>;
}

const GET_CHUNK = 100;
/** Conditional claims in flight at once (the SDK's HTTP agent keeps up to 50 sockets). */
const PUT_CONCURRENCY = 32;
/** Batch calls in flight at once: a batch of 1,000 ids is 10 BatchGetItem calls, waited for together. */
const BATCH_CONCURRENCY = 8;

/**
 * The idempotency store: which record ids reached curated, and in which object.
 *
 * One item per record id (`id`, `objectKey`, `expiresAt` for TTL). A record is claimed right
 * before its curated object is written; a claim whose object does not exist is stale (the attempt
 * crashed or its write failed) and may be taken over. Calls: one BatchGetItem per 100 ids; one
 * conditional PutItem per new record, whatever the source (the same id can arrive at once by
 * Kinesis and by the bus, or on two shards). Duplicates cost reads only. The chunks of a lookup are
 * sent concurrently (at most 8 calls in flight); each chunk retries on its own.
 */
export class IdempotencyStore {
  /** DynamoDB calls made, for metrics and benchmarks. */
  public calls = 0;
  /**
   * Milliseconds lookups may still spend retrying (see `invocationBudget`); set per invocation by
   * the handler. None: 5 attempts.
   */
  public retryBudget?: () => number;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly ttlSeconds: number,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly now: () => number = Date.now,
  ) {}

  /** The object key each already-claimed id points to (strongly consistent reads). */
  public async lookup(ids: readonly string[]): Promise<Map<string, string>> {
    const claims = await this.lookupClaims(ids);
    return new Map([...claims].map(([id, c]) => [id, c.objectKey]));
  }

  /**
   * The claim of each already-claimed id: object key, claiming position and time. A chunk whose
   * call fails (throttled after the SDK's own retries, an outage) or leaves keys unprocessed is
   * retried with backoff for as long as {@link retryBudget} allows (without one, 5 attempts), so a
   * short outage does not fail the whole batch; then the last error is thrown.
   */
  public async lookupClaims(ids: readonly string[]): Promise<Map<string, StoredClaim>> {
    const found = new Map<string, StoredClaim>();
    const unique = [...new Set(ids)];
    await inChunks(unique, GET_CHUNK, async (chunk) => {
      let keys: Array<Record<string, AttributeValue>> = chunk.map((id) => ({ [ID]: { S: id } }));
      for (let attempt = 1; ; attempt++) {
        let error: unknown;
        this.calls++;
        try {
          const out = await this.ddb.send(
            new BatchGetItemCommand({
              RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: `${ID}, objectKey, #p, claimedAt`, ExpressionAttributeNames: { '#p': 'position' } } },
            }),
          );
          for (const item of out.Responses?.[this.table] ?? []) {
            const id = item[ID]?.S;
            if (id && item.objectKey?.S) {
              const claimedAt = item.claimedAt?.N === undefined ? undefined : Number(item.claimedAt.N);
              found.set(id, { objectKey: item.objectKey.S, position: item.position?.S, claimedAt });
            }
          }
          keys = (out.UnprocessedKeys?.[this.table]?.Keys as Array<Record<string, AttributeValue>> | undefined) ?? [];
        } catch (e) {
          error = e;
        }
        if (error === undefined && keys.length === 0) return;
        const wait = backoffMs(attempt);
        if (!mayRetry({ remainingMs: this.retryBudget }, attempt, wait)) {
          if (error !== undefined) throw error;
          throw new Error(`idempotency store: ${keys.length} keys still unprocessed after ${attempt} attempts`);
        }
        await this.sleep(wait);
      }
    });
    return found;
  }

  /**
   * Claims ids with one conditional write each: the claim succeeds only if the id is unclaimed or
   * its claim is the known stale one. Safe with concurrent deliveries of the same id from any
   * sources (an SQS duplicate, the same id by Kinesis and the bus, two shards): one claim wins.
   */
  public async claimConditional(claims: readonly Claim[]): Promise<ClaimOutcome> {
    const conflicts = new Set<string>();
    const failed = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < claims.length) {
        const claim = claims[next++];
        this.calls++;
        try {
          await this.ddb.send(
            new PutItemCommand({
              TableName: this.table,
              Item: this.item(claim),
              ...(claim.staleObjectKey
                ? {
                    ConditionExpression: `attribute_not_exists(${ID}) OR objectKey = :stale`,
                    ExpressionAttributeValues: { ':stale': { S: claim.staleObjectKey } },
                  }
                : { ConditionExpression: `attribute_not_exists(${ID})` }),
            }),
          );
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
            conflicts.add(claim.id);
          } else {
            failed.add(claim.id);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, claims.length) }, worker));
    return { conflicts, failed };
  }

  private item(claim: Claim): Record<string, AttributeValue> {
    return {
      [ID]: { S: claim.id },
      objectKey: { S: claim.objectKey },
      [IDEMPOTENCY_TABLE.timeToLiveAttribute]: { N: String(Math.floor(this.now() / 1000) + this.ttlSeconds) },
      claimedAt: { N: String(this.now()) },
      ...(claim.position ? { position: { S: claim.position } } : {}),
    };
  }

}

/**
 * Runs `work` on consecutive chunks of `size` items, at most BATCH_CONCURRENCY at a time; rejects
 * with the first error, after which no further chunk is started.
 */
async function inChunks<T>(items: readonly T[], size: number, work: (chunk: T[]) => Promise<void>): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < chunks.length) {
      try {
        await work(chunks[next++]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, chunks.length) }, worker));
}
