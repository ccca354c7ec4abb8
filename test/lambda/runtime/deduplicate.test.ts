import { settleConflicts, storeDuplicateFilter } from '../../../lambda/runtime/deduplicate';
import type { Envelope } from '../../../lambda/runtime/envelope';
import type { IdempotencyStore, StoredClaim } from '../../../lambda/runtime/idempotency-store';
import { QUEUE_ARN } from '../support/fixtures';

function envelope(itemId: string, id: string): Envelope {
  return {
    itemId,
    id,
    source: 'sqs',
    eventTime: '2026-11-24T09:00:00.000Z',
    eventTimeFromRecord: true,
    receivedAt: '2026-11-24T10:00:00.000Z',
    payload: { eventId: id },
    position: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: itemId },
  };
}

/** A store whose lookup answers from a fixed map (object key, or the whole claim), recording what it was asked. */
function fakeStore(claims: Record<string, string | StoredClaim>) {
  const asked: string[][] = [];
  const store = {
    lookupClaims: jest.fn(async (ids: readonly string[]) => {
      asked.push([...ids]);
      const claim = (c: string | StoredClaim): StoredClaim => (typeof c === 'string' ? { objectKey: c } : c);
      return new Map(ids.filter((id) => id in claims).map((id) => [id, claim(claims[id])]));
    }),
  };
  return { store: store as unknown as IdempotencyStore, asked };
}

describe('storeDuplicateFilter', () => {
  it('marks an id whose claimed object exists as a duplicate (by item id)', async () => {
    const { store } = fakeStore({ 'evt-1': 'k1' });
    const exists = jest.fn(async (key: string) => key === 'k1');
    const result = await storeDuplicateFilter(store, exists)([envelope('m1', 'evt-1'), envelope('m2', 'evt-2')]);
    expect(result.duplicates).toEqual(new Set(['m1']));
    expect(result.stale).toEqual(new Map());
  });

  it('treats a claim whose object is missing as stale (id → object key), not as a duplicate', async () => {
    const { store } = fakeStore({ 'evt-1': 'k-missing', 'evt-2': 'k-there' });
    const result = await storeDuplicateFilter(store, async (key) => key === 'k-there')([
      envelope('m1', 'evt-1'),
      envelope('m2', 'evt-2'),
      envelope('m3', 'evt-3'),
    ]);
    expect(result.duplicates).toEqual(new Set(['m2']));
    expect(result.stale).toEqual(new Map([['evt-1', 'k-missing']]));
  });

  it('looks the batch up in one call and makes one HeadObject per distinct object key', async () => {
    const { store, asked } = fakeStore({ a: 'k1', b: 'k1', c: 'k2', d: 'k1', e: 'k3' });
    const exists = jest.fn(async (key: string) => key !== 'k3');
    const batch = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => envelope(`m${i}`, id));

    const result = await storeDuplicateFilter(store, exists)(batch);

    expect(asked).toEqual([['a', 'b', 'c', 'd', 'e', 'f']]);
    expect(exists).toHaveBeenCalledTimes(3);
    expect(exists.mock.calls.map(([k]) => k).sort()).toEqual(['k1', 'k2', 'k3']);
    expect(result.duplicates).toEqual(new Set(['m0', 'm1', 'm2', 'm3']));
    expect(result.stale).toEqual(new Map([['e', 'k3']]));
  });

  it('marks a duplicate whose claim is this same input (an earlier delivery of it) as redelivered', async () => {
    const { store } = fakeStore({
      'evt-1': { objectKey: 'k1', position: 'm1', claimedAt: 1 },
      'evt-2': { objectKey: 'k1', position: 'another-message', claimedAt: 1 },
    });
    const result = await storeDuplicateFilter(store, async () => true)([envelope('m1', 'evt-1'), envelope('m2', 'evt-2')]);
    expect(result.duplicates).toEqual(new Set(['m1', 'm2']));
    expect(result.redelivered).toEqual(new Set(['m1']));
  });

  it('makes no HeadObject when nothing is claimed', async () => {
    const { store } = fakeStore({});
    const exists = jest.fn(async () => true);
    const result = await storeDuplicateFilter(store, exists)([envelope('m1', 'x')]);
    expect(exists).not.toHaveBeenCalled();
    expect(result.duplicates.size).toBe(0);
    expect(result.stale.size).toBe(0);
  });

  it('lets a failing existence check through (the batch is retried)', async () => {
    const { store } = fakeStore({ a: 'k1' });
    await expect(
      storeDuplicateFilter(store, async () => {
        throw new Error('AccessDenied');
      })([envelope('m1', 'a')]),
    ).rejects.toThrow('AccessDenied');
  });

  describe('a claim whose object is missing, made by another input', () => {
    const NOW = 1_795_514_400_000;
    const other = (ageMs: number): StoredClaim => ({ objectKey: 'k-writing', position: 'other-message', claimedAt: NOW - ageMs });
    const filter = (claims: Record<string, StoredClaim>) =>
      storeDuplicateFilter(fakeStore(claims).store, async () => false, { inFlightMs: 60_000, now: () => NOW });

    it('is in flight while younger than the in-flight window: the record waits (neither duplicate nor stale)', async () => {
      const result = await filter({ a: other(5_000) })([envelope('m1', 'a')]);
      expect(result.inFlight).toEqual(new Set(['m1']));
      expect(result.duplicates.size).toBe(0);
      expect(result.stale.size).toBe(0);
    });

    it('is stale once older than the window (that writer crashed or timed out)', async () => {
      const result = await filter({ a: other(61_000) })([envelope('m1', 'a')]);
      expect(result.inFlight).toEqual(new Set());
      expect(result.stale).toEqual(new Map([['a', 'k-writing']]));
    });

    it('is stale at once when it is this same input delivered again (its own failed attempt)', async () => {
      const own: StoredClaim = { objectKey: 'k-failed', position: 'm1', claimedAt: NOW - 1_000 };
      const result = await filter({ a: own })([envelope('m1', 'a')]);
      expect(result.stale).toEqual(new Map([['a', 'k-failed']]));
      expect(result.inFlight).toEqual(new Set());
    });

    it('is stale when the claim predates stored positions (no position or time)', async () => {
      const result = await filter({ a: { objectKey: 'k-old' } })([envelope('m1', 'a')]);
      expect(result.stale).toEqual(new Map([['a', 'k-old']]));
    });
  });
});

describe('settleConflicts', () => {
  it('settles records whose winner wrote its object, and says which winners were this same input', async () => {
    const { store } = fakeStore({
      'evt-1': { objectKey: 'k1', position: 'm1', claimedAt: 1 },
      'evt-2': { objectKey: 'k2', position: 'another-message', claimedAt: 1 },
    });
    const waits: number[] = [];
    const conflicted = [envelope('m1', 'evt-1'), envelope('m2', 'evt-2')].map((e) => ({ itemId: e.itemId, recordId: e.id, position: e.position }));
    const result = await settleConflicts(conflicted, storeDuplicateFilter(store, async () => true), async (ms) => void waits.push(ms));
    expect(result.settled).toEqual(new Set(['m1', 'm2']));
    expect(result.redelivered).toEqual(new Set(['m1']));
    expect(waits).toEqual([200]);
  });
});
