/**
 * One synth, in a fresh process (run by synth.ts): builds an App in-process (not the CDK CLI)
 * and prints a JSON line with times, stacks, resources and template bytes.
 *   argv: <library|plain|plain-in-process> <pipelines> <per-stack|one-stack> <outdir>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { acknowledgeComplianceFindings } from '../bin/compliance-acknowledgements';
import { ClickstreamPipelineStack } from '../bin/clickstream-pipeline-stack';
import { EtlPipeline } from '../lib';
import { writeSchemaBundle } from '../lib/schema/schema-bundle';
import { PlainPipelineStack } from './plain-stack';

const start = process.hrtime.bigint();
const [variant, countArg, layout, outdir] = process.argv.slice(2);
const count = Number(countArg);
const ROOT = path.join(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'clickstream');
const env = { account: '123456789012', region: 'us-east-1' };
const transformFor = (i: number) => (i === 0 ? path.join(EXAMPLE, 'transform.ts') : path.join(__dirname, '.out', 'transforms', `transform-${i}.ts`));

// The project's cdk.json context (feature flags), as \`cdk synth\` passes it, for every variant.
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
const app = new App({ outdir, context: cdkJson.context ?? {} });
/** The reference pipeline's props, with the pipeline's own transform file. */
const pipelineProps = (i: number) => ({
  pipelineName: `clickstream-${i}`,
  transformEntry: transformFor(i),
  dataset: `clickstream_${i}`,
  idField: 'eventId',
  eventTimeField: 'eventTime',
  schemas: { schemas: [{ version: '1', file: path.join(EXAMPLE, 'schemas', 'clickstream-v1.json') }], versionField: 'schemaVersion' },
  eventBus: { eventPattern: { source: ['com.example.storefront'], detailType: ['ClickstreamEvent'] } },
  kinesisSource: { batchSize: 500, parallelizationFactor: 2 },
  sqsSource: { batchSize: 100, maxBatchingWindow: Duration.seconds(2), maxConcurrency: 10 },
});
const schemaJson = fs.readFileSync(path.join(EXAMPLE, 'schemas', 'clickstream-v1.json'), 'utf8');
if (variant === 'library') {
  if (layout === 'one-stack') {
    const stack = new Stack(app, 'AllPipelines', { env });
    for (let i = 0; i < count; i++) new EtlPipeline(stack, `Pipeline${i}`, pipelineProps(i));
  } else if (count === 1) {
    new ClickstreamPipelineStack(app, 'ClickstreamPipeline', { env });
  } else {
    for (let i = 0; i < count; i++) {
      const stack = new Stack(app, `Clickstream${i}`, { env });
      acknowledgeComplianceFindings(stack, new EtlPipeline(stack, 'Pipeline', pipelineProps(i)));
    }
  }
} else {
  const schemaModule = writeSchemaBundle({ versions: [{ version: '1', schema: JSON.parse(schemaJson) }], versionField: 'schemaVersion' });
  const bundler = variant === 'plain-in-process' ? 'in-process' : 'npx';
  if (layout !== 'one-stack' && count === 1) {
    // Mirrors ClickstreamPipelineStack: batch workflow, warehouse, budget, staleness alarm.
    new PlainPipelineStack(app, 'PlainClickstream', {
      env,
      description: 'Plain aws-cdk-lib equivalent of the reference stack: clickstream pipeline (Kinesis + EventBridge → Lambda → S3)',
      pipelineName: 'clickstream',
      dataset: 'clickstream',
      transformEntry: transformFor(0),
      schemaModule,
      schemaJson,
      bundler,
      batchWorkflow: true,
      warehouse: true,
      monthlyBudgetUsd: 100,
      staleAfter: Duration.minutes(30),
    });
  } else {
    // Mirrors the scale series: one pipeline with pipelineProps(i), no batch workflow.
    for (let i = 0; i < count; i++) {
      new PlainPipelineStack(app, `Plain${i}`, {
        env,
        pipelineName: pipelineProps(i).pipelineName,
        dataset: pipelineProps(i).dataset,
        transformEntry: transformFor(i),
        schemaModule,
        schemaJson,
        bundler,
      });
    }
  }
}
const constructed = process.hrtime.bigint();
let error: string | undefined;
let stacks: Array<{ name: string; resources: number; bytes: number }> = [];
try {
  const assembly = app.synth();
  stacks = assembly.stacks.map((s) => ({
    name: s.stackName,
    resources: Object.keys((s.template as { Resources?: object }).Resources ?? {}).length,
    bytes: fs.statSync(path.join(assembly.directory, s.templateFile)).size,
  }));
} catch (e) {
  error = (e as Error).message.split('\n')[0].slice(0, 300);
}
const end = process.hrtime.bigint();
process.stdout.write(
  `${JSON.stringify({ constructMs: Number(constructed - start) / 1e6, synthMs: Number(end - constructed) / 1e6, inProcessMs: Number(end - start) / 1e6, stacks, error })}\n`,
);
