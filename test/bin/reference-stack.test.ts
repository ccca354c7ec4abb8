import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cdkJson from '../../cdk.json';
import { ClickstreamPipelineStack } from '../../bin/clickstream-pipeline-stack';
import { addComplianceChecks } from '../../bin/compliance-checks';
import { cfnLintAvailable, formatFinding, lintTemplates } from '../../scripts/cfn-lint';
import { stableTemplate, TEST_ENV } from '../support/cdk';

interface Report {
  pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; description: string }> }>;
}

/**
 * One real synth of the reference stack, as `cdk synth` does it: esbuild bundling, the cdk-nag
 * packs and aws-cdk-lib's CloudFormation validation all on.
 */
describe('ClickstreamPipelineStack (full synth)', () => {
  let outdir: string;
  let template: Template;
  let stack: ClickstreamPipelineStack;
  let report: Report;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-stack-'));
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    try {
      const app = new App({ outdir, context: cdkJson.context });
      stack = new ClickstreamPipelineStack(app, 'ClickstreamPipeline', { env: TEST_ENV });
      addComplianceChecks(app);
      app.synth();
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
    template = Template.fromStack(stack);
    report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('cdk-nag (AwsSolutions, Serverless, NIST 800-53 R5, HIPAA) and CloudFormation validation: zero findings', () => {
    const findings = report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName}: ${v.ruleName} ${v.description}`));
    expect(findings).toEqual([]);
  });

  test('every acknowledgement carries a reason', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(20);
    for (const [id, reason] of acknowledged) {
      expect({ id, reasonLength: reason.length }).toEqual({ id, reasonLength: expect.any(Number) });
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  test('the transform asset is bundled by esbuild with the clickstream transform inlined', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [fn] = Object.values(functions);
    const key = String(fn.Properties.Code.S3Key);
    const assetDir = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(bundle).toContain('isConversion');
    expect(bundle).not.toContain('@cdk-serverless-etl/user-transform');
    expect(bundle).not.toMatch(/require\(["']@aws-lambda-powertools/); // bundled in, not external
    expect(Buffer.byteLength(bundle)).toBeLessThan(150 * 1024);
  });

  test('every alarm has actions, every queue and stream is KMS-encrypted, every log group has retention', () => {
    // Every alarm notifies, or is a component of a composite (burn-rate) alarm that notifies; every
    // alarm description links its runbook section, and that section exists in docs/runbooks.md.
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    const referenced = JSON.stringify(composites.map((c) => c.Properties.AlarmRule));
    const runbook = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#+ .*\{#([a-z-]+)\}|^<a id="([a-z-]+)"><\/a>/gm)].map((m) => m[1] ?? m[2]));
    const alarms = { ...template.findResources('AWS::CloudWatch::Alarm'), ...template.findResources('AWS::CloudWatch::CompositeAlarm') };
    for (const [id, alarm] of Object.entries(alarms)) {
      const notifies = (alarm.Properties.AlarmActions?.length ?? 0) > 0;
      expect({ id, notifiesOrFeedsComposite: notifies || referenced.includes(id) }).toEqual({ id, notifiesOrFeedsComposite: true });
      const anchor = /Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#([a-z-]+)$/.exec(String(alarm.Properties.AlarmDescription))?.[1];
      expect({ id, anchor, documented: anchor !== undefined && anchors.has(anchor) }).toEqual({ id, anchor, documented: true });
    }
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    }
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
      expect(group.Properties.KmsKeyId).toBeDefined();
    }
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS' } });
  });

  test('uses the clickstream contract: eventId is the id, eventTime the event time, bus pattern for storefront events', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { RECORD_ID_FIELD: 'eventId', EVENT_TIME_FIELD: 'eventTime', DATASET: 'clickstream' } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['com.example.storefront'], 'detail-type': ['ClickstreamEvent'] },
    });
  });

  // cfn-lint comes with the machine's Python; CI must have it, a developer without it is told.
  const lint = cfnLintAvailable() || process.env.CI ? test : test.skip;
  lint('cfn-lint: zero errors besides the listed false positives of its schema', () => {
    const result = lintTemplates([path.join(outdir, 'ClickstreamPipeline.template.json')]);
    expect(result.errors.map(formatFinding)).toEqual([]);
    expect(result.knownFalsePositives.map((f) => `${f.rule} ${f.resourceType}`)).toEqual(['E3002 AWS::CloudWatch::Dashboard']);
  });

  test('snapshot', () => {
    expect(stableTemplate(stack)).toMatchSnapshot();
  });
});
