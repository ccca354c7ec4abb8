import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { EtlPipeline, EtlPipelineProps } from '../../lib';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV, testApp, testStack } from '../support/cdk';

const SCHEMA_V1 = path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json');

/** The message EtlPipeline throws for `props` (in a fresh stack), or undefined. */
function errorOf(props: Partial<EtlPipelineProps>, stack: Stack = testStack()): string | undefined {
  try {
    new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, ...props });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The problem lines of an error message. */
function problems(message: string | undefined): string[] {
  return (message ?? '').split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
}

describe('EtlPipeline validates every nested prop before constructing anything', () => {
  test('one error names each bad nested prop by the path the user wrote, its value and the allowed range', () => {
    const stack = testStack();
    const message = errorOf(
      {
        transform: { memorySize: 64 },
        kinesisSource: { batchSize: 20000 },
        slos: { successRate: 0.5 },
        stream: { retentionPeriod: Duration.hours(2) },
        dataLake: { rawInfrequentAccessAfter: Duration.days(10) },
        sqsSource: { maxConcurrency: 1 },
        alarmThresholds: { maxQuarantineRate: 2 },
        monthlyBudgetUsd: 0,
      },
      stack,
    );
    expect(message).toMatch(/^Invalid EtlPipeline \(TestStack\/Pipeline\) props:\n/);
    expect(problems(message)).toEqual(
      expect.arrayContaining([
        'transform.memorySize is 64; it must be an integer from 128 to 10,240',
        'kinesisSource.batchSize is 20,000; it must be an integer from 1 to 10,000',
        'slos.successRate is 0.5; it must be from 0.9 to 0.99999',
        'stream.retentionPeriod is 2 hours; it must be from 1 day to 365 days',
        'dataLake.rawInfrequentAccessAfter is 10 days; it must be from 30 days to 36500 days',
        'sqsSource.maxConcurrency is 1; it must be an integer from 2 to 1,000',
        'alarmThresholds.maxQuarantineRate is 2; it must be above 0 and at most 1',
        'monthlyBudgetUsd is 0; it must be from 1 to 1,000,000',
      ]),
    );
    // Nothing was constructed: the pipeline failed before its first child.
    expect(stack.node.tryFindChild('Pipeline')?.node.children ?? []).toHaveLength(0);
  });

  test('props the pipeline passes through keep their top-level names; one problem reached twice is reported once', () => {
    const message = errorOf({
      pipelineName: 'Bad Name',
      maxRecordBytes: 10,
      batchWorkflow: { linesPerBatch: 0 },
    });
    const lines = problems(message);
    expect(lines).toEqual(
      expect.arrayContaining([
        'pipelineName is "Bad Name"; it must be 2 to 63 characters of a-z, 0-9 and "-", starting with a letter',
        'maxRecordBytes is 10; it must be an integer from 1,024 to 5,242,880',
        'batchWorkflow.linesPerBatch is 0; it must be an integer from 1 to 100,000',
      ]),
    );
    // Checked by both the transform's and the workflow's rules, named once.
    expect(lines.filter((l) => l.startsWith('pipelineName is'))).toHaveLength(1);
  });

  test('the transform options the pipeline takes are checked under their top-level names', () => {
    expect(problems(errorOf({ stage: 'load stage', maxEventTimeSkew: Duration.days(8), dataset: 'Orders' }))).toEqual([
      'dataset is "Orders"; it must be 1 to 128 characters of a-z, 0-9, "_" and "-"',
      'stage is "load stage"; it must be 1 to 64 characters of letters, digits and "-", starting with a letter',
      'maxEventTimeSkew is 8 days; it must be from 1 second to 7 days',
    ]);
  });

  test('schema problems are named under schemas', () => {
    const message = errorOf({ schemas: { schemas: [{ version: '1', file: SCHEMA_V1 }], defaultVersion: '9' } });
    expect(problems(message)).toEqual(['schemas.defaultVersion is "9"; it must be one of the versions "1"']);
  });

  test('an idempotency TTL that is not a valid duration is named idempotencyTimeToLive', () => {
    expect(problems(errorOf({ idempotencyTimeToLive: Duration.minutes(5) }))).toContain(
      'idempotencyTimeToLive is 5 minutes; it must be from 1 hour to 365 days',
    );
  });

  test('props the pipeline overrides are rejected instead of silently ignored', () => {
    const lines = problems(errorOf({ dataLake: { autoDeleteObjects: true } }));
    expect(lines).toEqual(['dataLake.autoDeleteObjects is true; it is only allowed with removalPolicy DESTROY (removalPolicy is retain)']);
  });
});

describe('EtlPipeline rejects risky combinations with their reason', () => {
  test.each([
    ['', 'the stream archive (stream-archive/) and claim-checked records (claim-check/)'],
    ['stream-archive/replays/', 'the stream archive (stream-archive/)'],
    ['claim', 'claim-checked records (claim-check/)'],
  ])('batchWorkflow.prefix %j overlaps what the pipeline writes to the raw bucket', (prefix, what) => {
    expect(problems(errorOf({ batchWorkflow: { prefix } }))).toEqual([
      `batchWorkflow.prefix is ${JSON.stringify(prefix)}; it overlaps ${what} in the raw bucket: objects the pipeline writes there ` +
        'would start the workflow and be loaded again. Give the batch objects a prefix of their own (default "batch/")',
    ]);
  });

  test('a prefix apart from the archive and claim checks is accepted; without the archive only claim checks count', () => {
    expect(errorOf({ batchWorkflow: { prefix: 'exports/' } })).toBeUndefined();
    expect(errorOf({ batchWorkflow: { prefix: 'stream-archive/' }, archiveStream: false })).toBeUndefined();
  });

  test('archiveStream without a stream', () => {
    expect(problems(errorOf({ enableStream: false, archiveStream: true }))).toEqual([
      'archiveStream is true but enableStream is false; there is no stream to archive (batch objects are in the raw bucket already)',
    ]);
  });

  test('schemaSampleLines without schemas', () => {
    expect(problems(errorOf({ batchWorkflow: { schemaSampleLines: 200 } }))).toEqual([
      'batchWorkflow.schemaSampleLines is 200 but schemas is not set; the sample is validated against the schemas and there are none ' +
        '(give schemas, or leave batchWorkflow.schemaSampleLines unset)',
    ]);
    expect(errorOf({ batchWorkflow: { schemaSampleLines: 0 } })).toBeUndefined();
    expect(errorOf({ batchWorkflow: { schemaSampleLines: 200 }, schemas: { schemas: [{ version: '1', file: SCHEMA_V1 }] } })).toBeUndefined();
  });

  test('an idempotency TTL shorter than the stream retention or the event archive retention', () => {
    expect(
      problems(
        errorOf({
          idempotencyTimeToLive: Duration.days(2),
          stream: { retentionPeriod: Duration.days(7) },
          eventBus: { archiveRetention: Duration.days(90) },
        }),
      ),
    ).toEqual([
      'idempotencyTimeToLive is 2 days; it must be at least stream.retentionPeriod (7 days): a record redelivered or replayed after its claim expired would be curated twice',
      'idempotencyTimeToLive is 2 days; it must be at least eventBus.archiveRetention (90 days): a record redelivered or replayed after its claim expired would be curated twice',
    ]);
    // The default TTL (30 days) against a longer archive is named as the default.
    expect(problems(errorOf({ eventBus: { archiveRetention: Duration.days(31) } }))).toEqual([
      'idempotencyTimeToLive is 30 days (the default); it must be at least eventBus.archiveRetention (31 days): a record redelivered or replayed after its claim expired would be curated twice',
    ]);
    // Without idempotency there is nothing to outlive.
    expect(errorOf({ idempotency: false, eventBus: { archiveRetention: Duration.days(365) } })).toBeUndefined();
  });

  test('firstPartitionDate must be a calendar date', () => {
    const columns = [{ name: 'id', type: 'string' }];
    expect(problems(errorOf({ warehouse: { columns, firstPartitionDate: '2024-13-45' } }))).toEqual([
      'warehouse.firstPartitionDate is "2024-13-45"; it is not a calendar date (month 01 to 12, a day the month has)',
    ]);
    expect(problems(errorOf({ warehouse: { columns, firstPartitionDate: '2023-02-29' } }))).toHaveLength(1);
    expect(errorOf({ warehouse: { columns, firstPartitionDate: '2024-02-29' } })).toBeUndefined();
  });

  test('an imported shared bus needs an event pattern; a catch-all one is a warning', () => {
    const stack = testStack();
    const bus = events.EventBus.fromEventBusName(stack, 'Shared', 'shared-bus');
    expect(problems(errorOf({ eventBus: { eventBus: bus } }, stack))).toEqual([
      "eventBus.eventBus is an existing bus and eventBus.eventPattern is not set; the default pattern ({ account: [<this account>] }) would ingest every event on that bus, including other applications' events. Give eventBus.eventPattern naming the pipeline's events (e.g. source or detail-type)",
    ]);
    const other = testStack();
    const otherBus = events.EventBus.fromEventBusName(other, 'Shared', 'shared-bus');
    expect(errorOf({ eventBus: { eventBus: otherBus, eventPattern: { account: [TEST_ENV.account] } } }, other)).toBeUndefined();
    Annotations.fromStack(other).hasWarning('/TestStack/Pipeline/EventBusIngest', Match.stringLikeRegexp('matches every event of the account on the imported bus shared-bus'));
  });
});

describe('EtlPipeline path errors show what the path resolved to', () => {
  test('a relative transformEntry that does not exist names the directory it was resolved against', () => {
    const message = errorOf({ transformEntry: 'src/missing-transform.ts' });
    expect(problems(message)).toEqual([
      `transformEntry is "src/missing-transform.ts"; no such file (relative: resolved against the current directory ${process.cwd()} to ` +
        `${path.join(process.cwd(), 'src', 'missing-transform.ts')})`,
    ]);
  });

  test('a relative schema file that does not exist names the directory it was resolved against', () => {
    const message = errorOf({ schemas: { schemas: [{ version: '1', file: 'schemas/v1.json' }] } });
    expect(problems(message)).toEqual([
      `schemas.schemas[0].file is "schemas/v1.json"; the file does not exist (relative: resolved against the current directory ${process.cwd()} ` +
        `to ${path.join(process.cwd(), 'schemas', 'v1.json')})`,
    ]);
  });
});

describe('EtlPipeline checks its transform module exports transform', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exports-'));

  test('a module without a named transform export fails synth with the file path', () => {
    const entry = path.join(dir, 'no-export.ts');
    fs.writeFileSync(entry, 'export function transfrom(r: unknown) { return r; }\nexport default function (r: unknown) { return r; }\n');
    expect(problems(errorOf({ transformEntry: entry }))).toEqual([
      `transformEntry is ${JSON.stringify(entry)}; it has no named export "transform" (its named exports are transfrom; a default export ` +
        'is not used); export the function as `export function transform(record, context)` or `export const transform = ...` ' +
        `(file ${entry})`,
    ]);
  });
});

describe('names derived from pipelineName are unique in the app', () => {
  test('two pipelines with the same name in one app fail synth naming both construct paths', () => {
    const app = testApp();
    const first = new Stack(app, 'First', { env: TEST_ENV });
    const second = new Stack(app, 'Second', { env: { ...TEST_ENV, region: 'us-east-1' } });
    new EtlPipeline(first, 'Orders', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM });
    expect(() => new EtlPipeline(second, 'MoreOrders', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM })).toThrow(
      'Invalid EtlPipeline (Second/MoreOrders) props:\n  - pipelineName is "orders"; First/Orders uses it too (the dashboard and the budget are named from it per account; ' +
        'the paused-flag parameter and the Pipeline metric dimension per region, unique per account)',
    );
  });

  test('the same name in another account, or another name, is accepted', () => {
    const app = testApp();
    const first = new Stack(app, 'First', { env: TEST_ENV });
    const other = new Stack(app, 'OtherAccount', { env: { ...TEST_ENV, account: '210987654321' } });
    new EtlPipeline(first, 'Orders', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false });
    new EtlPipeline(first, 'Clicks', { pipelineName: 'clicks', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false });
    expect(() => new EtlPipeline(other, 'Orders', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false })).not.toThrow();
  });

  test('explicit physical names are checked too: the warehouse database of two pipelines on one dataset', () => {
    const app = testApp();
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    const columns = [{ name: 'id', type: 'string' }];
    new EtlPipeline(stack, 'A', { pipelineName: 'orders-a', dataset: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false, warehouse: { columns } });
    expect(() =>
      new EtlPipeline(stack, 'B', { pipelineName: 'orders-b', dataset: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false, warehouse: { columns } }),
    ).toThrow(/dataset \(the warehouse database\) is "orders_etl"; S\/A uses it too \(a Glue database and Athena workgroup name, unique per account and region\)/);
  });
});

describe('EtlPipeline batch deadline (slos.batchDeadline)', () => {
  test('names the prop path, the value and the allowed values of a bad deadline', () => {
    expect(problems(errorOf({ batchWorkflow: {}, slos: { batchDeadline: { loadedBy: '6 am', timeZone: 'Moon/Base' } } }))).toEqual([
      `slos.batchDeadline.loadedBy is "6 am"; it must be a 24-hour local time 'HH:MM' from '00:00' to '23:59' (e.g. '06:00')`,
      `slos.batchDeadline.timeZone is "Moon/Base"; it must be an IANA time zone name such as 'UTC' or 'Europe/Berlin'`,
    ]);
  });

  test('needs the batch workflow and the watermarks', () => {
    expect(problems(errorOf({ slos: { batchDeadline: { loadedBy: '06:00' } }, watermarks: false }))).toEqual([
      "slos.batchDeadline is set but batchWorkflow is not; the deadline is of the batch workflow's daily export",
      'slos.batchDeadline is set but watermarks is false; the deadline is measured on the batch watermark',
    ]);
    expect(errorOf({ batchWorkflow: {}, slos: { batchDeadline: { loadedBy: '06:00', timeZone: 'Europe/Berlin' } } })).toBeUndefined();
  });
});

describe('deduplication', () => {
  const CURATED_SCHEMA = path.join(ROOT, 'examples', 'clickstream', 'schemas', 'curated-clickstream.json');

  test("'table' needs a current table, and conflicts with an explicit idempotency store", () => {
    expect(problems(errorOf({ deduplication: 'table', idempotency: true, idempotencyTimeToLive: Duration.days(7) }))).toEqual(
      expect.arrayContaining([
        "idempotencyTimeToLive is set but deduplication is 'table' (no idempotency store)",
        "deduplication is 'table' but currentTable is not set; without a current table nothing would hold a record once: set currentTable, or keep 'claims'",
        "deduplication is 'table' and idempotency is true; 'table' means no idempotency store (leave idempotency unset), 'claims' keeps it",
      ]),
    );
    expect(problems(errorOf({ deduplication: 'rows' as never }))).toContain('deduplication is "rows"; it must be \'claims\' or \'table\'');
  });

  test("'table' creates no idempotency store (no DynamoDB claim per record); 'claims' (the default) keeps it", () => {
    const table = new EtlPipeline(testStack(), 'Pipeline', {
      pipelineName: 'orders',
      transformEntry: CLICKSTREAM_TRANSFORM,
      deduplication: 'table',
      warehouse: {},
      currentTable: { outputSchema: CURATED_SCHEMA },
    });
    expect(table.idempotencyStore).toBeUndefined();
    expect(table.currentTable).toBeDefined();
    const claims = new EtlPipeline(testStack(), 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, warehouse: {}, currentTable: { outputSchema: CURATED_SCHEMA } });
    expect(claims.idempotencyStore).toBeDefined();
  });

  test('a current table needs the warehouse; its columns come from the output schema', () => {
    expect(problems(errorOf({ currentTable: { outputSchema: CURATED_SCHEMA } }))).toContain(
      "currentTable is set but warehouse is not; the current table lives in the warehouse's database and is merged in its workgroup: set warehouse (its columns then default to the output schema's)",
    );
    expect(problems(errorOf({ warehouse: {} }))).toContain('warehouse.columns is not set; give the curated records\' columns');
    expect(problems(errorOf({ warehouse: {}, currentTable: { outputSchema: { type: 'object', properties: { a: { type: ['string', 'number'] } } } } }))).toEqual([
      'currentTable.outputSchema.properties.a.type ["string","number"] is not supported: one type, optionally with "null"',
    ]);
  });

  test('recordVersionField needs idField, names another field, and is passed to the runtime', () => {
    expect(problems(errorOf({ recordVersionField: 'revision' }))).toContain(
      'recordVersionField is "revision" but idField is not set; without an id field a record id is the hash of the whole record, which differs per version already: set idField, or leave recordVersionField unset',
    );
    expect(problems(errorOf({ idField: 'eventId', recordVersionField: 'eventId' }))).toContain(
      'recordVersionField is "eventId", the same field as idField; it must name the field holding the version',
    );
    expect(problems(errorOf({ idField: 'eventId', recordVersionField: 'my revision' }))).toContain(
      'recordVersionField is "my revision"; it must be a non-empty field name without spaces',
    );
    const stack = testStack();
    new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, idField: 'eventId', recordVersionField: 'revision' });
    const variables = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>)
      .filter((v) => v.RECORD_ID_FIELD === 'eventId');
    expect(variables.map((v) => v.RECORD_VERSION_FIELD)).toEqual(['revision']);
  });

  test.each([
    ['claims', {}, /in the same batch, and with the idempotency store in any later one/],
    ['table', { deduplication: 'table' as const }, /in the same batch\)/],
  ])("a current table ordering by a version without recordVersionField is a warning (%s)", (_mode, extra, scope) => {
    const props = { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, idField: 'eventId', warehouse: {}, ...extra };
    const warned = testStack();
    new EtlPipeline(warned, 'Pipeline', { ...props, currentTable: { outputSchema: CURATED_SCHEMA, versionField: 'schemaVersion' } });
    const warnings = Annotations.fromStack(warned).findWarning('*', Match.stringLikeRegexp('recordVersionField is not set'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toMatch(scope);
    const quiet = testStack();
    new EtlPipeline(quiet, 'Pipeline', { ...props, recordVersionField: 'revision', currentTable: { outputSchema: CURATED_SCHEMA, versionField: 'schemaVersion' } });
    expect(Annotations.fromStack(quiet).findWarning('*', Match.stringLikeRegexp('recordVersionField'))).toHaveLength(0);
  });
});
