/**
 * The IAM section of the run report: refused calls by caller, action and resource with counts,
 * and the verdict — refusals fail the run when records were lost, dead-lettered or blocked.
 */
import { formatReport } from '../../../local/report/format-report';
import type { IamReport } from '../../../local/iam/authorizer';
import { buildReport, type ReportInputs } from '../../../local/report/run-report';

const manifest = JSON.stringify({ objects: [{ bucket: 'cur', key: 'd/a.jsonl.gz', inputs: [{ recordId: 'e1' }, { recordId: 'e2' }] }] });

function inputs(over: Partial<ReportInputs> = {}): ReportInputs {
  return {
    recordsIn: 2,
    outputs: {
      curated: [{ bucket: 'cur', key: 'd/a.jsonl.gz', text: '{"eventId":"e1"}\n{"eventId":"e2"}\n' }],
      lineage: [{ bucket: 'cur', key: '_lineage/x.json', text: manifest }],
      quarantine: [],
      deadLetters: [],
    },
    metrics: [],
    wallTimeMs: 1000,
    invocations: 1,
    functionErrors: 0,
    sent: { stream: 2 },
    rejectedAtSource: [],
    notes: [],
    ...over,
  };
}

const clean: IamReport = { mode: 'enforce', checked: 40, checkedActions: { 's3:PutObject': 40 }, denied: [], unmapped: [], unchecked: [], blocked: [], notes: [] };
const refusedPut = {
  caller: 'Pipeline/Transform/Function',
  action: 's3:PutObject',
  resource: 'arn:aws:s3:::curated/clickstream/*',
  count: 12,
  operations: ['s3:PutObject'],
  reason: 'because no identity-based policy allows the s3:PutObject action',
  enforced: true,
};

describe('the IAM section of the report', () => {
  it('a run without refusals passes and says how much was checked', () => {
    const r = buildReport(inputs({ iam: clean }));
    expect(r.iam).toEqual({ ...clean, failed: false });
    expect(formatReport(r)).toMatch(/IAM \(enforce\)\s+OK: 0 call\(s\) denied of 40 authorization\(s\)/);
  });

  it('refused calls that cost records fail the run, naming caller, action, resource and count', () => {
    const deadLetters = [{ path: 'Kdlq', queueName: 'k', kind: 'on-failure' as const, messages: [{ body: JSON.stringify({ KinesisBatchInfo: { batchSize: 2 } }), attributes: {} }] }];
    const r = buildReport(inputs({ iam: { ...clean, denied: [refusedPut] }, outputs: { ...inputs().outputs, curated: [], lineage: [], deadLetters } }));
    expect(r.conservationOk).toBe(true);
    expect(r.iam).toMatchObject({ failed: true, failure: expect.stringContaining('2 record(s) were dead-lettered') });
    expect(r.iam?.failure).toContain('Pipeline/Transform/Function: s3:PutObject on arn:aws:s3:::curated/clickstream/* (12 calls)');
    const text = formatReport(r);
    expect(text).toMatch(/IAM \(enforce\)\s+FAILED: 12 call\(s\) denied of 40/);
    expect(text).toContain('  Pipeline/Transform/Function  s3:PutObject  arn:aws:s3:::curated/clickstream/*  12 calls (s3:PutObject)\n    because no identity-based policy allows the s3:PutObject action');
  });

  it('a refusal that cost nothing is listed but does not fail the run; a blocked mapping does', () => {
    expect(buildReport(inputs({ iam: { ...clean, denied: [refusedPut] } })).iam).toMatchObject({ failed: false });
    const blocked = buildReport(inputs({ iam: { ...clean, denied: [{ ...refusedPut, action: 'kinesis:GetRecords' }], blocked: ['Transform/Kinesis (event source mapping): kinesis:GetRecords refused'] } }));
    expect(blocked.iam).toMatchObject({ failed: true, failure: expect.stringContaining('1 event source mapping(s) stopped polling') });
    expect(formatReport(blocked)).toMatch(/blocked: Transform\/Kinesis \(event source mapping\): kinesis:GetRecords refused/);
  });

  it('report mode: refusals are listed as let through and never fail the run', () => {
    const deadLetters = [{ path: 'Kdlq', queueName: 'k', kind: 'redrive' as const, messages: [{ body: '{}', attributes: {} }] }];
    const r = buildReport(inputs({ recordsIn: 3, iam: { ...clean, mode: 'report', denied: [{ ...refusedPut, enforced: false }] }, outputs: { ...inputs().outputs, deadLetters } }));
    expect(r.iam?.failed).toBe(false);
    const text = formatReport(r);
    expect(text).toMatch(/IAM \(report\)\s+would deny: 12 call\(s\)/);
    expect(text).toContain("IAM: calls the app's policies would refuse (let through: --iam report)");
  });

  it('unmapped operations and callers that are not checked are listed', () => {
    const iam: IamReport = {
      ...clean,
      unmapped: [{ caller: 'Fn', operation: 's3:SelectObjectContent', count: 2, why: 'S3 SelectObjectContent is not mapped to IAM actions by the local run' }],
      unchecked: ['Fn2: its role arn:aws:iam::1:role/External is not in the app (its policies are unknown)'],
    };
    const text = formatReport(buildReport(inputs({ iam })));
    expect(text).toMatch(/calls not checked[\s\S]*Fn {2}s3:SelectObjectContent {2}2 calls/);
    expect(text).toMatch(/callers not \(fully\) checked\n {2}Fn2: its role/);
  });
});
