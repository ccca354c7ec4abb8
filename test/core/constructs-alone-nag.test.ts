import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import * as lib from '../../lib';
import {
  AlarmRouting,
  BatchWorkflow,
  CostGuardrails,
  CostPerUnit,
  CurrentTable,
  IncidentTiming,
  OperationsFunction,
  DataLake,
  DeadLetterQueue,
  EventBusIngest,
  IdempotencyStore,
  PipelineAlarms,
  PipelineDashboard,
  PipelineSlos,
  SchemaRegistry,
  ServerlessWarehouse,
  StreamIngest,
  TransformFunction,
  WatermarkPublisher,
  PipelineSource,
} from '../../lib';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV } from '../support/cdk';

/**
 * Every public construct used alone, as a user composing their own pipeline would: each in a stack
 * of its own with cdk-nag's AwsSolutions and Serverless packs, its inputs imported (no resources)
 * or, where it takes one of the library's constructs, that construct under `Deps` (whose findings
 * are its own case's). Any finding is the construct's doing: it must be fixed or acknowledged with
 * a reason in the construct.
 */

/** A bucket, a topic, a bus and a key of the user's, imported: they add no resources and no findings. */
function imported(scope: Construct) {
  return {
    bucket: (name: string) => s3.Bucket.fromBucketName(scope, `Imported${name}`, name),
    topic: sns.Topic.fromTopicArn(scope, 'ImportedTopic', `arn:aws:sns:${TEST_ENV.region}:${TEST_ENV.account}:alerts`),
    bus: events.EventBus.fromEventBusName(scope, 'ImportedBus', 'default'),
    key: kms.Key.fromKeyArn(scope, 'ImportedKey', `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/0b3ad1b8-6a4c-4d4c-9b9e-0c1e2d3f4a5b`),
  };
}

/** The library constructs a case depends on, under `Deps` (their findings are their own cases'). */
function transformIn(deps: Construct): TransformFunction {
  const i = imported(deps);
  return new TransformFunction(deps, 'Transform', { transformEntry: CLICKSTREAM_TRANSFORM, pipelineName: 'orders', curatedBucket: i.bucket('curated'), quarantineBucket: i.bucket('quarantine') });
}

const CASES: Record<string, (scope: Construct, deps: Construct) => void> = {
  DataLake: (scope) => new DataLake(scope, 'Subject'),
  StreamIngest: (scope) => new StreamIngest(scope, 'Subject'),
  // The Firehose role's object wildcard is acknowledged by the bucket's ARN.
  'StreamIngest (archiving to an imported bucket)': (scope) => new StreamIngest(scope, 'Subject', { archiveBucket: imported(scope).bucket('shop-stream-archive') }),
  EventBusIngest: (scope) => new EventBusIngest(scope, 'Subject'),
  DeadLetterQueue: (scope) => new DeadLetterQueue(scope, 'Subject'),
  'DeadLetterQueue (with an imported key)': (scope) => new DeadLetterQueue(scope, 'Subject', { encryptionKey: imported(scope).key }),
  TransformFunction: (scope) => {
    const i = imported(scope);
    new TransformFunction(scope, 'Subject', { transformEntry: CLICKSTREAM_TRANSFORM, pipelineName: 'orders', curatedBucket: i.bucket('curated'), quarantineBucket: i.bucket('quarantine') });
  },
  IdempotencyStore: (scope) => new IdempotencyStore(scope, 'Subject'),
  SchemaRegistry: (scope) => new SchemaRegistry(scope, 'Subject', { schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }] }),
  AlarmRouting: (scope) => new AlarmRouting(scope, 'Subject'),
  'AlarmRouting (imported topics)': (scope) => {
    const { topic } = imported(scope);
    new AlarmRouting(scope, 'Subject', { pageTopic: topic, ticketTopic: topic });
  },
  PipelineSlos: (scope, deps) => new PipelineSlos(scope, 'Subject', { pipelineName: 'orders', routing: new AlarmRouting(deps, 'Routing'), transformFunction: transformIn(deps) }),
  PipelineAlarms: (scope, deps) => new PipelineAlarms(scope, 'Subject', { pipelineName: 'orders', routing: new AlarmRouting(deps, 'Routing'), transform: transformIn(deps) }),
  PipelineDashboard: (scope, deps) => new PipelineDashboard(scope, 'Subject', { pipelineName: 'orders', transform: transformIn(deps) }),
  CostGuardrails: (scope) => new CostGuardrails(scope, 'Subject', { pipelineName: 'orders', monthlyBudgetUsd: 100, notificationTopic: imported(scope).topic }),
  // Without an access-logs bucket, its results bucket's S1 is acknowledged with the reason.
  ServerlessWarehouse: (scope) => new ServerlessWarehouse(scope, 'Subject', { curatedBucket: imported(scope).bucket('curated'), dataset: 'orders', columns: [{ name: 'id', type: 'string' }] }),
  'ServerlessWarehouse (over a DataLake, with its access-logs bucket)': (scope, deps) => {
    const lake = new DataLake(deps, 'Lake');
    new ServerlessWarehouse(scope, 'Subject', { curatedBucket: lake.curatedBucket, dataset: 'orders', columns: [{ name: 'id', type: 'string' }], accessLogsBucket: lake.accessLogsBucket });
  },
  CurrentTable: (scope, deps) => {
    const lake = new DataLake(deps, 'Lake');
    const warehouse = new ServerlessWarehouse(deps, 'Warehouse', { curatedBucket: lake.curatedBucket, dataset: 'clickstream', columns: [{ name: 'id', type: 'string' }] });
    new CurrentTable(scope, 'Subject', {
      pipelineName: 'clickstream',
      dataset: 'clickstream',
      curatedBucket: lake.curatedBucket,
      warehouse,
      outputSchema: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'curated-clickstream.json'),
      key: 'eventId',
    });
  },
  WatermarkPublisher: (scope) => new WatermarkPublisher(scope, 'Subject', { pipelineName: 'orders', sources: [PipelineSource.STREAM, PipelineSource.BATCH], batchDeadline: { loadedBy: '06:00' } }),
  'WatermarkPublisher (with an imported key)': (scope) => new WatermarkPublisher(scope, 'Subject', { pipelineName: 'orders', sources: [PipelineSource.BUS], encryptionKey: imported(scope).key }),
  IncidentTiming: (scope, deps) => new IncidentTiming(scope, 'Subject', { pipelineName: 'orders', routing: new AlarmRouting(deps, 'Routing'), encryptionKey: imported(scope).key }),
  OperationsFunction: (scope, deps) =>
    new OperationsFunction(scope, 'Subject', {
      handler: 'alarm-timing',
      purpose: 'the incident-timing recorder',
      pipelineName: 'orders',
      encryptionKey: imported(scope).key,
      routing: new AlarmRouting(deps, 'Routing'),
      awsServices: ['Amazon CloudWatch', 'AWS X-Ray'],
    }),
  CostPerUnit: (scope, deps) => {
    const transform = transformIn(deps);
    new CostPerUnit(scope, 'Subject', {
      pipelineName: 'orders',
      stage: transform.stage,
      pricedScope: deps,
      s3Writers: [transform.function],
      routing: new AlarmRouting(deps, 'Routing'),
      encryptionKey: imported(scope).key,
    });
  },
  BatchWorkflow: (scope, deps) => {
    const i = imported(scope);
    new BatchWorkflow(scope, 'Subject', { pipelineName: 'orders', transform: transformIn(deps), rawBucket: i.bucket('raw'), curatedBucket: i.bucket('curated'), quarantineBucket: i.bucket('quarantine'), eventBus: i.bus });
  },
};

/** Covered elsewhere, with every option: EtlPipeline by test/pipeline/portability.test.ts (AwsSolutions and Serverless in users' apps) and the reference stack (four packs). */
const COVERED_ELSEWHERE = ['EtlPipeline'];

/**
 * cdk-nag AwsSolutions + Serverless findings of each case (one app, a stack per case, one synth), as
 * `<rule> <construct path>`, except those of a case's `Deps`.
 */
function findingsByCase(cases: Record<string, (scope: Construct, deps: Construct) => void>): Record<string, string[]> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'alone-nag-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    const stackNames = Object.keys(cases).map((name, i) => {
      const stack = new Stack(app, `Case${i}`, { env: TEST_ENV });
      cases[name](stack, new Construct(stack, 'Deps'));
      return [name, stack.stackName] as const;
    });
    try {
      app.synth();
    } catch {
      // Findings fail synth; the report says which.
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
    };
    const all = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)));
    return Object.fromEntries(stackNames.map(([name, stack]) => [name, all.filter((f) => f.includes(` ${stack}/`) && !f.includes(` ${stack}/Deps/`))]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('every public construct used alone: zero cdk-nag findings (AwsSolutions, Serverless)', () => {
  const found = findingsByCase({ ...CASES, 'a bucket with none of the library\'s settings': (scope) => new s3.Bucket(scope, 'Plain') });

  test.each(Object.keys(CASES))('%s', (name) => {
    expect(found[name]).toEqual([]);
  });

  test('the check is not vacuous: a bucket with none of the library\'s settings has findings', () => {
    expect(found['a bucket with none of the library\'s settings'].map((f) => f.split(' ')[0])).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  test('the table has every public construct that creates resources (state-machine fragments are states, not resources)', () => {
    const constructs = Object.entries(lib)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof Construct && !(v.prototype instanceof sfn.StateMachineFragment))
      .map(([name]) => name);
    const cased = new Set(Object.keys(CASES).map((c) => c.split(' ')[0]));
    expect(constructs.filter((c) => !cased.has(c) && !COVERED_ELSEWHERE.includes(c))).toEqual([]);
  });
});
