import { summarize } from '../../../../lambda/runtime/steps/run-summary';
import { StepAction } from '../../../../lib/contract/workflow-steps';

describe('summarize', () => {
  test('sums the batch counts and compares the mismatch rate with the threshold', () => {
    const batch = (recordsIn: number, schemaMismatches: number) => ({
      summary: { recordsIn, curated: recordsIn - schemaMismatches, quarantined: schemaMismatches, schemaMismatches, dropped: 0, duplicates: 0, retried: 0 },
    });
    expect(summarize({ action: StepAction.SUMMARIZE, batches: [batch(10, 1), batch(10, 0)], maxDriftRate: 0.05 })).toEqual({
      recordsIn: 20, curated: 19, quarantined: 1, schemaMismatches: 1, dropped: 0, duplicates: 0, retried: 0,
      scope: 'object', batches: 2, driftRate: 0.05, drifted: false,
    });
    expect(summarize({ action: StepAction.SUMMARIZE, batches: [batch(10, 2)], maxDriftRate: 0.05 })).toMatchObject({ driftRate: 0.2, drifted: true });
    expect(summarize({ action: StepAction.SUMMARIZE, batches: [], maxDriftRate: 0 })).toMatchObject({ recordsIn: 0, driftRate: 0, drifted: false });
  });
});
