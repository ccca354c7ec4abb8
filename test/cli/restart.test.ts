/**
 * `restart` against fauxqs SQS (the workflow DLQ) with a fake Step Functions and a fake SSM: the
 * three kinds of message the workflow DLQ receives, the paused flag, dry runs, rate and failures.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseRun } from '../../cli/commands/restart';
import { main } from '../../cli/main';
import { captureIo, clientsOf, fakeClient, writeOutputsFile, emulatedSqs } from './support';

jest.setTimeout(60_000);

const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:batch';
const PARAMETER = '/cdk-serverless-etl/clickstream/paused';

/** What the workflow DLQ receives (batch-workflow.ts: SendToDlq, AbandonedRuns, undelivered start events). */
const failedRun = (key: string, error = 'States.TaskFailed') =>
  JSON.stringify({ pipeline: 'clickstream', bucket: 'raw', key, error, cause: 'boom', executionId: `${STATE_MACHINE.replace('stateMachine', 'execution')}:x` });
const abandonedRun = (key: string) =>
  JSON.stringify({ pipeline: 'clickstream', error: 'TIMED_OUT', executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:y`, input: JSON.stringify({ bucket: 'raw', key, size: 10 }) });
const startEvent = (key: string) =>
  JSON.stringify({ version: '0', source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'raw' }, object: { key, size: 10 } } });
const scheduledEvent = JSON.stringify({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', resources: ['arn:aws:events:us-east-1:0:rule/x'] });

function fakeSsm(value: string) {
  return fakeClient((name) => {
    if (name === 'GetParameterCommand') return { Parameter: { Name: PARAMETER, Value: value } };
    throw new Error(`unexpected ${name}`);
  });
}

/** A state machine that records each StartExecution (and its time), failing as `fail` says. */
function fakeSfn(fail: (call: number) => Error | undefined = () => undefined) {
  const times: number[] = [];
  const client = fakeClient((name, input) => {
    if (name !== 'StartExecutionCommand') throw new Error(`unexpected ${name}`);
    times.push(performance.now());
    const error = fail(times.length);
    if (error) throw error;
    return { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name as string}` };
  });
  return Object.assign(client, { times });
}

describe('restart on emulated SQS', () => {
  const emulated = emulatedSqs();
  let sqs: SQSClient;
  let n = 0;
  beforeAll(() => {
    sqs = emulated.sqs;
  });

  /** A workflow DLQ holding `bodies`, and the buffer DLQ beside it; an outputs file naming them like EtlPipeline does. */
  async function setup(bodies: string[]) {
    n++;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `workflow-dlq-${n}` }))).QueueUrl as string;
    const bufferDlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `buffer-dlq-${n}` }))).QueueUrl as string;
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlqUrl, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })) }));
    }
    const file = writeOutputsFile({
      EtlStack: {
        PipelineBatchWorkflowStateMachineArn5571F3EC: STATE_MACHINE,
        PipelineBatchWorkflowPausedParameter19BAA7D2: PARAMETER,
        PipelineDlqUrl3EBA1153: dlqUrl,
        PipelineBufferDlqUrl9BA9DAB0: bufferDlqUrl,
      },
    });
    return { dlqUrl, bufferDlqUrl, file };
  }

  async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
  }

  const inputs = (sfn: ReturnType<typeof fakeSfn>) => sfn.calls.map((c) => JSON.parse(c.input.input as string) as unknown);

  test('restarts failed, abandoned and undelivered runs with {bucket,key}; reports and keeps what names no run (exit 4)', async () => {
    const { dlqUrl, bufferDlqUrl, file } = await setup([
      failedRun('batch/a.jsonl', 'PipelinePaused'),
      abandonedRun('batch/b.jsonl'),
      startEvent('batch/c.jsonl'),
      failedRun('batch/a.jsonl'), // the same object again: one run
      'not json at all',
      scheduledEvent,
    ]);
    const sfn = fakeSfn();
    const io = captureIo();
    const code = await main(['restart', '--outputs', file, '--yes', '--rate', '100'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) });
    expect(code).toBe(4);
    expect(sfn.calls.every((c) => c.input.stateMachineArn === STATE_MACHINE)).toBe(true);
    expect(inputs(sfn)).toEqual(
      expect.arrayContaining([
        { bucket: 'raw', key: 'batch/a.jsonl' },
        { bucket: 'raw', key: 'batch/b.jsonl' },
        { bucket: 'raw', key: 'batch/c.jsonl' },
      ]),
    );
    expect(sfn.calls).toHaveLength(3);
    expect(sfn.calls.every((c) => /^restart-[0-9a-f]{24}$/.test(c.input.name as string))).toBe(true);
    // The two messages naming no run are back in the DLQ, visible at once; the buffer DLQ was not touched.
    expect(await counts(dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
    expect(await counts(bufferDlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const err = io.errors.join('\n');
    expect(err).toMatch(/cannot restart: the body is not JSON: "not json at all"; left in the DLQ/);
    expect(err).toMatch(/cannot restart: an undelivered scheduled start event/);
    expect(err).toMatch(/^incomplete: 2 message\(s\) in .*workflow-dlq-\d+ are not batch workflow runs/m);
    const out = io.lines.join('\n');
    expect(out).toMatch(/restarted \d: s3:\/\/raw\/batch\/b.jsonl \(abandoned run: TIMED_OUT\) → arn:aws:states:/);
    expect(out).toMatch(/s3:\/\/raw\/batch\/a.jsonl \(failed run, message \S+\): already restarted in this run/);
    expect(out).toContain('restart done: 3 run(s) started, 4 message(s) deleted, 2 message(s) not understood and left in the DLQ');
  });

  test('refuses while the pipeline is paused (exit 3, nothing received); --force restarts anyway', async () => {
    const { dlqUrl, file } = await setup([failedRun('batch/p.jsonl', 'PipelinePaused')]);
    const sfn = fakeSfn();
    const io = captureIo();
    const sqsCalls: string[] = [];
    const recorded = { send: (c: { constructor: { name: string } }) => (sqsCalls.push(c.constructor.name), sqs.send(c as never)) };
    expect(await main(['restart', '--outputs', file, '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs: recorded, sfn, ssm: fakeSsm('true') }) })).toBe(3);
    expect(sqsCalls).not.toContain('ReceiveMessageCommand');
    expect(io.errors.join('\n')).toMatch(/refusing to restart: the pipeline is paused \(.*paused is "true"\): restarted runs would stop at CheckPaused .* or pass --force/);
    expect(sfn.calls).toEqual([]);
    expect(await counts(dlqUrl)).toEqual({ visible: 1, inFlight: 0 });

    const forced = captureIo();
    expect(await main(['restart', '--outputs', file, '--yes', '--force'], { io: forced, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('true') }) })).toBe(0);
    expect(forced.errors.join('\n')).toMatch(/warning: the pipeline is paused .*restarting anyway \(--force\)/);
    expect(inputs(sfn)).toEqual([{ bucket: 'raw', key: 'batch/p.jsonl' }]);
    expect(await counts(dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('--dry-run lists the runs (saying a paused pipeline would refuse), starts nothing and leaves every message visible', async () => {
    const { dlqUrl, file } = await setup([failedRun('batch/d1.jsonl'), startEvent('batch/d2.jsonl'), '{}']);
    const sfn = fakeSfn();
    const io = captureIo();
    expect(await main(['restart', '--outputs', file, '--dry-run'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('true') }) })).toBe(4);
    const out = io.lines.join('\n');
    expect(out).toMatch(/dry run: a real run would refuse: the pipeline is paused/);
    expect(out).toContain('  would restart: s3://raw/batch/d1.jsonl (failed run: States.TaskFailed)');
    expect(out).toContain('  would restart: s3://raw/batch/d2.jsonl (start event)');
    expect(out).toContain('dry run: would restart 2 run(s) from 3 message(s); 1 message(s) not understood; nothing started');
    expect(sfn.calls).toEqual([]);
    expect(await counts(dlqUrl)).toEqual({ visible: 3, inFlight: 0 });
  });

  test('without a terminal and without --yes it refuses (exit 3); an empty DLQ has nothing to restart', async () => {
    const { dlqUrl, file } = await setup([failedRun('batch/t.jsonl')]);
    const sfn = fakeSfn();
    const io = captureIo();
    expect(await main(['restart', '--outputs', file], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) })).toBe(3);
    expect(io.errors.join('\n')).toMatch(/refusing to restart the batch workflow runs of 1 message\(s\) from .*workflow-dlq-\d+ without confirmation/);
    expect(sfn.calls).toEqual([]);
    expect(await counts(dlqUrl)).toEqual({ visible: 1, inFlight: 0 });

    const empty = await setup([]);
    const quiet = captureIo();
    expect(await main(['restart', '--outputs', empty.file], { io: quiet, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) })).toBe(0);
    expect(quiet.lines).toContain('nothing to restart');
  });

  test('deletes a message only after its execution started: a failing StartExecution stops the run (exit 1) and keeps the rest', async () => {
    const { dlqUrl, file } = await setup(['a', 'b', 'c'].map((k) => failedRun(`batch/${k}.jsonl`)));
    const denied = Object.assign(new Error('not authorized to perform states:StartExecution'), { name: 'AccessDeniedException' });
    const sfn = fakeSfn((call) => (call === 2 ? denied : undefined));
    const io = captureIo();
    expect(await main(['restart', '--outputs', file, '--yes', '--rate', '100'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) })).toBe(1);
    expect(io.errors.join('\n')).toMatch(/error: StartExecution failed for s3:\/\/raw\/batch\/\w.jsonl \(message \S+\): AccessDeniedException: not authorized .*; 1 run\(s\) restarted before it, the rest are still in the DLQ/);
    expect(sfn.calls).toHaveLength(2);
    expect(await counts(dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  });

  test('a run an interrupted restart already started (ExecutionAlreadyExists) counts as done', async () => {
    const { dlqUrl, file } = await setup([failedRun('batch/again.jsonl')]);
    const exists = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
    const sfn = fakeSfn(() => exists);
    const io = captureIo();
    expect(await main(['restart', '--outputs', file, '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) })).toBe(0);
    expect(io.lines.join('\n')).toMatch(/s3:\/\/raw\/batch\/again.jsonl: execution restart-[0-9a-f]{24} was already started by an earlier restart/);
    expect(await counts(dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('never starts more than --rate executions per second; --max bounds the messages', async () => {
    const { dlqUrl, file } = await setup(Array.from({ length: 6 }, (_, i) => failedRun(`batch/r${i}.jsonl`)));
    const sfn = fakeSfn();
    const io = captureIo();
    expect(await main(['restart', '--outputs', file, '--yes', '--rate', '10', '--max', '4'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs, sfn, ssm: fakeSsm('false') }) })).toBe(0);
    expect(sfn.times).toHaveLength(4);
    // 4 starts at 10/s: the 4th is ≥ 3/10 s after the first.
    expect(sfn.times[3] - sfn.times[0]).toBeGreaterThanOrEqual(300 - 15);
    expect(await counts(dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  });
});

describe('parseRun', () => {
  test.each([
    ['a failed run', failedRun('k'), { bucket: 'raw', key: 'k', error: 'States.TaskFailed', origin: 'failed run' }],
    ['an abandoned run', abandonedRun('k'), { bucket: 'raw', key: 'k', error: 'TIMED_OUT', origin: 'abandoned run' }],
    ['an abandoned run with an object input', JSON.stringify({ executionArn: 'e', input: { bucket: 'b', key: 'k' } }), { bucket: 'b', key: 'k', origin: 'abandoned run' }],
    ['an S3 start event', startEvent('k'), { bucket: 'raw', key: 'k', origin: 'start event' }],
  ])('%s', (_, body, run) => expect(parseRun(body)).toEqual(run));

  test.each([
    [undefined, /not JSON/],
    ['[1]', /not a JSON object/],
    [JSON.stringify({ executionArn: 'e', input: '{oops' }), /execution input of e is not JSON/],
    [JSON.stringify({ executionArn: 'e', input: '{}' }), /execution input of e has no bucket and key/],
    [JSON.stringify({ source: 'aws.s3', detail: { bucket: {} } }), /S3 event without/],
    [scheduledEvent, /scheduled start event/],
    [JSON.stringify({ detail: { eventId: 'x' } }), /not a failed run/],
  ])('%j names no run', (body, problem) => expect(parseRun(body)).toEqual({ problem: expect.stringMatching(problem) }));
});
