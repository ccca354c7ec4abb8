import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, AppProps, CfnParameter, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EtlPipeline, EtlPipelineProps } from '../../lib';
import { CLICKSTREAM_TRANSFORM, TEST_ENV } from '../support/cdk';

/**
 * The library in a user's app rather than ours: no cdk.json feature flags (or only some),
 * env-agnostic stacks, names from CloudFormation parameters, an aws-cdk-lib that knows a newer
 * Node.js runtime. Each synth runs cdk-nag's AwsSolutions and Serverless packs, as a user adding
 * cdk-nag would, and every finding would be the library's doing (the app adds nothing else).
 */

/** Context without bundling (the synth stays fast); nothing else: no feature flags. */
const NO_FLAGS = { 'aws:cdk:bundling-stacks': [] };

interface Synth {
  readonly stack: Stack;
  readonly pipeline: EtlPipeline;
  readonly template: Template;
  /** `<rule id> <construct path>` of every unacknowledged cdk-nag finding. */
  readonly findings: string[];
}

function synth(options: {
  context?: AppProps['context'];
  env?: StackProps['env'];
  props?: (stack: Stack) => Partial<EtlPipelineProps>;
}): Synth {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'portability-'));
  try {
    const app = new App({ outdir, context: options.context ?? NO_FLAGS });
    const stack = new Stack(app, 'UserStack', options.env ? { env: options.env } : {});
    const pipeline = new EtlPipeline(stack, 'Pipeline', {
      pipelineName: 'clicks',
      transformEntry: CLICKSTREAM_TRANSFORM,
      batchWorkflow: {},
      ...options.props?.(stack),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    try {
      app.synth();
    } catch (error) {
      // Findings fail synth (and are read from the report); anything else is a crash.
      if (!/ValidationFailed|Validation failed/.test(String(error))) throw error;
    }
    const reportFile = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(reportFile)
      ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
          pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
        })
      : { pluginReports: [] };
    const findings = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)));
    // Read from the assembly: Template.fromStack would synthesize again (and fail again on findings).
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8')) as Record<string, unknown>);
    return { stack, pipeline, template, findings };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('EtlPipeline in a user app (cdk-nag AwsSolutions + Serverless)', () => {
  test('an env-agnostic stack with batchWorkflow synthesizes with zero findings', () => {
    const { findings, template, stack } = synth({});
    expect(stack.region).toMatch(/^\$\{Token\[AWS\.Region/);
    // The Distributed Map's own-execution policy is there, and its acknowledgement matched.
    expect(Object.keys(template.findResources('AWS::IAM::Policy')).some((id) => id.includes('DistributedMapPolicy'))).toBe(true);
    expect(findings).toEqual([]);
  });

  test('an App whose context is {} (no feature flags at all, bundling on) with an explicit env: zero findings', () => {
    const { findings } = synth({ context: {}, env: TEST_ENV });
    expect(findings).toEqual([]);
  });

  test.each([
    ['explicit env, enablePartitionLiterals only', { ...NO_FLAGS, '@aws-cdk/core:enablePartitionLiterals': true }, TEST_ENV],
    ['env-agnostic, enablePartitionLiterals only', { ...NO_FLAGS, '@aws-cdk/core:enablePartitionLiterals': true }, undefined],
    ['explicit env, no flags', NO_FLAGS, TEST_ENV],
  ])('%s: zero findings', (_name, context, env) => {
    expect(synth({ context, env }).findings).toEqual([]);
  });

  test('a pipelineName from a CfnParameter synthesizes (batch workflow, warehouse, budget, schemas) with zero findings', () => {
    let name = '';
    const { findings, template } = synth({
      props: (stack) => {
        name = new CfnParameter(stack, 'PipelineName', { type: 'String', allowedPattern: '^[a-z][a-z0-9-]{1,62}$' }).valueAsString;
        return {
          pipelineName: name,
          warehouse: { columns: [{ name: 'event_id', type: 'string' }] },
          monthlyBudgetUsd: 100,
          schemas: { schemas: [{ version: '1', file: path.join(path.dirname(CLICKSTREAM_TRANSFORM), 'schemas', 'clickstream-v1.json') }] },
        };
      },
    });
    expect(findings).toEqual([]);
    // The paused flag's name and the metric dimension are the parameter's value at deploy time.
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: { 'Fn::Join': ['', ['/cdk-serverless-etl/', { Ref: 'PipelineName' }, '/paused']] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PIPELINE_NAME: { Ref: 'PipelineName' } } },
    });
  });
});

describe('EtlPipeline runtime', () => {
  test('with a newer Node.js runtime in aws-cdk-lib (faked), every function uses it and the latest-runtime rules pass', () => {
    const newest = Number(/^nodejs(\d+)\.x$/.exec(lambda.Runtime.ALL.map((r) => r.name).filter((n) => /^nodejs\d+\.x$/.test(n)).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop() ?? '')?.[1]);
    const fake = new lambda.Runtime(`nodejs${newest + 2}.x`, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
    try {
      const { template, findings } = synth({ env: TEST_ENV });
      const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Runtime as string);
      expect(runtimes.length).toBe(5); // the transform, the batch workflow's steps, the watermark publisher, the incident-timing recorder and the cost publisher
      expect(new Set(runtimes)).toEqual(new Set([fake.name]));
      expect(findings).toEqual([]);
    } finally {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(fake), 1);
    }
  });

  test('the pipeline-wide runtime prop reaches every function (an older runtime is the app\'s choice: the latest-runtime findings are left to it)', () => {
    const { template, findings } = synth({ env: TEST_ENV, props: () => ({ runtime: lambda.Runtime.NODEJS_22_X }) });
    const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Runtime as string);
    // Every function: the transform, the watermark publisher, the incident-timing recorder (and any other the defaults add).
    expect(runtimes.length).toBeGreaterThanOrEqual(3);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs22.x']));
    expect([...new Set(findings.map((f) => f.split(' ')[0]))].sort()).toEqual(['AwsSolutions-L1', 'Serverless-LambdaLatestVersion']);
  });

  test('a runtime of another family fails synth naming the prop and the allowed range', () => {
    expect(() => synth({ env: TEST_ENV, props: () => ({ runtime: lambda.Runtime.PYTHON_3_13 }) })).toThrow(
      /runtime is python3\.13; it must be a Node\.js runtime from nodejs20\.x to nodejs\d+\.x/,
    );
  });
});
