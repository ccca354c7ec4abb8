import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, type AttributeValue, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_ITEM_BYTES, itemBytes, marshall, sinkItemKey, writeToTable, type TableSinkTarget } from '../../../lambda/runtime/dynamodb-sink';
import { unmarshallValue } from '../support/fixtures';

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'us-east-1' });
const target: TableSinkTarget = { table: 'clickstream-events', key: 'pk' };

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(PutItemCommand).resolves({});
});

afterAll(() => {
  ddbMock.restore();
});

const putInputs = (): PutItemCommandInput[] => ddbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input);
const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });

describe('marshall', () => {
  it('writes strings as S, the empty string included', () => {
    expect(marshall('hello')).toEqual({ S: 'hello' });
    expect(marshall('')).toEqual({ S: '' });
    expect(marshall('0')).toEqual({ S: '0' });
  });

  it('writes finite numbers as N in their JSON text', () => {
    expect(marshall(42)).toEqual({ N: '42' });
    expect(marshall(0)).toEqual({ N: '0' });
    expect(marshall(-3.25)).toEqual({ N: '-3.25' });
    expect(marshall(1e-7)).toEqual({ N: '1e-7' });
  });

  it.each([NaN, Infinity, -Infinity])('writes the non-finite number %p as NULL (as JSON.stringify writes null)', (n) => {
    expect(marshall(n)).toEqual({ NULL: true });
  });

  it('writes booleans as BOOL, false included', () => {
    expect(marshall(true)).toEqual({ BOOL: true });
    expect(marshall(false)).toEqual({ BOOL: false });
  });

  it('writes null and undefined as NULL', () => {
    expect(marshall(null)).toEqual({ NULL: true });
    expect(marshall(undefined)).toEqual({ NULL: true });
  });

  it('writes arrays as L and objects as M, at any depth', () => {
    expect(marshall([])).toEqual({ L: [] });
    expect(marshall({})).toEqual({ M: {} });
    expect(
      marshall({
        eventId: 'evt-1',
        count: 3,
        ok: true,
        none: null,
        tags: ['a', 1, false, null, { deep: ['x'] }],
        page: { url: 'https://shop.example.com/', meta: { depth: 2, list: [[1, 2], []] } },
      }),
    ).toEqual({
      M: {
        eventId: { S: 'evt-1' },
        count: { N: '3' },
        ok: { BOOL: true },
        none: { NULL: true },
        tags: { L: [{ S: 'a' }, { N: '1' }, { BOOL: false }, { NULL: true }, { M: { deep: { L: [{ S: 'x' }] } } }] },
        page: {
          M: {
            url: { S: 'https://shop.example.com/' },
            meta: { M: { depth: { N: '2' }, list: { L: [{ L: [{ N: '1' }, { N: '2' }] }, { L: [] }] } } },
          },
        },
      },
    });
  });

  it('drops undefined properties (as JSON.stringify does), at any depth, but keeps null ones', () => {
    const marshalled = marshall({ a: undefined, b: null, nested: { c: undefined, d: 1 } });
    expect(marshalled).toEqual({ M: { b: { NULL: true }, nested: { M: { d: { N: '1' } } } } });
    expect(Object.keys(marshalled.M as Record<string, AttributeValue>)).toEqual(['b', 'nested']);
    expect(Object.keys((marshalled.M as Record<string, AttributeValue>).nested.M as Record<string, AttributeValue>)).toEqual(['d']);
  });

  it('writes undefined inside an array as NULL, keeping the positions (as JSON.stringify writes null)', () => {
    expect(marshall([1, undefined, 3])).toEqual({ L: [{ N: '1' }, { NULL: true }, { N: '3' }] });
  });

  it('keeps the same data as the JSON line of the record', () => {
    // What the table holds must read back as what the curated line holds.
    const record = { s: 'x', n: -1.5, b: false, z: null, u: undefined, nan: NaN, l: [1, 'two', [null]], m: { k: { v: 0 } } };
    expect(unmarshallValue(marshall(record))).toEqual(JSON.parse(JSON.stringify(record)));
  });
});

describe('writeToTable', () => {
  it('sends one conditional PutItem per record, keyed by the record id', async () => {
    const { failed } = await writeToTable(ddb, target, [
      { id: 'evt-1', record: { eventId: 'evt-1', n: 1 } },
      { id: 'evt-2', record: { eventId: 'evt-2', nested: { ok: true } } },
    ]);

    expect(failed).toEqual(new Set());
    const inputs = putInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual({
      TableName: 'clickstream-events',
      Item: { pk: { S: 'evt-1' }, eventId: { S: 'evt-1' }, n: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(#k)',
      ExpressionAttributeNames: { '#k': 'pk' },
    });
    expect(inputs[1]).toEqual({
      TableName: 'clickstream-events',
      Item: { pk: { S: 'evt-2' }, eventId: { S: 'evt-2' }, nested: { M: { ok: { BOOL: true } } } },
      ConditionExpression: 'attribute_not_exists(#k)',
      ExpressionAttributeNames: { '#k': 'pk' },
    });
    // No values: the condition names the key only, so it can never be read as a value placeholder.
    expect(inputs.every((i) => i.ExpressionAttributeValues === undefined)).toBe(true);
  });

  it('names the key attribute through #k, whatever its name (reserved words included)', async () => {
    await writeToTable(ddb, { table: 't', key: 'name' }, [{ id: 'a', record: { v: 1 } }]);
    const [input] = putInputs();
    expect(input.ConditionExpression).toBe('attribute_not_exists(#k)');
    expect(input.ExpressionAttributeNames).toEqual({ '#k': 'name' });
    expect(input.Item?.name).toEqual({ S: 'a' });
  });

  it('sets the key attribute to the id as a string, overriding a record field of the same name', async () => {
    await writeToTable(ddb, { table: 't', key: 'id' }, [
      { id: 'evt-1', record: { id: 12345, other: 'kept' } },
      { id: 'evt-2#1', record: { id: 'evt-2', other: 'kept' } },
      { id: 'evt-3', record: { id: { nested: true } } },
    ]);
    expect(putInputs().map((i) => i.Item)).toEqual([
      { id: { S: 'evt-1' }, other: { S: 'kept' } },
      { id: { S: 'evt-2#1' }, other: { S: 'kept' } },
      { id: { S: 'evt-3' } },
    ]);
  });

  it('sends nothing for no records', async () => {
    expect((await writeToTable(ddb, target, [])).failed).toEqual(new Set());
    expect(putInputs()).toEqual([]);
  });

  it('counts an item that already exists (ConditionalCheckFailedException) as written', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
      if (input.Item?.pk.S === 'evt-2') throw conditionalCheckFailed();
      return {};
    });
    const { failed } = await writeToTable(ddb, target, ['evt-1', 'evt-2', 'evt-3'].map((id) => ({ id, record: {} })));
    expect(failed).toEqual(new Set());
    expect(putInputs()).toHaveLength(3);
  });

  it('also recognises a conditional check failure by its error name only (as deserialised SDK errors may be)', async () => {
    ddbMock.on(PutItemCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect((await writeToTable(ddb, target, [{ id: 'evt-1', record: {} }])).failed).toEqual(new Set());
  });

  it('reports by id every item that failed for another reason (a ValidationException as rejected), and still tries the others', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
      const id = input.Item?.pk.S;
      if (id === 'evt-2') throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      if (id === 'evt-4#1') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      if (id === 'evt-5') throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
      if (id === 'evt-3') throw conditionalCheckFailed();
      return {};
    });
    const ids = ['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-4#1', 'evt-5', 'evt-6'];

    const { failed, rejected } = await writeToTable(ddb, target, ids.map((id) => ({ id, record: { id } })));

    expect([...failed].sort()).toEqual(['evt-2', 'evt-4#1']);
    expect([...rejected.keys()]).toEqual(['evt-5']);
    expect(putInputs().map((i) => i.Item?.pk.S).sort()).toEqual([...ids].sort());
  });

  it('reports every item when DynamoDB is unreachable', async () => {
    ddbMock.on(PutItemCommand).rejects(new Error('getaddrinfo ENOTFOUND dynamodb.us-east-1.amazonaws.com'));
    const ids = Array.from({ length: 40 }, (_, i) => `evt-${i}`);
    const { failed } = await writeToTable(ddb, target, ids.map((id) => ({ id, record: {} })));
    expect([...failed].sort()).toEqual([...ids].sort());
  });

  describe('concurrency', () => {
    /** Makes every PutItem resolve on a later timer tick, recording how many are in flight. */
    function slowTable(delayMs = 2) {
      const stats = { inFlight: 0, maxInFlight: 0, started: [] as string[] };
      ddbMock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
        stats.started.push(input.Item?.pk.S as string);
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        stats.inFlight--;
        return {};
      });
      return stats;
    }

    it('never has more than 16 PutItem calls in flight, and uses all 16', async () => {
      const stats = slowTable();
      const records = Array.from({ length: 100 }, (_, i) => ({ id: `evt-${i}`, record: { i } }));

      const { failed } = await writeToTable(ddb, target, records);

      expect(failed).toEqual(new Set());
      expect(stats.maxInFlight).toBe(16);
      expect(stats.inFlight).toBe(0);
      // Every record written exactly once, in order of start.
      expect(stats.started).toEqual(records.map((r) => r.id));
    });

    it('honours a smaller concurrency', async () => {
      const stats = slowTable();
      await writeToTable(ddb, target, Array.from({ length: 20 }, (_, i) => ({ id: `evt-${i}`, record: {} })), 3);
      expect(stats.maxInFlight).toBe(3);
      expect(stats.started).toHaveLength(20);
      expect(new Set(stats.started).size).toBe(20);
    });

    it('starts no more calls than there are records', async () => {
      const stats = slowTable();
      await writeToTable(ddb, target, Array.from({ length: 5 }, (_, i) => ({ id: `evt-${i}`, record: {} })));
      expect(stats.maxInFlight).toBe(5);
      expect(stats.started).toHaveLength(5);
    });

    it('keeps the bound when calls fail, and does not return before every call settled', async () => {
      const stats = { inFlight: 0, maxInFlight: 0, settled: 0 };
      ddbMock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        stats.inFlight--;
        stats.settled++;
        if (Number((input.Item?.pk.S as string).slice(4)) % 2 === 0) throw new Error('InternalServerError');
        return {};
      });
      const records = Array.from({ length: 50 }, (_, i) => ({ id: `evt-${i}`, record: {} }));

      const { failed } = await writeToTable(ddb, target, records);

      expect(stats.settled).toBe(50);
      expect(stats.maxInFlight).toBeLessThanOrEqual(16);
      expect(failed.size).toBe(25);
      expect([...failed].every((id) => Number(id.slice(4)) % 2 === 0)).toBe(true);
    });
  });
});

describe('sinkItemKey', () => {
  test('the first output is keyed by the record id, the n-th extra output of a fan-out by <id>#<n>', () => {
    expect(sinkItemKey('evt-2', 0)).toBe('evt-2');
    expect(sinkItemKey('evt-2', 1)).toBe('evt-2#1');
  });

  test('no record key equals another record fan-out key: # and backslash in ids are escaped', () => {
    expect(sinkItemKey('a#1', 0)).toBe('a\\#1');
    expect(sinkItemKey('a#1', 0)).not.toBe(sinkItemKey('a', 1));
    expect(sinkItemKey('a\\', 1)).toBe('a\\\\#1');
    const ids = ['a', 'a#1', 'a\\#1', 'a\\', 'a#1#1', 'a\\\\#1'];
    const keys = ids.flatMap((id) => [0, 1, 2].map((i) => sinkItemKey(id, i)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('a versioned record gets an item per version: <id>#v=<version>, then #<n> for a fan-out, never another record key', () => {
    expect(sinkItemKey('evt-2', 0, '3')).toBe('evt-2#v=3');
    expect(sinkItemKey('evt-2', 1, '3')).toBe('evt-2#v=3#1');
    expect(sinkItemKey('a', 0, '1#2')).toBe('a#v=1\\#2');
    const keys = [
      ...['a', 'a#v=1', 'a#1'].flatMap((id) => [0, 1].map((i) => sinkItemKey(id, i))),
      ...['1', '1#1', 'v=1'].flatMap((v) => [0, 1].map((i) => sinkItemKey('a', i, v))),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('no silent loss at the edges: sink-table items DynamoDB refuses for good', () => {
  const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationException' });

  it('reports a ValidationException (a number DynamoDB cannot store) as rejected with its reason, not as failed (retried forever)', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
      if (input.Item?.pk.S === 'evt-2') throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
      return {};
    });
    const outcome = await writeToTable(ddb, target, [
      { id: 'evt-1', record: { n: 1 } },
      { id: 'evt-2', record: { n: 1e300 } },
    ]);
    expect(outcome.failed).toEqual(new Set());
    expect([...outcome.rejected.keys()]).toEqual(['evt-2']);
    expect(outcome.rejected.get('evt-2')).toMatch(/^the sink table refused the item: Number overflow/);
  });

  it('rejects an item over 400 KB without sending it', async () => {
    const outcome = await writeToTable(ddb, target, [
      { id: 'evt-big', record: { text: 'x'.repeat(MAX_ITEM_BYTES) } },
      { id: 'evt-ok', record: { text: 'x'.repeat(1000) } },
    ]);
    expect(outcome.rejected.get('evt-big')).toMatch(/^the sink table item is \d+ bytes; DynamoDB stores at most 409600$/);
    expect(putInputs().map((i) => i.Item?.pk.S)).toEqual(['evt-ok']);
    expect(outcome.failed).toEqual(new Set());
  });

  it('still reports throttling as failed (to retry), not rejected', async () => {
    ddbMock.on(PutItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const outcome = await writeToTable(ddb, target, [{ id: 'evt-1', record: {} }]);
    expect(outcome).toEqual({ failed: new Set(['evt-1']), rejected: new Map() });
  });

  it('counts item bytes as DynamoDB does for names, strings and nesting (at least)', () => {
    expect(itemBytes({ pk: { S: 'abc' } })).toBe(2 + 3);
    expect(itemBytes({ m: { M: { k: { S: 'é' } } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemBytes({ l: { L: [{ BOOL: true }, { NULL: true }] } })).toBe(1 + 3 + 2 + 2);
  });
});
