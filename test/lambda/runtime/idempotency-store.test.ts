import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
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
type WriteInput = { RequestItems: Record<string, Array<{ PutRequest: { Item: Record<string, AttributeValue> } }>> };

const keysOf = (input: GetInput) => input.RequestItems[TABLE].Keys.map((k) => k.id.S as string);
const writtenIds = (input: WriteInput) => input.RequestItems[TABLE].map((r) => r.PutRequest.Item.id.S as string);

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

  it('lets a DynamoDB error through (the batch is retried as a whole)', async () => {
    ddbMock.on(BatchGetItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(store().lookup(['a'])).rejects.toThrow('ProvisionedThroughputExceededException');
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
    await expect(s.lookup(ids(2000))).rejects.toThrow('InternalServerError');
    // 20 chunks of 100: the first 8 start together; after the first one fails, none of the other 12 starts.
    expect(most).toBe(8);
    expect(ddbMock.commandCalls(BatchGetItemCommand)).toHaveLength(8);
  });
});

describe('IdempotencyStore.claimOrdered', () => {
  it('writes 25 claims per BatchWriteItem with id, objectKey and expiresAt = now + ttl', async () => {
    ddbMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    const s = store();
    const all = ids(60);

    const outcome = await s.claimOrdered(claimsOf(all));

    expect(outcome).toEqual({ conflicts: new Set(), failed: new Set() });
    const calls = ddbMock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input as WriteInput);
    expect(calls.map((c) => writtenIds(c).length)).toEqual([25, 25, 10]);
    expect(calls.flatMap(writtenIds)).toEqual(all);
    expect(calls[0].RequestItems[TABLE][0]).toEqual({
      PutRequest: {
        Item: {
          id: { S: 'evt-0000' },
          objectKey: { S: 'clicks/dt=2026-11-24/hr=09/abc.jsonl.gz' },
          expiresAt: { N: String(Math.floor(NOW_MS / 1000) + TTL) },
          claimedAt: { N: String(NOW_MS) },
        },
      },
    });
    expect(s.calls).toBe(3);
  });

  it('retries UnprocessedItems, and only those', async () => {
    ddbMock
      .on(BatchWriteItemCommand)
      .callsFakeOnce(async (input: WriteInput) => ({ UnprocessedItems: { [TABLE]: input.RequestItems[TABLE].slice(1, 3) } }))
      .resolves({ UnprocessedItems: {} });
    const s = store();

    const outcome = await s.claimOrdered(claimsOf(['a', 'b', 'c', 'd']));

    expect(outcome.failed.size).toBe(0);
    const calls = ddbMock.commandCalls(BatchWriteItemCommand).map((c) => writtenIds(c.args[0].input as WriteInput));
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'c']]);
    expect(s.calls).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('reports ids still unprocessed after 5 attempts as failed, and goes on with the next chunk', async () => {
    ddbMock.on(BatchWriteItemCommand).callsFake(async (input: WriteInput) => ({
      UnprocessedItems: { [TABLE]: input.RequestItems[TABLE].filter((r) => r.PutRequest.Item.id.S === 'evt-0003') },
    }));
    const s = store();

    const outcome = await s.claimOrdered(claimsOf(ids(30)));

    expect(outcome).toEqual({ conflicts: new Set(), failed: new Set(['evt-0003']) });
    const calls = ddbMock.commandCalls(BatchWriteItemCommand).map((c) => writtenIds(c.args[0].input as WriteInput));
    // First chunk: 1 full call + 4 retries of evt-0003; second chunk (sent alongside): one call.
    expect(calls.map((c) => c.length).sort((a, b) => a - b)).toEqual([1, 1, 1, 1, 5, 25]);
    expect(calls.filter((c) => c.length === 1).flat()).toEqual(['evt-0003', 'evt-0003', 'evt-0003', 'evt-0003']);
    expect(s.calls).toBe(6);
  });

  it('retries a chunk whose call throws, and reports it failed when all 5 attempts throw', async () => {
    ddbMock.on(BatchWriteItemCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ UnprocessedItems: {} });
    expect(await store().claimOrdered(claimsOf(['a', 'b']))).toEqual({ conflicts: new Set(), failed: new Set() });
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(2);

    ddbMock.reset();
    ddbMock.on(BatchWriteItemCommand).rejects(new Error('InternalServerError'));
    const s = store();
    expect(await s.claimOrdered(claimsOf(['a', 'b']))).toEqual({ conflicts: new Set(), failed: new Set(['a', 'b']) });
    expect(s.calls).toBe(5);
  });

  it('sends the chunks of a batch concurrently, at most 8 calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    ddbMock.on(BatchWriteItemCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { UnprocessedItems: {} };
    });
    const s = store();
    expect(await s.claimOrdered(claimsOf(ids(1000)))).toEqual({ conflicts: new Set(), failed: new Set() });
    expect(s.calls).toBe(40);
    expect(most).toBe(8);
    const written = ddbMock.commandCalls(BatchWriteItemCommand).flatMap((c) => writtenIds(c.args[0].input as WriteInput));
    expect(written.sort()).toEqual(ids(1000).sort());
  });

  it('makes no call for no claims', async () => {
    const s = store();
    expect(await s.claimOrdered([])).toEqual({ conflicts: new Set(), failed: new Set() });
    expect(s.calls).toBe(0);
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

  it('writes every claim of a large batch, at most 16 at a time', async () => {
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
    expect(maxInFlight).toBeLessThanOrEqual(16);
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
    ddbMock.on(BatchWriteItemCommand).resolves({});
    ddbMock.on(PutItemCommand).resolves({});
    const s = store();
    await s.lookup(ids(101));
    await s.claimOrdered(claimsOf(ids(26)));
    await s.claimConditional(claimsOf(ids(3)));
    expect(s.calls).toBe(2 + 2 + 3);
  });
});
