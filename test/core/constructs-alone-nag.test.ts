import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { DataLake, ServerlessWarehouse, StreamIngest } from '../../lib';
import { TEST_ENV } from '../support/cdk';

/** cdk-nag AwsSolutions + Serverless findings of an app built by `build`, as `<rule> <construct path>`. */
function findings(build: (stack: Stack) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'alone-nag-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    build(new Stack(app, 'Alone', { env: TEST_ENV }));
    try {
      app.synth();
    } catch {
      // Findings fail synth; the report says which.
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
    };
    return report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('constructs composed alone: zero cdk-nag findings of the library\'s doing', () => {
  test('StreamIngest archiving to an imported bucket (the Firehose role\'s object wildcard is acknowledged by the bucket\'s ARN)', () => {
    expect(findings((stack) => new StreamIngest(stack, 'Stream', { archiveBucket: s3.Bucket.fromBucketName(stack, 'Archive', 'shop-stream-archive') }))).toEqual([]);
  });

  test('ServerlessWarehouse without an access-logs bucket (its results bucket is acknowledged, with the reason)', () => {
    expect(
      findings((stack) => {
        new ServerlessWarehouse(stack, 'Warehouse', { curatedBucket: new DataLake(stack, 'Lake').curatedBucket, dataset: 'orders', columns: [{ name: 'id', type: 'string' }] });
      }),
    ).toEqual([]);
  });
});
