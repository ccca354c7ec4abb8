/** `pause`, `resume` (fake SSM) and `status` (emulated SQS, fake SSM and Step Functions; CloudWatch mocked). */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { formatAge } from '../../cli/commands/status';
import { main } from '../../cli/main';
import { startEmulators, type Emulators } from '../../local/services/emulators';
import { captureIo, clientsOf, fakeClient, writeOutputsFile } from './support';

const PARAMETER = '/cdk-serverless-etl/clickstream/paused';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:batch';

function fakeSsm(initial: string) {
  const store = { value: initial };
  const client = fakeClient((name, input) => {
    if (name === 'GetParameterCommand') return { Parameter: { Name: input.Name, Value: store.value } };
    if (name === 'PutParameterCommand') {
      store.value = input.Value as string;
      return { Version: 2 };
    }
    throw new Error(`unexpected ${name}`);
  });
  return Object.assign(client, { store });
}

describe('pause and resume', () => {
  const file = writeOutputsFile({ EtlStack: { PipelineBatchWorkflowPausedParameter0A1B2C3D: PARAMETER } });

  test('pause sets the flag to "true" with --yes', async () => {
    const ssm = fakeSsm('false');
    const io = captureIo();
    expect(await main(['pause', '--outputs', file, '--yes'], { io, clients: clientsOf({ ssm }) })).toBe(0);
    expect(ssm.calls.find((c) => c.name === 'PutParameterCommand')?.input).toEqual({ Name: PARAMETER, Value: 'true', Type: 'String', Overwrite: true });
    expect(io.lines).toContain(`${PARAMETER} set to true`);
  });

  test('resume asks on a terminal, warns about the schema first, and sets "false"', async () => {
    const ssm = fakeSsm('true');
    const io = captureIo(['y']);
    expect(await main(['resume', '--outputs', file], { io, clients: clientsOf({ ssm }) })).toBe(0);
    expect(io.lines.join('\n')).toMatch(/Resume only after the drift was handled/);
    expect(io.questions).toEqual([`resume the pipeline (set ${PARAMETER} to false)? [y/N] `]);
    expect(ssm.store.value).toBe('false');
  });

  test('resume refuses without a terminal and without --yes; --dry-run changes nothing', async () => {
    const ssm = fakeSsm('true');
    const io = captureIo();
    expect(await main(['resume', '--outputs', file], { io, clients: clientsOf({ ssm }) })).toBe(3);
    expect(await main(['resume', '--outputs', file, '--dry-run'], { io, clients: clientsOf({ ssm }) })).toBe(0);
    expect(io.lines).toContain(`dry run: would set ${PARAMETER} to false`);
    expect(ssm.calls.map((c) => c.name)).not.toContain('PutParameterCommand');
    expect(ssm.store.value).toBe('true');
  });

  describe('with held event source mappings (HeldSourceMappings)', () => {
    const held = writeOutputsFile({ EtlStack: { PipelineBatchWorkflowPausedParameter0A1B2C3D: PARAMETER, PipelineHeldSourceMappings0A1B2C3D: 'uuid-stream,uuid-bus' } });
    function fakeLambda(busyTimes = 0) {
      let busy = busyTimes;
      return fakeClient((name, input) => {
        if (name === 'GetEventSourceMappingCommand') return { UUID: input.UUID, State: 'Enabled', EventSourceArn: `arn:source:${String(input.UUID)}` };
        if (name === 'UpdateEventSourceMappingCommand') {
          if (busy-- > 0) throw Object.assign(new Error('The resource is in use'), { name: 'ResourceInUseException' });
          return { UUID: input.UUID, State: input.Enabled ? 'Enabling' : 'Disabling' };
        }
        throw new Error(`unexpected ${name}`);
      });
    }

    test('pause sets the flag, then disables each mapping; resume sets it back and enables them', async () => {
      const ssm = fakeSsm('false');
      const lambda = fakeLambda();
      const io = captureIo();
      expect(await main(['pause', '--outputs', held, '--yes'], { io, clients: clientsOf({ ssm, lambda }) })).toBe(0);
      const updates = () => lambda.calls.filter((c) => c.name === 'UpdateEventSourceMappingCommand').map((c) => c.input);
      expect(updates()).toEqual([
        { UUID: 'uuid-stream', Enabled: false },
        { UUID: 'uuid-bus', Enabled: false },
      ]);
      expect(ssm.store.value).toBe('true');
      expect(io.lines).toContain('event source mapping uuid-bus: Disabling');
      lambda.calls.length = 0;
      expect(await main(['resume', '--outputs', held, '--yes'], { io, clients: clientsOf({ ssm, lambda }) })).toBe(0);
      expect(updates()).toEqual([
        { UUID: 'uuid-stream', Enabled: true },
        { UUID: 'uuid-bus', Enabled: true },
      ]);
      expect(ssm.store.value).toBe('false');
    });

    test('a mapping in a transition is tried again; --dry-run updates nothing', async () => {
      const lambda = fakeLambda(2);
      const io = captureIo();
      expect(await main(['pause', '--outputs', held, '--yes'], { io, clients: clientsOf({ ssm: fakeSsm('false'), lambda }), sleep: async () => undefined })).toBe(0);
      expect(lambda.calls.filter((c) => c.name === 'UpdateEventSourceMappingCommand')).toHaveLength(4);
      expect(io.lines.filter((l) => /in a transition/.test(l))).toHaveLength(2);
      const dry = fakeLambda();
      expect(await main(['resume', '--outputs', held, '--dry-run'], { io, clients: clientsOf({ ssm: fakeSsm('true'), lambda: dry }) })).toBe(0);
      expect(dry.calls.map((c) => c.name)).not.toContain('UpdateEventSourceMappingCommand');
      expect(io.lines).toContain(`dry run: would set ${PARAMETER} to false, enable 2 event source mapping(s)`);
    });
  });

  test('an SDK error exits 1 with its name', async () => {
    const ssm = fakeClient(() => {
      throw Object.assign(new Error('User is not authorized to perform ssm:GetParameter'), { name: 'AccessDeniedException' });
    });
    const io = captureIo();
    expect(await main(['pause', '--outputs', file, '--yes'], { io, clients: clientsOf({ ssm }) })).toBe(1);
    expect(io.errors).toEqual(['error: AccessDeniedException: User is not authorized to perform ssm:GetParameter']);
  });
});

describe('status', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({ services: ['sqs'] });
  });
  afterAll(async () => emulators?.stop());

  test('reports the flag, queue depths and the last executions; a failing part does not hide the others', async () => {
    const sqs = emulators.clients.sqs();
    const buffer = (await sqs.send(new CreateQueueCommand({ QueueName: 'buffer' }))).QueueUrl as string;
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'buffer-dlq' }))).QueueUrl as string;
    for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `m${i}` }));
    const file = writeOutputsFile({
      EtlStack: {
        PipelineBatchWorkflowPausedParameter0A1B2C3D: PARAMETER,
        PipelineBatchWorkflowStateMachineArn5E6F7A8B: STATE_MACHINE,
        PipelineBufferQueueUrlF00D0001: buffer,
        PipelineBufferDlqUrl9BA9DAB0: dlq,
        PipelineDeliveryDlqUrlABCDEF12: buffer.replace('/buffer', '/missing-queue'),
      },
    });
    const sfn = fakeClient(() => ({
      executions: [{ name: 'run-2', status: 'FAILED', startDate: new Date('2026-01-02T00:00:00Z') }, { name: 'run-1', status: 'SUCCEEDED', startDate: new Date('2026-01-01T00:00:00Z') }],
    }));
    const io = captureIo();
    expect(await main(['status', '--outputs', file], { io, clients: clientsOf({ sqs, ssm: fakeSsm('true'), sfn }) })).toBe(0);
    const text = io.lines.join('\n');
    expect(text).toContain(`paused: true (${PARAMETER})`);
    expect(text).toContain('PipelineBufferQueueUrl: 0 visible, 0 in flight, 0 delayed');
    expect(text).toContain('PipelineBufferDlqUrl: 3 visible, 0 in flight, 0 delayed  ← needs attention (runbook: dlq-messages)');
    expect(text).toMatch(/PipelineDeliveryDlqUrl: unknown \(/);
    expect(text).toContain('  2026-01-02T00:00:00.000Z  FAILED     run-2');
    expect(sfn.calls[0].input).toEqual({ stateMachineArn: STATE_MACHINE, maxResults: 5 });
  });
});

describe('status ages (CloudWatch, mocked with aws-sdk-client-mock)', () => {
  const sqs = fakeClient(() => ({ Attributes: { ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessagesDelayed: '0' } }));
  const outputs = {
    PipelineBufferQueueUrlADA13B6A: 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-buffer',
    PipelineBufferDlqUrl9BA9DAB0: 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-buffer-dlq',
    PipelineStreamName00684A1A: 'clickstream-stream',
    PipelineTransformFunctionName1A2B3C4D: 'clickstream-transform',
  };
  let cloudwatch: CloudWatchClient;
  let cw: ReturnType<typeof mockClient>;
  beforeEach(() => {
    cloudwatch = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    cw = mockClient(cloudwatch);
  });
  afterEach(() => cw.restore());

  const minute = (m: number) => new Date(Date.UTC(2026, 10, 24, 12, m));

  test('buffer age, DLQ age and Kinesis iterator age from one GetMetricData over the last 15 minutes; missing data is "no data"', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'age0', Label: 'buffer age', Timestamps: [minute(5), minute(4), minute(3)], Values: [42, 95, 12], StatusCode: 'Complete' },
        { Id: 'age1', Label: 'PipelineBufferDlqUrl age', Timestamps: [], Values: [], StatusCode: 'Complete' },
        { Id: 'age2', Label: 'stream iterator age', Timestamps: [minute(5)], Values: [850], StatusCode: 'Complete' },
      ],
    });
    const io = captureIo();
    const before = Date.now();
    expect(await main(['status', '--outputs', writeOutputsFile({ S: outputs })], { io, clients: clientsOf({ sqs, cloudwatch }) })).toBe(0);
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(15 * 60_000);
    expect(input.EndTime!.getTime()).toBeGreaterThanOrEqual(before);
    expect(input.MetricDataQueries!.map((q) => [q.Id, q.MetricStat?.Metric?.Namespace, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Metric?.Dimensions, q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['age0', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', [{ Name: 'QueueName', Value: 'clickstream-buffer' }], 'Maximum', 60],
      ['age1', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', [{ Name: 'QueueName', Value: 'clickstream-buffer-dlq' }], 'Maximum', 60],
      ['age2', 'AWS/Lambda', 'IteratorAge', [{ Name: 'FunctionName', Value: 'clickstream-transform' }], 'Maximum', 60],
    ]);
    const text = io.lines.join('\n');
    expect(text).toContain('  buffer age: 42 s at 12:05 UTC, highest 95 s (oldest message, AWS/SQS ApproximateAgeOfOldestMessage of clickstream-buffer)');
    expect(text).toContain('  PipelineBufferDlqUrl age: no data in the last 15 min (oldest message, AWS/SQS ApproximateAgeOfOldestMessage of clickstream-buffer-dlq)');
    expect(text).toContain('  stream iterator age: 850 ms at 12:05 UTC, highest 850 ms (AWS/Lambda IteratorAge of clickstream-transform)');
    expect(io.errors).toEqual([]);
  });

  test('pages of GetMetricData are joined; without the function output the stream metric is used', async () => {
    const { PipelineTransformFunctionName1A2B3C4D: _, ...withoutFunction } = outputs;
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'age2', Timestamps: [minute(9)], Values: [3_600_000] }], NextToken: 'more' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'age2', Timestamps: [minute(8)], Values: [7_200_000] }] });
    const io = captureIo();
    expect(await main(['status', '--outputs', writeOutputsFile({ S: withoutFunction })], { io, clients: clientsOf({ sqs, cloudwatch }) })).toBe(0);
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'more']);
    expect(calls[0].args[0].input.MetricDataQueries![2].MetricStat?.Metric).toEqual({
      Namespace: 'AWS/Kinesis',
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Dimensions: [{ Name: 'StreamName', Value: 'clickstream-stream' }],
    });
    expect(io.lines).toContain('  stream iterator age: 60 min at 12:09 UTC, highest 2.0 h (AWS/Kinesis GetRecords.IteratorAgeMilliseconds of clickstream-stream)');
    expect(io.lines).toContain('  buffer age: no data in the last 15 min (oldest message, AWS/SQS ApproximateAgeOfOldestMessage of clickstream-buffer)');
  });

  test('a failing GetMetricData makes the ages unknown and hides nothing else (exit 0)', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('User is not authorized to perform cloudwatch:GetMetricData'), { name: 'AccessDenied' }));
    const io = captureIo();
    expect(await main(['status', '--outputs', writeOutputsFile({ S: outputs })], { io, clients: clientsOf({ sqs, cloudwatch }) })).toBe(0);
    expect(io.lines).toContain('PipelineBufferQueueUrl: 4 visible, 1 in flight, 0 delayed');
    expect(io.lines).toContain('  buffer age: unknown (User is not authorized to perform cloudwatch:GetMetricData)');
    expect(io.lines).toContain('  stream iterator age: unknown (User is not authorized to perform cloudwatch:GetMetricData)');
  });
});

describe('formatAge', () => {
  test.each([
    [850, '850 ms'],
    [42_000, '42 s'],
    [12 * 60_000, '12 min'],
    [5.5 * 3_600_000, '5.5 h'],
    [3.2 * 86_400_000, '3.2 d'],
  ])('%d ms → %s', (ms, text) => expect(formatAge(ms)).toBe(text));
});
