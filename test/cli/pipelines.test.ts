/**
 * A stack with two pipelines: `--pipeline` picks one, and every command that reads outputs acts on
 * that pipeline's resources only, whether the outputs come from an outputs file or DescribeStacks.
 * The construct ids overlap (`Orders`, `OrdersRefunds`), as a longest-prefix match must handle.
 */
import { pipelinesOf, selectPipeline } from '../../cli/outputs';
import { main } from '../../cli/main';
import { captureIo, clientsOf, writeOutputsFile } from './support';

const SQS = 'https://sqs.eu-west-1.amazonaws.com/111111111111';
const ARN = 'arn:aws:%s:eu-west-1:111111111111';
const arn = (service: string, rest: string) => `${ARN.replace('%s', service)}:${rest}`;

/** The outputs an EtlPipeline with every part creates, its resources named after `name`. */
function pipelineOutputs(prefix: string, name: string, hash: string): Record<string, string> {
  const o: Record<string, string> = {
    PipelineName: name,
    RawBucketName: `${name}-raw`,
    CuratedBucketName: `${name}-curated`,
    QuarantineBucketName: `${name}-quarantine`,
    PageTopicArn: arn('sns', `${name}-page`),
    TicketTopicArn: arn('sns', `${name}-ticket`),
    BatchWorkflowStateMachineArn: arn('states', `stateMachine:${name}-batch`),
    BatchWorkflowPausedParameter: `/cdk-serverless-etl/${name}/paused`,
    DashboardName: `${name}-pipeline`,
    IdempotencyTableName: `${name}-idempotency`,
    TransformFunctionName: `${name}-transform`,
    StreamName: `${name}-stream`,
    StreamArn: arn('kinesis', `stream/${name}-stream`),
    EventBusName: `${name}-bus`,
    EventArchiveName: `${name}-archive`,
    BufferQueueUrl: `${SQS}/${name}-buffer`,
    KinesisDlq1Url: `${SQS}/${name}-kinesis-dlq`,
    BufferDlqUrl: `${SQS}/${name}-buffer-dlq`,
    DeliveryDlqUrl: `${SQS}/${name}-delivery-dlq`,
    DlqUrl: `${SQS}/${name}-workflow-dlq`,
  };
  return Object.fromEntries(Object.entries(o).map(([k, v], i) => [`${prefix}${k}${hash}${i.toString(16).toUpperCase().padStart(2, '0')}`, v]));
}

const OUTPUTS = {
  ...pipelineOutputs('Orders', 'orders', 'A1B2C3'),
  ...pipelineOutputs('OrdersRefunds', 'refunds', 'D4E5F6'),
  // An output of the app's own, in no pipeline.
  ReportQueueUrl0F0F0F0F: `${SQS}/report`,
};
const OTHER = { orders: 'refunds', refunds: 'orders' } as const;

/** Answers every SDK call of every command plausibly, from the resource names; records the calls. */
function fakeAws() {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const queueName = (url: unknown) => String(url).split('/').pop() as string;
  const received = new Set<string>();
  const handle = (name: string, input: Record<string, unknown>): unknown => {
    switch (name) {
      case 'DescribeStacksCommand':
        return { Stacks: [{ StackName: input.StackName, Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] };
      case 'GetQueueAttributesCommand': {
        const q = queueName(input.QueueUrl);
        const attributes: Record<string, string> = { QueueArn: arn('sqs', q), ApproximateNumberOfMessages: q.endsWith('dlq') ? '1' : '0', ApproximateNumberOfMessagesNotVisible: '0' };
        if (q.endsWith('-buffer')) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn('sqs', `${q}-dlq`), maxReceiveCount: 3 });
        return { Attributes: attributes };
      }
      case 'ReceiveMessageCommand': {
        const q = queueName(input.QueueUrl);
        if (received.has(q)) return { Messages: [] };
        received.add(q);
        const pipeline = q.split('-')[0];
        const body = q.endsWith('kinesis-dlq')
          ? { KinesisBatchInfo: { shardId: 'shardId-000000000000', startSequenceNumber: '100', endSequenceNumber: '100', batchSize: 1, streamArn: arn('kinesis', `stream/${pipeline}-stream`) } }
          : { bucket: `${pipeline}-raw`, key: 'batch/2026/01/a.json', error: 'States.Timeout' };
        return { Messages: [{ MessageId: `m-${q}`, ReceiptHandle: `r-${q}`, Body: JSON.stringify(body) }] };
      }
      case 'StartMessageMoveTaskCommand':
        return { TaskHandle: 'task' };
      case 'ListMessageMoveTasksCommand':
        return { Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 }] };
      case 'GetParameterCommand':
        return { Parameter: { Name: input.Name, Value: 'false' } };
      case 'DescribeArchiveCommand':
        return { ArchiveName: input.ArchiveName, EventSourceArn: arn('events', `event-bus/${String(input.ArchiveName).replace(/-archive$/, '-bus')}`), EventCount: 3 };
      case 'ListRulesCommand':
        return { Rules: [{ Name: `${input.EventBusName}-rule`, Arn: arn('events', `rule/${input.EventBusName}/rule`) }] };
      case 'ListTargetsByRuleCommand':
        return { Targets: [{ Id: 't', Arn: arn('sqs', String(input.Rule).replace(/-bus-rule$/, '-buffer')) }] };
      case 'DescribeReplayCommand':
        return { State: 'COMPLETED' };
      case 'ListObjectsV2Command':
        return { Contents: [{ Key: 'batch/2026/01/a.json', LastModified: new Date('2026-01-01T01:00:00Z') }], IsTruncated: false };
      case 'StartExecutionCommand':
        return { executionArn: `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:${input.name}` };
      case 'ListExecutionsCommand':
        return { executions: [] };
      case 'GetMetricDataCommand':
        return { MetricDataResults: [] };
      case 'GetShardIteratorCommand':
        return { ShardIterator: 'iterator' };
      case 'GetRecordsCommand':
        return { Records: [{ SequenceNumber: '100', PartitionKey: 'k', Data: Buffer.from('{}') }], MillisBehindLatest: 0 };
      case 'PutRecordsCommand':
        return { FailedRecordCount: 0, Records: [{ SequenceNumber: '200', ShardId: 'shardId-000000000000' }] };
      default:
        return {};
    }
  };
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      return handle(command.constructor.name, command.input);
    },
  };
  const clients = clientsOf({ sqs: client, s3: client, eventbridge: client, ssm: client, sfn: client, kinesis: client, cloudwatch: client, cloudformation: client });
  /** The inputs of the calls named `name`. */
  const inputs = (name: string) => calls.filter((c) => c.name === name).map((c) => c.input);
  return { calls, clients, inputs };
}

const file = writeOutputsFile({ Shop: OUTPUTS });
const SOURCES = [
  ['an outputs file', ['--outputs', file]],
  ['DescribeStacks', ['--stack', 'Shop']],
] as const;

async function run(argv: string[]) {
  const aws = fakeAws();
  const io = captureIo();
  const code = await main(argv, { io, clients: aws.clients, sleep: async () => undefined, emptyWaitSeconds: 0 });
  return { code, out: io.lines.join('\n'), err: io.errors.join('\n'), ...aws };
}

describe('pipelines of a stack', () => {
  test('outputs are grouped by the longest construct prefix; the app’s own outputs belong to none', () => {
    const { pipelines, others } = pipelinesOf(OUTPUTS);
    expect(pipelines.map((p) => [p.pipelineName, p.prefix])).toEqual([
      ['orders', 'Orders'],
      ['refunds', 'OrdersRefunds'],
    ]);
    expect(others).toEqual({ ReportQueueUrl0F0F0F0F: `${SQS}/report` });
    const [orders, refunds] = pipelines;
    expect(Object.keys(orders.keys)).toHaveLength(16);
    expect(orders.dlqs.map((d) => [d.name, d.kind])).toEqual([
      ['KinesisDlq1Url', 'stream'],
      ['BufferDlqUrl', 'buffer'],
      ['DeliveryDlqUrl', 'delivery'],
      ['DlqUrl', 'workflow'],
    ]);
    expect(refunds.dlqs.every((d) => d.url.includes('/refunds-'))).toBe(true);
    expect(refunds.stateMachineArn).toBe(arn('states', 'stateMachine:refunds-batch'));
    expect(Object.values(refunds.outputs).filter((v) => v.includes('orders'))).toEqual([]);
  });

  test('--pipeline matches the pipelineName, else the construct prefix; several and none is an error listing them', () => {
    expect(selectPipeline(OUTPUTS, 'refunds').prefix).toBe('OrdersRefunds');
    expect(selectPipeline(OUTPUTS, 'Orders').pipelineName).toBe('orders');
    expect(() => selectPipeline(OUTPUTS)).toThrow(
      'the stack has 2 pipelines: orders (outputs Orders…), refunds (outputs OrdersRefunds…); choose one with --pipeline <name>',
    );
    expect(() => selectPipeline(OUTPUTS, 'returns')).toThrow('the stack has no pipeline returns; pipelines: orders (outputs Orders…), refunds (outputs OrdersRefunds…)');
  });

  test('outputs without a PipelineName output (deployed before it existed): pipelines by prefix', () => {
    const old = Object.fromEntries(Object.entries(OUTPUTS).filter(([k]) => !/PipelineName/.test(k)));
    expect(pipelinesOf(old).pipelines.map((p) => p.label)).toEqual(['Orders', 'OrdersRefunds']);
    expect(selectPipeline(old, 'OrdersRefunds').rawBucketName).toBe('refunds-raw');
    expect(() => selectPipeline(old)).toThrow(/2 pipelines: Orders \(outputs Orders…; no PipelineName output\), OrdersRefunds/);
  });

  test('one pipeline: no --pipeline needed; a wrong --pipeline is refused', () => {
    const one = pipelineOutputs('Pipeline', 'clicks', '0A0B0C');
    expect(selectPipeline(one).pipelineName).toBe('clicks');
    expect(() => selectPipeline(one, 'orders')).toThrow(/no pipeline orders; pipelines: clicks/);
  });
});

describe.each(SOURCES)('commands on one of two pipelines, outputs from %s', (_source, from) => {
  test('without --pipeline every command exits 2 naming the pipelines and --pipeline', async () => {
    for (const command of [['status'], ['pause', '--yes'], ['replay', '--from', '2026-01-01', '--to', '2026-01-02']]) {
      const r = await run([...command, ...from]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/the stack has 2 pipelines: orders \(outputs Orders…\), refunds \(outputs OrdersRefunds…\); choose one with --pipeline <name>/);
      expect(r.calls.filter((c) => c.name !== 'DescribeStacksCommand')).toEqual([]);
    }
  });

  describe.each(['orders', 'refunds'] as const)('--pipeline %s', (name) => {
    const other = OTHER[name];
    /** Runs the command on `name` and checks no call touched the other pipeline. */
    const on = async (...argv: string[]) => {
      const r = await run([...argv, ...from, '--pipeline', name]);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const touched = JSON.stringify(r.calls.filter((c) => c.name !== 'DescribeStacksCommand'));
      expect(touched).not.toMatch(new RegExp(`\\b${other}-`));
      if (from[0] === '--stack') expect(r.inputs('DescribeStacksCommand')).toEqual([{ StackName: 'Shop' }]);
      return r;
    };

    test('replay (archive) replays its archive to its bus, limited to the rules of its buffer', async () => {
      const r = await on('replay', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--yes');
      expect(r.inputs('DescribeArchiveCommand')).toEqual([{ ArchiveName: `${name}-archive` }]);
      expect(r.inputs('GetQueueAttributesCommand')).toEqual([{ QueueUrl: `${SQS}/${name}-buffer`, AttributeNames: ['QueueArn'] }]);
      const [start] = r.inputs('StartReplayCommand');
      expect(start.EventSourceArn).toBe(arn('events', `event-bus/${name}-bus`));
      expect(start.Destination).toEqual({ Arn: arn('events', `event-bus/${name}-bus`), FilterArns: [arn('events', `rule/${name}-bus/rule`)] });
    });

    test('replay --source raw lists its raw bucket and starts its state machine', async () => {
      const r = await on('replay', '--source', 'raw', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--yes');
      expect(r.inputs('ListObjectsV2Command').map((i) => i.Bucket)).toEqual([`${name}-raw`]);
      expect(r.inputs('StartExecutionCommand').map((i) => [i.stateMachineArn, JSON.parse(String(i.input))])).toEqual([
        [arn('states', `stateMachine:${name}-batch`), { bucket: `${name}-raw`, key: 'batch/2026/01/a.json' }],
      ]);
    });

    test('redrive moves its buffer DLQ to its buffer queue', async () => {
      const r = await on('redrive', '--yes');
      expect(r.inputs('StartMessageMoveTaskCommand')).toEqual([
        { SourceArn: arn('sqs', `${name}-buffer-dlq`), DestinationArn: arn('sqs', `${name}-buffer`), MaxNumberOfMessagesPerSecond: 10 },
      ]);
    });

    test('redrive --queue DeliveryDlq resolves the output name within the pipeline', async () => {
      const r = await on('redrive', '--queue', 'DeliveryDlq', '--to', 'BufferQueueUrl', '--manual', '--yes');
      expect(r.inputs('ReceiveMessageCommand')[0].QueueUrl).toBe(`${SQS}/${name}-delivery-dlq`);
      expect(r.inputs('SendMessageCommand').map((i) => i.QueueUrl)).toEqual([`${SQS}/${name}-buffer`]);
    });

    test('redrive-stream works its Kinesis DLQ', async () => {
      const r = await on('redrive-stream', '--yes');
      expect(r.inputs('ReceiveMessageCommand').map((i) => i.QueueUrl)).toContain(`${SQS}/${name}-kinesis-dlq`);
      expect(r.inputs('PutRecordsCommand').map((i) => i.StreamName)).toEqual([`${name}-stream`]);
      expect(r.inputs('DeleteMessageCommand')).toEqual([{ QueueUrl: `${SQS}/${name}-kinesis-dlq`, ReceiptHandle: `r-${name}-kinesis-dlq` }]);
    });

    test('restart checks its paused flag and restarts its workflow DLQ’s runs on its state machine', async () => {
      const r = await on('restart', '--yes');
      expect(r.inputs('GetParameterCommand')).toEqual([{ Name: `/cdk-serverless-etl/${name}/paused` }]);
      expect(r.inputs('ReceiveMessageCommand').map((i) => i.QueueUrl)).toContain(`${SQS}/${name}-workflow-dlq`);
      expect(r.inputs('StartExecutionCommand').map((i) => i.stateMachineArn)).toEqual([arn('states', `stateMachine:${name}-batch`)]);
      expect(r.inputs('DeleteMessageCommand')).toEqual([{ QueueUrl: `${SQS}/${name}-workflow-dlq`, ReceiptHandle: `r-${name}-workflow-dlq` }]);
    });

    test.each(['pause', 'resume'])('%s sets its paused flag', async (command) => {
      const r = await on(command, '--yes');
      expect(r.inputs('PutParameterCommand')).toEqual([{ Name: `/cdk-serverless-etl/${name}/paused`, Value: command === 'pause' ? 'true' : 'false', Type: 'String', Overwrite: true }]);
    });

    test('status reads its flag, its buffer and four DLQs, its function’s iterator age and its executions', async () => {
      const r = await on('status');
      expect(r.out).toMatch(new RegExp(`^pipeline: ${name}$`, 'm'));
      expect(r.inputs('GetParameterCommand')).toEqual([{ Name: `/cdk-serverless-etl/${name}/paused` }]);
      expect(r.inputs('GetQueueAttributesCommand').map((i) => i.QueueUrl)).toEqual(
        ['buffer', 'kinesis-dlq', 'buffer-dlq', 'delivery-dlq', 'workflow-dlq'].map((q) => `${SQS}/${name}-${q}`),
      );
      const [metrics] = r.inputs('GetMetricDataCommand');
      const dimensions = (metrics.MetricDataQueries as Array<{ MetricStat: { Metric: { Dimensions: Array<{ Value: string }> } } }>).map((q) => q.MetricStat.Metric.Dimensions[0].Value);
      expect(dimensions).toEqual([...['buffer', 'kinesis-dlq', 'buffer-dlq', 'delivery-dlq', 'workflow-dlq'].map((q) => `${name}-${q}`), `${name}-transform`]);
      expect(r.inputs('ListExecutionsCommand')).toEqual([{ stateMachineArn: arn('states', `stateMachine:${name}-batch`), maxResults: 5 }]);
    });
  });
});

test('redrive without a DLQ of records names the pipeline’s other DLQs and the commands for them', async () => {
  const only = Object.fromEntries(Object.entries(pipelineOutputs('Orders', 'orders', 'A1B2C3')).filter(([k]) => !/Buffer|Delivery/.test(k)));
  const r = await run(['redrive', '--outputs', writeOutputsFile({ Shop: only }), '--yes']);
  expect(r.code).toBe(2);
  expect(r.err).toBe('error: pipeline orders has no DLQ of records (*DlqUrl output) (its KinesisDlq1Url, DlqUrl: see redrive-stream and restart); give the queue with --queue <url>');
  expect(r.calls).toEqual([]);
});
