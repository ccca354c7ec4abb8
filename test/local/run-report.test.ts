import { gzipSync } from 'node:zlib';
import { buildReport, percentileMs, type ReportInputs } from '../../local/run-report';
import { formatReport } from '../../local/format-report';

const manifest = (keys: string[], ids: string[]) =>
  JSON.stringify({ objects: keys.map((key) => ({ bucket: 'cur', key, inputs: ids.map((recordId) => ({ recordId })) })) });

function inputs(over: Partial<ReportInputs> = {}): ReportInputs {
  return {
    recordsIn: 6,
    outputs: {
      curated: [{ bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n{"eventId":"e2"}\n' }],
      lineage: [{ bucket: 'cur', key: '_lineage/x.json', text: manifest(['d/a.jsonl.gz'], ['e1', 'e2']) }],
      quarantine: [{ bucket: 'q', key: 'q.jsonl.gz', text: '{"reason":"MALFORMED_JSON"}\n' }],
      deadLetters: [
        { path: 'Kdlq', queueName: 'k', kind: 'on-failure', messages: [{ body: JSON.stringify({ KinesisBatchInfo: { batchSize: 1 } }), attributes: {} }] },
        { path: 'Bdlq', queueName: 'b', kind: 'redrive', messages: [] },
      ],
    },
    metrics: [
      { _aws: {}, RecordsDropped: 1, DuplicatesSkipped: 0, FreshnessLagSeconds: [1, 2, 3] },
      { _aws: {}, RecordsDropped: 0, DuplicatesSkipped: 1, FreshnessLagSeconds: [4] },
    ],
    wallTimeMs: 2000,
    invocations: 2,
    functionErrors: 0,
    sent: { stream: 6 },
    rejectedAtSource: [],
    notes: [],
    ...over,
  };
}

describe('buildReport', () => {
  test('counts every place a record can end and checks conservation', () => {
    const r = buildReport(inputs());
    expect(r).toEqual(
      expect.objectContaining({ curated: 2, quarantined: 1, deadLettered: 1, dropped: 1, duplicatesSuppressed: 1, conservationOk: true, throughputPerSec: 3 }),
    );
    expect(r.deadLetteredByQueue).toEqual({ Kdlq: 1, Bdlq: 0 });
    expect(r.freshnessP50Ms).toBe(2000);
    expect(r.freshnessP95Ms).toBe(4000);
    expect(formatReport(r)).toMatch(/conservation\s+OK/);
  });

  test('a lost record fails conservation, naming the sums', () => {
    const r = buildReport(inputs({ recordsIn: 7 }));
    expect(r.conservationOk).toBe(false);
    expect(r.conservationProblems[0]).toMatch(/records in \(7\) != curated \(2\) \+ quarantined \(1\)/);
    expect(formatReport(r)).toMatch(/conservation\s+FAILED/);
  });

  test('an id twice in curated fails conservation; objects whose write failed are not counted', () => {
    const base = inputs();
    const twice = buildReport({
      ...base,
      recordsIn: 5,
      outputs: {
        ...base.outputs,
        curated: [
          { bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n' },
          { bucket: 'cur', key: 'd/b.jsonl.gz', text: '{"eventId":"e1"}\n' },
        ],
        lineage: [{ bucket: 'cur', key: '_lineage/x.json', text: manifest(['d/a.jsonl.gz', 'd/b.jsonl.gz', 'd/missing.jsonl.gz'], ['e1']) }],
      },
    });
    expect(twice.curated).toBe(1);
    expect(twice.conservationProblems.join('\n')).toMatch(/1 input record\(s\) reached curated more than once/);
    // A 1:1 transform whose lines repeat an event id (no lineage for the second) is caught too.
    const repeated = buildReport({
      ...base,
      recordsIn: 6,
      outputs: { ...base.outputs, curated: [{ bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n{"eventId":"e1"}\n' }] },
    });
    expect(repeated.conservationProblems.join('\n')).toMatch(/appear twice in curated/);
  });

  test('percentiles by nearest rank', () => {
    expect(percentileMs([], 0.5)).toBeNull();
    expect(percentileMs([0.1, 0.2, 0.3, 0.4], 0.5)).toBe(200);
    expect(gzipSync('x').length).toBeGreaterThan(0);
  });
});
