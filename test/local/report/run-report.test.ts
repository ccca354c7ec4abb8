import { gzipSync } from 'node:zlib';
import { buildReport, percentileMs, type ReportInputs } from '../../../local/report/run-report';
import { formatReport } from '../../../local/report/format-report';

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

  test('lines a source rejects are counted by reason and are part of the conservation identity', () => {
    const rejectedAtSource = [
      { line: 3, reason: 'SendMessage: InvalidMessageContents: Invalid characters found.' },
      { line: 5, reason: 'PutEvents: ValidationException: Total size of the entries in the request is over the limit.' },
      { line: 9, reason: 'SendMessage: InvalidMessageContents: Invalid characters found.' },
    ];
    const r = buildReport(inputs({ linesRead: 9, rejectedAtSource }));
    expect(r.conservationOk).toBe(true);
    expect(r.rejectedAtSourceByReason).toEqual({ 'SendMessage: InvalidMessageContents': 2, 'PutEvents: ValidationException': 1 });
    const text = formatReport(r);
    expect(text).toMatch(/input lines\s+9\s+\(6 in, 3 rejected at source\)/);
    expect(text).toMatch(/rejected at source\s+3\s+\(SendMessage: InvalidMessageContents 2, PutEvents: ValidationException 1\)/);
    expect(text).toMatch(/line 3: SendMessage: InvalidMessageContents/);
  });

  test('a line neither sent nor rejected fails conservation', () => {
    const r = buildReport(inputs({ linesRead: 8, rejectedAtSource: [{ line: 2, reason: 'PutRecords failed after 5 attempts' }] }));
    expect(r.conservationOk).toBe(false);
    expect(r.conservationProblems).toContain('input lines (8) != records in (6) + rejected at source (1)');
    expect(buildReport(inputs({ linesRead: 8, linesNotRouted: 1, rejectedAtSource: [{ line: 2, reason: 'x' }] })).conservationOk).toBe(true);
  });

  test('records a Kinesis source delivered again after handling them are counted once; timeouts are shown', () => {
    // e2 was curated, e3 dropped; a later failure before them had Kinesis deliver both again: the
    // runtime counted e2 as a duplicate and e3 as dropped a second time, and a dead-letter range of
    // 2 records holds the failed one and e3 again.
    const base = inputs();
    const over = {
      recordsIn: 6,
      metrics: [...base.metrics, { _aws: {}, RecordsDropped: 1, DuplicatesSkipped: 1 }],
      outputs: {
        ...base.outputs,
        deadLetters: [{ path: 'Kdlq', queueName: 'k', kind: 'on-failure' as const, messages: [{ body: JSON.stringify({ KinesisBatchInfo: { batchSize: 2 } }), attributes: {} }] }],
      },
    };
    expect(buildReport(inputs(over)).conservationOk).toBe(false);
    const r = buildReport(inputs({ ...over, functionTimeouts: 1, functionErrors: 1, redelivered: { dropped: 1, duplicates: 1, deadLetteredByQueue: { Kdlq: 1 } } }));
    expect(r).toEqual(expect.objectContaining({ dropped: 1, duplicatesSuppressed: 1, deadLettered: 1, conservationOk: true, functionTimeouts: 1 }));
    const text = formatReport(r);
    expect(text).toMatch(/delivered again\s+3 handled record\(s\) delivered again \(1 dropped again, 1 skipped as their own duplicate, 1 also in a dead-letter range\): each counted once above/);
    expect(text).toMatch(/2 invocations, 1 failed \(1 timed out\)/);
  });

  test('the faults section: each clause, each fault with what became of it, and how the run absorbed the rest', () => {
    const faults = {
      spec: 'throttle:dynamodb:0.1,hang:s3:PutObject:1x,5xx:sqs:0.5',
      seed: 7,
      clauses: [
        { clause: 'throttle:dynamodb:0.1', matched: 40, injected: 5 },
        { clause: 'hang:s3:PutObject:1x', matched: 9, injected: 1 },
        { clause: '5xx:sqs:0.5', matched: 0, injected: 0 },
      ],
      faults: [
        { kind: 'throttle' as const, clause: 'throttle:dynamodb:0.1', service: 'dynamodb', operation: 'PutItem', caller: 'P/Fn', count: 5, outcomes: { 'sdk-retry': 3, 'sent-again': 1, 'reached-result': 1, 'timed-out': 0 } },
        { kind: 'hang' as const, clause: 'hang:s3:PutObject:1x', service: 's3', operation: 'PutObject', caller: 'P/Fn', count: 1, outcomes: { 'sdk-retry': 1, 'sent-again': 0, 'reached-result': 0, 'timed-out': 0 }, heldMs: 6000 },
      ],
      injected: 6,
      absorbedBy: { functionErrors: 1, timeouts: 0, restarts: 0, recordsRetried: 2, batchesBisected: 1, recordsGivenUp: 0, workflowRetries: 1, workflowTaskFailures: 0 },
    };
    const r = buildReport(inputs({ faults }));
    expect(r.faults).toBe(faults);
    const text = formatReport(r);
    expect(text).toContain('Faults injected: 6  (--faults throttle:dynamodb:0.1,hang:s3:PutObject:1x,5xx:sqs:0.5 --seed 7)');
    expect(text).toContain('    dynamodb:PutItem by P/Fn: 5 (retried by the SDK 3, completed when sent again (by the function or a redelivery) 1, surfaced to the invocation 1)');
    expect(text).toContain('    s3:PutObject by P/Fn: 1 (retried by the SDK 1; held 6.0 s in all until the clients gave up)');
    expect(text).toContain('  5xx:sqs:0.5: never fired (no call matched it)');
    expect(text).toMatch(/absorbed by the event sources: 1 failed invocation\(s\) retried, 2 record\(s\) reported failed and delivered again, 1 batch\(es\) bisected/);
    expect(text).toMatch(/absorbed by the workflows: 1 failed task call\(s\) run again by a Retry/);
    expect(formatReport(buildReport(inputs()))).not.toMatch(/Faults injected|delivered again/);
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

  test('versions of an id are inputs of their own; a version curated twice is still caught', () => {
    const base = inputs();
    const line = (revision: number, position: string) =>
      JSON.stringify({ eventId: 'e1', revision, _etl_key: 'e1', _etl_op: 'upsert', _etl_processed_at: `2026-11-24T10:00:0${position}.000Z`, _etl_position: position });
    const versioned = (lines: string[], versions: string[]) =>
      buildReport({
        ...base,
        recordsIn: 4 + versions.length,
        outputs: {
          ...base.outputs,
          curated: [{ bucket: 'cur', key: 'd/a.jsonl.gz', text: `${lines.join('\n')}\n` }],
          lineage: [{ bucket: 'cur', key: '_lineage/x.json', text: JSON.stringify({ objects: [{ bucket: 'cur', key: 'd/a.jsonl.gz', inputs: versions.map((version) => ({ recordId: 'e1', version })) }] }) }],
        },
      });
    const ok = versioned([line(1, '1'), line(2, '2')], ['1', '2']);
    expect(ok.curated).toBe(2);
    expect(ok.conservationProblems).toEqual([]);
    const twice = versioned([line(1, '1'), line(1, '2')], ['1', '1']);
    expect(twice.conservationProblems.join('\n')).toMatch(/1 input record\(s\) reached curated more than once/);
    // Lines equal but for when and where they were written: one record twice, whatever the lineage says.
    expect(versioned([line(1, '1'), line(1, '2')], ['1', '2']).conservationProblems.join('\n')).toMatch(/1 event id\(s\) appear twice in curated/);
  });

  test("deduplication 'table': a record curated again by another delivery is counted, not a problem (the current table holds it once)", () => {
    const base = inputs();
    const again = {
      ...base,
      recordsIn: 7,
      outputs: {
        ...base.outputs,
        curated: [
          { bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n{"eventId":"e2"}\n' },
          { bucket: 'cur', key: 'd/b.jsonl.gz', text: '{"eventId":"e1"}\n' },
        ],
        lineage: [
          { bucket: 'cur', key: '_lineage/x.json', text: manifest(['d/a.jsonl.gz'], ['e1', 'e2']) },
          { bucket: 'cur', key: '_lineage/y.json', text: manifest(['d/b.jsonl.gz'], ['e1']) },
        ],
      },
    };
    const claims = buildReport(again);
    expect(claims.conservationProblems.join('\n')).toMatch(/1 input record\(s\) reached curated more than once/);
    const table = buildReport({ ...again, deduplication: 'table' });
    expect(table).toEqual(expect.objectContaining({ deduplication: 'table', curated: 2, curatedAgain: 1, conservationOk: true }));
    const text = formatReport(table);
    expect(text).toMatch(/curated again\s+1 {2}\(delivered again in another batch; deduplication 'table': the current table holds each once\)/);
    expect(text).toMatch(/in = curated \+ curated again \+ quarantined/);
    expect(buildReport({ ...again, recordsIn: 8, deduplication: 'table' }).conservationProblems[0]).toMatch(/records in \(8\) != curated \(2\) \+ curated again \(1\) \+ quarantined \(1\)/);
  });

  test('batch objects: a range processed twice is counted once; an object rejected whole is counted by its lines', () => {
    const base = inputs();
    const summary = (over: Partial<Record<'recordsIn' | 'curated' | 'quarantined' | 'dropped' | 'duplicates' | 'retried', number>>) => ({
      recordsIn: 0, curated: 0, quarantined: 0, dropped: 0, duplicates: 0, retried: 0, ...over,
    });
    // Range 1-2 ran twice (its Map was retried): the second pass sees its own records as duplicates
    // and drops the bot again; the metrics count both passes.
    const r = buildReport({
      ...base,
      recordsIn: 6 + 2 + 3 + 4,
      metrics: [...base.metrics, { _aws: {}, RecordsDropped: 1, DuplicatesSkipped: 0 }, { _aws: {}, RecordsDropped: 1, DuplicatesSkipped: 1 }],
      outputs: {
        ...base.outputs,
        quarantine: [
          ...base.outputs.quarantine,
          // a whole object quarantined by the workflow: the copy and its sidecar are not records
          { bucket: 'q', key: 'ds/objects/batch/bad.jsonl', text: 'a,b\n1,2\n3,4\n' },
          { bucket: 'q', key: 'ds/objects/batch/bad.jsonl.error.json', text: JSON.stringify({ source: { bucket: 'raw', key: 'batch/bad.jsonl' }, reason: 'NotJsonLines' }) },
        ],
        lineage: [...base.outputs.lineage, { bucket: 'cur', key: '_lineage/y.json', text: manifest(['d/b.jsonl.gz'], ['b1']) }],
        curated: [...base.outputs.curated, { bucket: 'cur', key: 'd/b.jsonl.gz', text: '{"eventId":"b1"}\n' }],
        deadLetters: [
          ...base.outputs.deadLetters,
          { path: 'WfDlq', queueName: 'w', kind: 'rule-target', messages: [{ body: JSON.stringify({ pipeline: 'p', bucket: 'raw', key: 'batch/paused.jsonl', error: 'PipelinePaused' }), attributes: {} }] },
        ],
      },
      batchObjects: [
        {
          bucket: 'raw',
          key: 'batch/ok.jsonl',
          records: 2,
          passes: [
            { firstLine: 1, lineCount: 2, summary: summary({ recordsIn: 2, curated: 1, dropped: 1 }) },
            { firstLine: 1, lineCount: 2, summary: summary({ recordsIn: 2, dropped: 1, duplicates: 1 }) },
          ],
        },
        { bucket: 'raw', key: 'batch/bad.jsonl', records: 3, passes: [] },
        { bucket: 'raw', key: 'batch/paused.jsonl', records: 4, passes: [] },
      ],
    });
    expect(r.batchObjects).toEqual([
      expect.objectContaining({ key: 'batch/ok.jsonl', processed: 2, rangesReprocessed: 1, accounting: 'records' }),
      expect.objectContaining({ key: 'batch/bad.jsonl', processed: 0, accounting: 'quarantined', reason: 'NotJsonLines' }),
      expect.objectContaining({ key: 'batch/paused.jsonl', processed: 0, accounting: 'dead-lettered', reason: 'PipelinePaused' }),
    ]);
    expect(r).toEqual(
      expect.objectContaining({
        curated: 3,
        quarantined: 1 + 3,
        quarantinedByReason: { MALFORMED_JSON: 1, 'NotJsonLines (object)': 3 },
        deadLettered: 1 + 4,
        dropped: 1 + 1,
        duplicatesSuppressed: 1,
        conservationOk: true,
      }),
    );
    expect(r.deadLetteredByQueue.WfDlq).toBe(4);

    // Records a last pass could not store, of an object neither quarantined nor dead-lettered, are named.
    const lost = buildReport({
      ...base,
      recordsIn: 9,
      batchObjects: [{ bucket: 'raw', key: 'batch/lost.jsonl', records: 3, passes: [{ firstLine: 1, lineCount: 3, summary: summary({ recordsIn: 3, curated: 1, retried: 2 }) }] }],
    });
    expect(lost.batchObjects[0]).toEqual(expect.objectContaining({ processed: 1, accounting: 'unaccounted' }));
    expect(lost.conservationProblems).toContain('s3://raw/batch/lost.jsonl: 2 of its 3 record(s) were not processed or not stored, and the object is neither quarantined nor dead-lettered');
  });

  test('a batch pass killed by its timeout after storing some records, then the object dead-lettered whole: those records are counted once, where they are', () => {
    const base = inputs();
    const line = (n: number) => ({ kind: 's3', bucket: 'raw', key: 'batch/killed.jsonl', line: n });
    const lineage = JSON.stringify({
      objects: [{ bucket: 'cur', key: 'd/k.jsonl.gz', inputs: [{ recordId: 'k1', source: line(1) }, { recordId: 'k2', source: line(2) }] }],
    });
    // Lines 1-4 were one range; its only pass curated lines 1 and 2 and quarantined line 3, then
    // timed out before returning (no finished pass). The workflow sent the object to its DLQ.
    const r = buildReport({
      ...base,
      recordsIn: 6 + 4,
      outputs: {
        ...base.outputs,
        curated: [...base.outputs.curated, { bucket: 'cur', key: 'd/k.jsonl.gz', text: '{"eventId":"k1"}\n{"eventId":"k2"}\n' }],
        lineage: [...base.outputs.lineage, { bucket: 'cur', key: '_lineage/k.json', text: lineage }],
        quarantine: [...base.outputs.quarantine, { bucket: 'q', key: 'q/k.jsonl.gz', text: `${JSON.stringify({ reason: 'TRANSFORM_ERROR', source: line(3) })}\n` }],
        deadLetters: [
          ...base.outputs.deadLetters,
          { path: 'WfDlq', queueName: 'w', kind: 'rule-target', messages: [{ body: JSON.stringify({ bucket: 'raw', key: 'batch/killed.jsonl', error: 'States.Timeout' }), attributes: {} }] },
        ],
      },
      batchObjects: [{ bucket: 'raw', key: 'batch/killed.jsonl', records: 4, passes: [] }],
    });
    expect(r.batchObjects).toEqual([expect.objectContaining({ processed: 0, storedByUnfinishedPasses: 3, accounting: 'dead-lettered', reason: 'States.Timeout' })]);
    expect(r).toEqual(expect.objectContaining({ curated: 2 + 2, quarantined: 1 + 1, deadLettered: 1 + 1, conservationOk: true }));
    expect(r.deadLetteredByQueue.WfDlq).toBe(1);

    // A retry of the range that finished counts every line itself (the stored ones as duplicates): nothing is subtracted.
    const summary = { recordsIn: 4, curated: 1, quarantined: 0, dropped: 0, duplicates: 3, retried: 0 };
    const retried = buildReport({
      ...base,
      recordsIn: 6 + 4,
      batchObjects: [{ bucket: 'raw', key: 'batch/killed.jsonl', records: 4, passes: [{ firstLine: 1, lineCount: 4, summary }] }],
      outputs: { ...base.outputs, lineage: [...base.outputs.lineage, { bucket: 'cur', key: '_lineage/k.json', text: lineage }], curated: [...base.outputs.curated, { bucket: 'cur', key: 'd/k.jsonl.gz', text: '{"eventId":"k1"}\n{"eventId":"k2"}\n' }] },
    });
    expect(retried.batchObjects[0]).toEqual(expect.objectContaining({ processed: 4, storedByUnfinishedPasses: 0, accounting: 'records' }));
  });

  test('state machine executions are listed with their events and errors', () => {
    const r = buildReport(
      inputs({
        executions: [
          {
            stateMachine: 'Wf/StateMachine',
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:wf:1',
            input: 's3://raw/batch/a.jsonl',
            status: 'FAILED',
            durationMs: 1234,
            statesVisited: 11,
            mapIterations: 0,
            taskCalls: 6,
            events: [{ detailType: 'SchemaDriftDetected', counts: { recordsIn: 10, driftRate: 0.3, errors: ['x'] } }],
            error: 'SchemaDrift',
            cause: 'schema-mismatch rate 0.3 above 0.05',
          },
        ],
      }),
    );
    const text = formatReport(r);
    expect(text).toContain('State machine executions\n  Wf/StateMachine  s3://raw/batch/a.jsonl\n    FAILED in 1.2 s: 11 states visited, 6 task calls');
    expect(text).toContain('    SchemaDriftDetected: recordsIn 10, driftRate 0.3\n    error SchemaDrift: schema-mismatch rate 0.3 above 0.05');
  });

  test('what ran at once: per mapping, per Distributed Map and per function, with its cap', () => {
    const r = buildReport(
      inputs({
        concurrency: {
          mappings: [
            { mapping: 'P/Esm1', kind: 'kinesis', source: 'P/Stream', function: 'P/Fn', setting: '2 shard(s) × ParallelizationFactor 2', cap: 4, peak: 3 },
            { mapping: 'P/Esm2', kind: 'sqs', source: 'P/Buffer', function: 'P/Fn', setting: 'MaximumConcurrency 10', cap: 10, peak: 2 },
          ],
          distributedMaps: [{ stateMachine: 'P/Workflow', state: 'Ranges', maxConcurrency: 0, cap: 40, peak: 5, items: 12 }],
          functions: [{ function: 'P/Fn', environments: 6, peak: 6, cap: 64, waited: 0 }],
        },
      }),
    );
    expect(r.concurrency.mappings.map((m) => [m.peak, m.cap])).toEqual([[3, 4], [2, 10]]);
    const text = formatReport(r);
    expect(text).toContain('Concurrency (the most at once / the cap)');
    expect(text).toMatch(/P\/Stream → P\/Fn: 3 \/ 4 invocations {2}\(2 shard\(s\) × ParallelizationFactor 2\)/);
    expect(text).toMatch(/P\/Buffer → P\/Fn: 2 \/ 10 invocations {2}\(MaximumConcurrency 10\)/);
    expect(text).toMatch(/P\/Workflow Map "Ranges": 5 \/ 40 items {2}\(no MaxConcurrency \(AWS: up to 10,000\), 40 locally; 12 items run\)/);
    expect(text).toMatch(/P\/Fn: 6 invocations at once in 6 environment\(s\)/);
    // Without concurrency inputs, the section is empty and left out.
    expect(buildReport(inputs()).concurrency).toEqual({ mappings: [], distributedMaps: [], functions: [] });
    expect(formatReport(buildReport(inputs()))).not.toContain('Concurrency');
  });

  test('--via each: every line is sent by each source, and the identity counts lines × sources', () => {
    const ok = buildReport(inputs({ linesRead: 2, deliveriesPerLine: 3 }));
    expect(ok.conservationOk).toBe(true);
    expect(formatReport(ok)).toMatch(/input lines\s+2 {2}\(each sent by 3 sources\)/);
    expect(formatReport(ok)).toMatch(/conservation\s+OK: lines × 3 = in \+ rejected at source/);
    const short = buildReport(inputs({ linesRead: 3, deliveriesPerLine: 3 }));
    expect(short.conservationProblems).toEqual([expect.stringMatching(/^input lines \(3 × 3 sources\) != records in \(6\)/)]);
  });

  test('percentiles by nearest rank', () => {
    expect(percentileMs([], 0.5)).toBeNull();
    expect(percentileMs([0.1, 0.2, 0.3, 0.4], 0.5)).toBe(200);
    expect(gzipSync('x').length).toBeGreaterThan(0);
  });
});
