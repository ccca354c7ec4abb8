import { idempotencyKey } from './idempotency-key';
import type { Claim, ClaimOutcome, IdempotencyStore } from './idempotency-store';
import type { SourcePosition } from './transform-contract';
import { positionId } from './source-records';
import type { CuratedOutput } from './process-batch';

/** A curated object to write: its key derives from the input positions of its outputs. */
export interface PlannedObject {
  readonly key: string;
  readonly partition: string;
  readonly outputs: CuratedOutput[];
}

/** A record another invocation claimed first (a concurrent duplicate of it is being stored). */
export interface ConflictedRecord {
  readonly itemId: string;
  readonly recordId: string;
  readonly position: SourcePosition;
  /** The reprocess run of the record, if any. */
  readonly run?: string;
  /** Its version, if the pipeline declares one (part of its idempotency key). */
  readonly version?: string | null;
}

/** What claiming the planned objects' records gave. */
export interface ClaimedObjects {
  /** Objects whose every record is claimed for them: write these. */
  readonly objects: PlannedObject[];
  /** Item ids whose output was not claimed (conflicted or failed): the source retries them. */
  readonly failed: Set<string>;
  /** The conflicted records among `failed`: worth a second look once the other write is done. */
  readonly conflicted: ConflictedRecord[];
}

/**
 * Claims the records of the planned objects in the idempotency store, all or nothing per object:
 * an object is written only with every record its key was derived from, so a claim never points
 * to an object that exists without its record.
 *
 * A record another invocation claimed first (a duplicate processed concurrently, e.g. two line
 * ranges of one file holding the same id) does not sink its object: the object is planned again
 * without it (a new key, from the remaining positions) and the remaining records' claims are moved
 * to that key. Failing the whole object instead would livelock two invocations that each hold a
 * record of the other: both retry, both find the other's stale claim, both conflict again.
 * A claim that failed (throttling, errors) fails its whole object; the retry takes it over.
 * Claims are conditional whatever delivered the batch: the same id may arrive at once by Kinesis
 * and by the bus, or on two shards, and only one of them may curate it.
 */
export async function claimObjects(
  store: IdempotencyStore,
  planned: PlannedObject[],
  replan: (outputs: CuratedOutput[]) => PlannedObject[],
): Promise<ClaimedObjects> {
  const claimOf = (out: CuratedOutput, objectKey: string, staleObjectKey: string | undefined): Claim => ({
    id: claimKey(out),
    objectKey,
    staleObjectKey,
    position: positionId(out.source),
  });
  const claim = async (claims: Claim[]): Promise<ClaimOutcome> => {
    try {
      return await store.claimConditional(claims);
    } catch {
      return { conflicts: new Set(), failed: new Set(claims.map((c) => c.id)) };
    }
  };
  const failed = new Set<string>();
  const conflicted: ConflictedRecord[] = [];
  const first = await claim(planned.flatMap((o) => o.outputs.map((out) => claimOf(out, o.key, out.staleObjectKey))));

  const kept: PlannedObject[] = [];
  const remaining: CuratedOutput[] = [];
  const claimedFor = new Map<string, string>(); // idempotency key → the object key its (own) claim points to
  for (const object of planned) {
    if (object.outputs.some((out) => first.failed.has(claimKey(out)))) {
      object.outputs.forEach((out) => failed.add(out.itemId));
    } else if (object.outputs.some((out) => first.conflicts.has(claimKey(out)))) {
      for (const out of object.outputs) {
        if (first.conflicts.has(claimKey(out))) {
          failed.add(out.itemId);
          conflicted.push({
            itemId: out.itemId,
            recordId: out.recordId,
            position: out.source,
            ...(out.run === undefined ? {} : { run: out.run }),
            ...(out.version === undefined ? {} : { version: out.version }),
          });
        } else {
          remaining.push(out);
          claimedFor.set(claimKey(out), object.key);
        }
      }
    } else {
      kept.push(object);
    }
  }
  if (remaining.length === 0) return { objects: kept, failed, conflicted };

  // Move the remaining records' claims (ours) to their new objects; once only, then give up.
  const replanned = replan(remaining);
  const second = await claim(replanned.flatMap((o) => o.outputs.map((out) => claimOf(out, o.key, claimedFor.get(claimKey(out))))));
  for (const object of replanned) {
    if (object.outputs.some((out) => second.failed.has(claimKey(out)) || second.conflicts.has(claimKey(out)))) {
      object.outputs.forEach((out) => failed.add(out.itemId));
    } else {
      kept.push(object);
    }
  }
  return { objects: kept, failed, conflicted };
}

/** The claim id of a curated output: its idempotency key (record id, version, reprocess run). */
function claimKey(out: CuratedOutput): string {
  return idempotencyKey({ id: out.recordId, run: out.run, version: out.version });
}
