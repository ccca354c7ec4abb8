/**
 * The current table's operations: `redrive` of the merge DLQ (emulated SQS), `merge` (Step Functions
 * mocked with aws-sdk-client-mock) and `status`'s current-table part (SQS, Step Functions and
 * CloudWatch mocked).
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseMergeDlqMessage } from '../../cli/commands/redrive-merge';
import { main } from '../../cli/main';
import { captureIo, clientsOf, writeOutputsFile, emulatedSqs } from './support';

jest.setTimeout(60_000);

const MERGE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersCurrentTableMerge';
const MAINTENANCE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersCurrentTableMaintenance';
const CREDENTIALS = { region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const CURATED = 'orders-curated';
const OBJECT_KEY = 'clickstream/dt=2026-01-02/hr=03/part-abc.jsonl.gz';

/** The original S3 event EventBridge puts in a rule target's DLQ when it cannot deliver it. */
const objectCreatedEvent = (key: string) =>
  JSON.stringify({ version: '0', source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: CURATED }, object: { key, size: 10 } } });
const scheduledEvent = JSON.stringify({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });

describe('parseMergeDlqMessage', () => {
  test('an object of a failed merge, an undelivered S3 event, an undelivered start, and anything else', () => {
    expect(parseMergeDlqMessage(JSON.stringify({ bucket: CURATED, key: OBJECT_KEY }))).toEqual({ object: { bucket: CURATED, key: OBJECT_KEY }, origin: 'failed merge' });
    expect(parseMergeDlqMessage(objectCreatedEvent(OBJECT_KEY))).toEqual({ object: { bucket: CURATED, key: OBJECT_KEY }, origin: 'undelivered object event' });
    expect(parseMergeDlqMessage(scheduledEvent)).toEqual({ start: 'an undelivered state machine start (Scheduled Event)' });
    expect(parseMergeDlqMessage('{"anything":1}', MERGE_MACHINE)).toEqual({ start: `an undelivered state machine start (event for ${MERGE_MACHINE})` });
    expect(parseMergeDlqMessage('{"anything":1}')).toEqual({ problem: expect.stringMatching(/^not a curated object/) });
    expect(parseMergeDlqMessage('not json')).toEqual({ problem: expect.stringMatching(/^the body is not JSON/) });
  });
});

describe('redrive --queue MergeDlqUrl (emulated SQS)', () => {
  const emulated = emulatedSqs();
  let sqs: SQSClient;
  let n = 0;
  beforeAll(() => {
    sqs = emulated.sqs;
  });

  /** A merge queue and its DLQ holding the given bodies; outputs naming both as an EtlPipeline does. */
  async function setup(bodies: string[]) {
    n++;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `merge-dlq-${n}` }))).QueueUrl as string;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
    const queueUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: `merge-${n}`, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '5' }) } }))
    ).QueueUrl as string;
    for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
    const file = writeOutputsFile({
      Shop: { OrdersPipelineName1A2B3C4D: 'orders', OrdersMergeQueueUrl0A1B2C3D: queueUrl, OrdersMergeDlqUrl9BA9DAB0: dlqUrl, OrdersBufferDlqUrl12345678: `${dlqUrl}-buffer` },
    });
    return { dlqUrl, queueUrl, file };
  }

  async function bodiesIn(url: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }));
      if (!r.Messages?.length) return out.sort();
      out.push(...r.Messages.map((m) => m.Body ?? ''));
    }
  }

  test('objects go back to the merge queue as {"bucket","key"}, undelivered starts are deleted, anything else is left (exit 4)', async () => {
    const failed = JSON.stringify({ bucket: CURATED, key: OBJECT_KEY });
    const other = 'clickstream/dt=2026-01-02/hr=04/part-def.jsonl.gz';
    const { dlqUrl, queueUrl, file } = await setup([failed, objectCreatedEvent(other), scheduledEvent, '{"unknown":true}']);
    const io = captureIo();
    const code = await main(['redrive', '--outputs', file, '--queue', 'MergeDlqUrl', '--yes', '--rate', '1000'], { io, clients: clientsOf({ sqs }), emptyWaitSeconds: 0 });
    expect(code).toBe(4);
    expect(await bodiesIn(queueUrl)).toEqual([failed, JSON.stringify({ bucket: CURATED, key: other })].sort());
    expect(await bodiesIn(dlqUrl)).toEqual(['{"unknown":true}']);
    const text = io.lines.join('\n');
    expect(text).toContain('redrive done: moved 2 object(s) to the merge queue, deleted 1 undelivered start(s), 1 message(s) not understood and left in the DLQ');
    expect(text).toContain('cdk-serverless-etl merge --wait');
    expect(io.errors.join('\n')).toMatch(/not merge DLQ messages this command understands/);
  });

  test('--dry-run reads the messages and puts them back; without --yes and a terminal nothing moves (exit 3)', async () => {
    const { dlqUrl, queueUrl, file } = await setup([JSON.stringify({ bucket: CURATED, key: OBJECT_KEY }), scheduledEvent]);
    const io = captureIo();
    expect(await main(['redrive', '--outputs', file, '--queue', 'MergeDlqUrl', '--dry-run'], { io, clients: clientsOf({ sqs }), emptyWaitSeconds: 0 })).toBe(0);
    expect(io.lines).toContain(`  would move: s3://${CURATED}/${OBJECT_KEY} (failed merge)`);
    expect(io.lines.join('\n')).toContain('dry run: would move 1 object(s) to the merge queue, would delete 1 undelivered start(s), 0 message(s) not understood; nothing changed');
    expect(await main(['redrive', '--outputs', file, '--queue', 'MergeDlqUrl'], { io: captureIo(), clients: clientsOf({ sqs }), emptyWaitSeconds: 0 })).toBe(3);
    expect(await bodiesIn(queueUrl)).toEqual([]);
    expect(await bodiesIn(dlqUrl)).toHaveLength(2);
  });

  test('--to moves the messages as they are (the plain redrive)', async () => {
    const { dlqUrl, file } = await setup([scheduledEvent]);
    const elsewhere = (await sqs.send(new CreateQueueCommand({ QueueName: `elsewhere-${n}` }))).QueueUrl as string;
    expect(await main(['redrive', '--outputs', file, '--queue', dlqUrl, '--to', elsewhere, '--yes'], { io: captureIo(), clients: clientsOf({ sqs }), emptyWaitSeconds: 0 })).toBe(0);
    expect(await bodiesIn(elsewhere)).toEqual([scheduledEvent]);
  });
});

describe('merge (Step Functions mocked)', () => {
  const outputs = writeOutputsFile({ Shop: { OrdersPipelineName1A2B3C4D: 'orders', OrdersMergeStateMachineArnABCDEF01: MERGE_MACHINE, OrdersCurrentTableName0F0F0F0F: 'orders_etl.orders_current' } });
  let sfn: SFNClient;
  let mock: ReturnType<typeof mockClient>;
  beforeEach(() => {
    sfn = new SFNClient(CREDENTIALS);
    mock = mockClient(sfn);
    mock.on(ListExecutionsCommand).resolves({ executions: [] });
    mock.on(StartExecutionCommand).resolves({ executionArn: `${MERGE_MACHINE.replace(':stateMachine:', ':execution:')}:cli-merge-1`, startDate: new Date() });
  });
  afterEach(() => mock.restore());
  const run = (args: string[], io = captureIo()) => main(['merge', '--outputs', outputs, ...args], { io, clients: clientsOf({ sfn }), sleep: async () => undefined, pollMs: 1 });

  test('starts the merge state machine with --yes; --wait follows it to SUCCEEDED (exit 0)', async () => {
    mock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ pending: { count: 3 } }), startDate: new Date('2026-01-02T03:00:00Z'), stopDate: new Date('2026-01-02T03:01:00Z') });
    const io = captureIo();
    expect(await run(['--yes', '--wait'], io)).toBe(0);
    const start = mock.commandCalls(StartExecutionCommand);
    expect(start).toHaveLength(1);
    expect(start[0].args[0].input.stateMachineArn).toBe(MERGE_MACHINE);
    expect(JSON.parse(start[0].args[0].input.input as string)).toEqual({ startedBy: 'cdk-serverless-etl merge' });
    expect(mock.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    expect(io.lines).toContain('merge SUCCEEDED: 3 object(s) in its last round (started 2026-01-02T03:00:00.000Z, stopped 2026-01-02T03:01:00.000Z)');
  });

  test('a merge that fails exits 1 with its error and the runbook section', async () => {
    mock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'MergeFailed', cause: 'The pending objects stay in the merge queue' });
    const io = captureIo();
    expect(await run(['--yes', '--wait'], io)).toBe(1);
    expect(io.errors.join('\n')).toMatch(/cli-merge-1 FAILED \(MergeFailed: The pending objects stay in the merge queue\).*runbooks\.md#current-table-merge-failed/);
  });

  test('without --wait it returns once started; --dry-run and a refused confirmation start nothing', async () => {
    expect(await run(['--yes'])).toBe(0);
    expect(mock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    const dry = captureIo();
    expect(await run(['--dry-run'], dry)).toBe(0);
    expect(dry.lines).toContain('dry run: would start a merge execution; nothing started');
    expect(await run([], captureIo(['n']))).toBe(3);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  test('--maintenance starts the maintenance state machine and follows it; refused (exit 3) while one runs', async () => {
    const withMaintenance = writeOutputsFile({ Shop: { OrdersPipelineName1A2B3C4D: 'orders', OrdersMaintenanceStateMachineArnABCDEF02: MAINTENANCE_MACHINE } });
    const deps = { clients: clientsOf({ sfn }), sleep: async () => undefined, pollMs: 1 };
    mock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', startDate: new Date('2026-01-02T03:30:00Z'), stopDate: new Date('2026-01-02T03:40:00Z') });
    const io = captureIo();
    expect(await main(['merge', '--maintenance', '--wait', '--outputs', withMaintenance, '--yes'], { io, ...deps })).toBe(0);
    expect(mock.commandCalls(StartExecutionCommand)[0].args[0].input.stateMachineArn).toBe(MAINTENANCE_MACHINE);
    expect(io.lines).toContain('maintenance SUCCEEDED (started 2026-01-02T03:30:00.000Z, stopped 2026-01-02T03:40:00.000Z)');

    mock.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: 'e', stateMachineArn: MAINTENANCE_MACHINE, name: 'nightly', status: 'RUNNING', startDate: new Date() }] });
    const refused = captureIo();
    expect(await main(['merge', '--maintenance', '--outputs', withMaintenance, '--yes'], { io: refused, ...deps })).toBe(3);
    expect(refused.errors.join('\n')).toMatch(/a maintenance execution is running \(nightly\)/);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  test('a pipeline without a current table is a usage error naming the output (exit 2)', async () => {
    const io = captureIo();
    const code = await main(['merge', '--outputs', writeOutputsFile({ Shop: { OrdersPipelineName1A2B3C4D: 'orders' } }), '--yes'], { io, clients: clientsOf({ sfn }) });
    expect(code).toBe(2);
    expect(io.errors.join('\n')).toMatch(/has no output MergeStateMachineArn \(needed to start a merge of the current table\)/);
  });
});

describe('status of the current table (SQS, Step Functions and CloudWatch mocked)', () => {
  test('merge backlog depth and oldest age, merge DLQ depth, last merge and maintenance', async () => {
    const sqs = new SQSClient(CREDENTIALS);
    const sfn = new SFNClient(CREDENTIALS);
    const cloudwatch = new CloudWatchClient(CREDENTIALS);
    const [sqsMock, sfnMock, cwMock] = [mockClient(sqs), mockClient(sfn), mockClient(cloudwatch)];
    try {
      const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-merge';
      const dlqUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-merge-dlq';
      sqsMock.on(GetQueueAttributesCommand, { QueueUrl: queueUrl }).resolves({ Attributes: { ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '3' } });
      sqsMock.on(GetQueueAttributesCommand, { QueueUrl: dlqUrl }).resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' } });
      sfnMock
        .on(ListExecutionsCommand, { stateMachineArn: MERGE_MACHINE })
        .resolves({ executions: [{ executionArn: 'e1', stateMachineArn: MERGE_MACHINE, name: 'merge-1', status: 'FAILED', startDate: new Date('2026-01-02T03:00:00Z'), stopDate: new Date('2026-01-02T03:05:00Z') }] });
      sfnMock.on(ListExecutionsCommand, { stateMachineArn: MAINTENANCE_MACHINE }).resolves({ executions: [] });
      cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'age0', Timestamps: [new Date('2026-01-02T03:10:00Z')], Values: [1800] }] });
      const file = writeOutputsFile({
        Shop: {
          OrdersPipelineName1A2B3C4D: 'orders',
          OrdersCurrentTableName0F0F0F0F: 'orders_etl.orders_current',
          OrdersCurrentTableLiveView0F0F0F0F: 'orders_etl.orders_current_live',
          OrdersMergeStateMachineArnABCDEF01: MERGE_MACHINE,
          OrdersMaintenanceStateMachineArnABCDEF02: MAINTENANCE_MACHINE,
          OrdersMergeQueueUrl0A1B2C3D: queueUrl,
          OrdersMergeDlqUrl9BA9DAB0: dlqUrl,
        },
      });
      const io = captureIo();
      expect(await main(['status', '--outputs', file], { io, clients: clientsOf({ sqs, sfn, cloudwatch }) })).toBe(0);
      expect(io.lines).toEqual(
        expect.arrayContaining([
          'merge backlog (OrdersMergeQueueUrl): 12 object(s) pending, 3 being merged',
          'OrdersMergeDlqUrl: 2 visible, 0 in flight, 0 delayed  ← needs attention (runbook: dlq-messages)',
          '  merge backlog age (oldest unmerged object): 30 min at 03:10 UTC, highest 30 min (oldest message, AWS/SQS ApproximateAgeOfOldestMessage of orders-merge)',
          'current table: orders_etl.orders_current, live rows in orders_etl.orders_current_live',
          '  last merge: FAILED (started 2026-01-02T03:00:00.000Z, stopped 2026-01-02T03:05:00.000Z; merge-1)  ← runbook: current-table-merge-failed',
          '  last maintenance: none yet',
        ]),
      );
      expect(sfnMock.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
        { stateMachineArn: MERGE_MACHINE, maxResults: 1 },
        { stateMachineArn: MAINTENANCE_MACHINE, maxResults: 1 },
      ]);
    } finally {
      for (const m of [sqsMock, sfnMock, cwMock]) m.restore();
    }
  });
});
