import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { IdempotencyStore, type Claim } from '../../../lambda/runtime/idempotency-store';

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'us-east-1' });
const TABLE = 'clickstream-idempotency';
const TTL = 3600;
const NOW_MS = Date.parse('2026-11-24T10:00:00.750Z');

const sleeps: number[] = [];
const noSleep = async (ms: number) => {
  sleeps.push(ms);
};
const store = () => new IdempotencyStore(ddb, TABLE, TTL, noSleep);

const ids = (n: number, prefix = 'evt-') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const claimsOf = (list: string[], objectKey = 'clicks/dt=2026-11-24/hr=09/abc.jsonl.gz'): Claim[] => list.map((id) => ({ id, objectKey }));

type GetInput = { RequestItems: Record<string, { Keys: Array<Record<string, AttributeValue>>; ConsistentRead?: boolean; ProjectionExpression?: string }> };

const keysOf = (input: GetInput) => input.RequestItems[TABLE].Keys.map((k) => k.id.S as string);

let dateNow: jest.SpyInstance;

beforeEach(() => {
  ddbMock.reset();
  sleeps.length = 0;
  dateNow = jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
});

afterEach(() => dateNow.mockRestore());

afterAll(() => ddbMock.restore());

describe('IdempotencyStore.lookup', () => {
  it('reads 100 ids per BatchGetItem, strongly consistent, and maps each claimed id to its object key', async () => {
    ddbMock.on(BatchGetItemCommand).callsFake(async (input: GetInput) => ({
      Responses: {
        [TABLE]: keysOf(input)
          .filter((id) => Number(id.slice(4)) % 2 === 0)
          .map((id) => ({ id: { S: id }, objectKey: { S: `key-of-${id}` } })),
      },
    }));
    const s = store();
    const all = ids(250);

    const found = await s.lookup(all);

    const calls = ddbMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input as GetInput);
    expect(calls.map((c) => keysOf(c).length)).toEqual([100, 100, 50]);
    expect(calls.flatMap(keysOf)).toEqual(all);
    for (const c of calls) {
      expect(c.RequestItems[TABLE].ConsistentRead).toBe(true);
      expect(Object.keys(c.RequestItems)).toEqual([TABLE]);
    }
    expect(found.size).toBe(125);
    expect(found.get('evt-0000')).toBe('key-of-evt-0000');
    expect(found.has('evt-0001')).toBe(false);
    expect(s.calls).toBe(3);
    expect(sleeps).toEqual([]);
  });

  it('asks once per distinct id', async () => {
    ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    await store().lookup(['a', 'b', 'a', 'a', 'c', 'b']);
    const calls = ddbMock.commandCalls(BatchGetItemCommand);
    expect(calls).toHaveLength(1);
    expect(keysOf(calls[0].args[0].input as GetInput)).toEqual(['a', 'b', 'c']);
  });

  it('makes no call for no ids', async () => {
    const s = store();
    expect(await s.lookup([])).toEqual(new Map());
    expect(ddbMock.commandCalls(BatchGetItemCommand)).toHaveLength(0);
    expect(s.calls).toBe(0);
  });

  it('retries UnprocessedKeys, and only those, after a backoff', async () => {
    ddbMock
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [{ id: { S: 'a' }, objectKey: { S: 'k-a' } }] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: 'b' } }, { id: { S: 'c' } }] } },
      })
      .resolvesOnce({
        Responses: { [TABLE]: [{ id: { S: 'b' }, objectKey: { S: 'k-b' } }] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: 'c' } }] } },
      })
      .resolves({ Responses: { [TABLE]: [] } });
    const s = store();

    const found = await s.lookup(['a', 'b', 'c']);

    expect(found).toEqual(new Map([['a', 'k-a'], ['b', 'k-b']]));
    const calls = ddbMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input as GetInput);
    expect(calls.map(keysOf)).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
    for (const c of calls) expect(c.RequestItems[TABLE].ConsistentRead).toBe(true);
    expect(s.calls).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('throws when keys are still unprocessed after 5 attempts', async () => {
    ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: 'a' } }] } } });
    const s = store();
    await expect(s.lookup(['a'])).rejects.toThrow('idempotency store: 1 keys still unprocessed after 5 attempts');
    expect(s.calls).toBe(5);
  });

  it('without a time budget, retries a DynamoDB error 5 times, then lets it through (the batch is retried as a whole)', async () => {
    ddbMock.on(BatchGetItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const s = store();
    await expect(s.lookup(['a'])).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(s.calls).toBe(5);
  });
});

describe('IdempotencyStore.lookup, many chunks', () => {
  it('reads the chunks concurrently and starts no further chunk once one has failed', async () => {
    let inFlight = 0;
    let most = 0;
    ddbMock.on(BatchGetItemCommand).callsFake(async (input: GetInput) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (keysOf(input).includes('evt-0000')) throw new Error('InternalServerError');
      return { Responses: { [TABLE]: [] }, UnprocessedKeys: {} };
    });
    const s = store();
    s.retryBudget = () => 0; // no retry: the failure ends the lookup at once
    await expect(s.lookup(ids(2000))).rejects.toThrow('InternalServerError');
    // 20 chunks of 100: the first 8 start together; after the first one fails, none of the other 12 starts.
    expect(most).toBe(8);
    expect(ddbMock.commandCalls(BatchGetItemCommand)).toHaveLength(8);
  });
});

describe('dependency outages are ridden out, not dead-lettered: lookups retry within the invocation', () => {
  /** A store whose retries may last `budgetMs` of a fake clock that its waits advance. */
  const budgeted = (budgetMs: number) => {
    let elapsed = 0;
    const s = new IdempotencyStore(ddb, TABLE, TTL, async (ms) => {
      sleeps.push(ms);
      elapsed += ms;
    });
    s.retryBudget = () => budgetMs - elapsed;
    return { s, elapsed: () => elapsed };
  };
  const throttled = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });

  it('retries a BatchGetItem that throws (throttled after the SDK retries) with backoff, and answers', async () => {
    ddbMock
      .on(BatchGetItemCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ Responses: { [TABLE]: [{ id: { S: 'a' }, objectKey: { S: 'k-a' } }] } });
    const { s } = budgeted(30_000);

    expect(await s.lookup(['a', 'b'])).toEqual(new Map([['a', 'k-a']]));
    expect(s.calls).toBe(4);
    expect(sleeps).toHaveLength(3);
  });

  it('keeps retrying UnprocessedKeys past 5 attempts while the invocation has time', async () => {
    const unprocessed = { Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: 'a' } }] } } };
    let call = 0;
    ddbMock.on(BatchGetItemCommand).callsFake(async () => (++call <= 8 ? unprocessed : { Responses: { [TABLE]: [{ id: { S: 'a' }, objectKey: { S: 'k-a' } }] } }));
    const { s } = budgeted(60_000);

    expect(await s.lookup(['a'])).toEqual(new Map([['a', 'k-a']]));
    expect(s.calls).toBe(9);
  });

  it('stops once the next wait would exceed the budget, and throws the last error (the batch is retried)', async () => {
    ddbMock.on(BatchGetItemCommand).rejects(throttled());
    const { s, elapsed } = budgeted(3_000);

    await expect(s.lookup(['a'])).rejects.toThrow('Rate of requests exceeds');
    expect(s.calls).toBeGreaterThan(1);
    expect(elapsed()).toBeLessThan(3_000);
    // Waits grow (full jitter under a doubling cap of at most 5 s).
    sleeps.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** i)));
  });

  it('never retries when the budget is already spent', async () => {
    ddbMock.on(BatchGetItemCommand).rejects(throttled());
    const { s } = budgeted(0);
    await expect(s.lookup(['a'])).rejects.toThrow('Rate of requests exceeds');
    expect(s.calls).toBe(1);
  });
});

describe('IdempotencyStore.claimConditional', () => {
  it('puts each claim only if the id is unclaimed', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const s = store();

    const outcome = await s.claimConditional(claimsOf(['a', 'b', 'c']));

    expect(outcome).toEqual({ conflicts: new Set(), failed: new Set() });
    const inputs = ddbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(3);
    expect(inputs.find((i) => i.Item?.id.S === 'a')).toEqual({
      TableName: TABLE,
      Item: {
        id: { S: 'a' },
        objectKey: { S: 'clicks/dt=2026-11-24/hr=09/abc.jsonl.gz' },
        expiresAt: { N: String(Math.floor(NOW_MS / 1000) + TTL) },
        claimedAt: { N: String(NOW_MS) },
      },
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(s.calls).toBe(3);
  });

  it('takes over a stale claim only if it still points to the stale object', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store().claimConditional([{ id: 'a', objectKey: 'new-key', staleObjectKey: 'old-key' }]);
    expect(ddbMock.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
      Item: { id: { S: 'a' }, objectKey: { S: 'new-key' } },
      ConditionExpression: 'attribute_not_exists(id) OR objectKey = :stale',
      ExpressionAttributeValues: { ':stale': { S: 'old-key' } },
    });
  });

  it('reports a failed condition as a conflict and any other error as failed', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      const id = input.Item.id.S;
      if (id === 'taken') throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      if (id === 'taken-plain') throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
      if (id === 'throttled') throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    });
    const s = store();

    const outcome = await s.claimConditional(claimsOf(['ok-1', 'taken', 'throttled', 'taken-plain', 'ok-2']));

    expect(outcome).toEqual({ conflicts: new Set(['taken', 'taken-plain']), failed: new Set(['throttled']) });
    expect(s.calls).toBe(5);
  });

  it('writes every claim of a large batch, at most 32 at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    ddbMock.on(PutItemCommand).callsFake(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return {};
    });
    const s = store();
    const all = ids(100);

    expect(await s.claimConditional(claimsOf(all))).toEqual({ conflicts: new Set(), failed: new Set() });

    const put = ddbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.id.S);
    expect([...put].sort()).toEqual(all);
    expect(maxInFlight).toBeLessThanOrEqual(32);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(s.calls).toBe(100);
  });

  it('makes no call for no claims', async () => {
    const s = store();
    expect(await s.claimConditional([])).toEqual({ conflicts: new Set(), failed: new Set() });
    expect(s.calls).toBe(0);
  });
});

describe('IdempotencyStore.calls', () => {
  it('adds up over lookups and claims', async () => {
    ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddbMock.on(PutItemCommand).resolves({});
    const s = store();
    await s.lookup(ids(101));
    await s.claimConditional(claimsOf(ids(3)));
    expect(s.calls).toBe(2 + 3);
  });
});
