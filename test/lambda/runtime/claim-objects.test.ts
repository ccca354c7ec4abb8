import { claimObjects, type PlannedObject } from '../../../lambda/runtime/claim-objects';
import type { Claim, ClaimOutcome, IdempotencyStore } from '../../../lambda/runtime/idempotency-store';
import type { CuratedOutput } from '../../../lambda/runtime/process-batch';

const P = 'dt=2026-11-24/hr=09';
const output = (n: number): CuratedOutput => ({
  itemId: `item-${n}`,
  recordId: `rec-${n}`,
  partition: P,
  eventTime: '2026-11-24T09:00:00.000Z',
  eventTimeFromRecord: true,
  source: { kind: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', messageId: `m-${n}` },
  records: [{ n }],
  lines: [JSON.stringify({ n })],
});
/** Objects named by the numbers of their records, like planObjects names them by positions. */
const plan = (outputs: CuratedOutput[]): PlannedObject[] => [{ key: `obj-${outputs.map((o) => o.recordId).join('+')}`, partition: P, outputs }];

/** A store answering conditional claims with a script; records every call. */
function scriptedStore(answer: (claims: readonly Claim[], call: number) => ClaimOutcome) {
  const calls: Claim[][] = [];
  const store = {
    claimConditional: jest.fn(async (claims: readonly Claim[]) => {
      calls.push([...claims]);
      return answer(claims, calls.length);
    }),
  };
  return { store: store as unknown as IdempotencyStore, calls };
}
const none = (): ClaimOutcome => ({ conflicts: new Set(), failed: new Set() });

describe('claimObjects', () => {
  it('keeps every object whose records are all claimed, with the claiming positions', async () => {
    const { store, calls } = scriptedStore(none);
    const planned = plan([output(1), output(2)]);
    const result = await claimObjects(store, planned, plan);
    expect(result).toEqual({ objects: planned, failed: new Set(), conflicted: [] });
    expect(calls).toEqual([[
      { id: 'rec-1', objectKey: 'obj-rec-1+rec-2', staleObjectKey: undefined, position: 'm-1' },
      { id: 'rec-2', objectKey: 'obj-rec-1+rec-2', staleObjectKey: undefined, position: 'm-2' },
    ]]);
  });

  it('re-plans an object without its conflicted record and moves the other claims to the new key (conditional on the old one)', async () => {
    const { store, calls } = scriptedStore((_claims, call) => (call === 1 ? { conflicts: new Set(['rec-2']), failed: new Set() } : none()));
    const result = await claimObjects(store, plan([output(1), output(2), output(3)]), plan);
    expect(result.objects.map((o) => o.key)).toEqual(['obj-rec-1+rec-3']);
    expect(result.failed).toEqual(new Set(['item-2']));
    expect(result.conflicted).toEqual([{ itemId: 'item-2', recordId: 'rec-2', position: output(2).source }]);
    expect(calls[1]).toEqual([
      { id: 'rec-1', objectKey: 'obj-rec-1+rec-3', staleObjectKey: 'obj-rec-1+rec-2+rec-3', position: 'm-1' },
      { id: 'rec-3', objectKey: 'obj-rec-1+rec-3', staleObjectKey: 'obj-rec-1+rec-2+rec-3', position: 'm-3' },
    ]);
  });

  it('writes nothing of an object whose every record conflicted, and makes no second call', async () => {
    const { store, calls } = scriptedStore(() => ({ conflicts: new Set(['rec-1', 'rec-2']), failed: new Set() }));
    const result = await claimObjects(store, plan([output(1), output(2)]), plan);
    expect(result.objects).toEqual([]);
    expect(result.conflicted.map((c) => c.recordId)).toEqual(['rec-1', 'rec-2']);
    expect(calls).toHaveLength(1);
  });

  it('fails the whole object when a claim failed (throttled), even beside a conflict; and when the move fails', async () => {
    const throttled = scriptedStore(() => ({ conflicts: new Set(['rec-2']), failed: new Set(['rec-1']) }));
    const r1 = await claimObjects(throttled.store, plan([output(1), output(2)]), plan);
    expect(r1.objects).toEqual([]);
    expect(r1.failed).toEqual(new Set(['item-1', 'item-2']));

    const moveFails = scriptedStore((_c, call) => (call === 1 ? { conflicts: new Set(['rec-2']), failed: new Set() } : { conflicts: new Set(), failed: new Set(['rec-1']) }));
    const r2 = await claimObjects(moveFails.store, plan([output(1), output(2)]), plan);
    expect(r2.objects).toEqual([]);
    expect(r2.failed).toEqual(new Set(['item-1', 'item-2']));
  });

  it('treats a store that throws as every claim failed', async () => {
    const { store } = scriptedStore(() => {
      throw new Error('InternalServerError');
    });
    const result = await claimObjects(store, plan([output(1)]), plan);
    expect(result).toEqual({ objects: [], failed: new Set(['item-1']), conflicted: [] });
  });
});
