/** `pause`, `resume` (fake SSM) and `status` (emulated SQS, fake SSM and Step Functions). */
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { main } from '../../cli/main';
import { startEmulators, type Emulators } from '../../local/emulators';
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
