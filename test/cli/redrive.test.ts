/**
 * `redrive` against fauxqs SQS (which has no StartMessageMoveTask: the CLI falls back to moving
 * the messages itself), and the move-task path with a client that adds the two APIs.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { main } from '../../cli/main';
import { captureIo, clientsOf, writeOutputsFile, emulatedSqs } from './support';

jest.setTimeout(60_000);

describe('redrive on emulated SQS', () => {
  const emulated = emulatedSqs();
  let sqs: SQSClient;
  let n = 0;
  beforeAll(() => {
    sqs = emulated.sqs;
  });

  /** A buffer queue and its DLQ holding `count` messages; an outputs file naming both. */
  async function setup(count: number) {
    n++;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `buffer-dlq-${n}` }))).QueueUrl as string;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
    const bufferUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `buffer-${n}`,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '3' }) },
        }),
      )
    ).QueueUrl as string;
    const bodies = Array.from({ length: count }, (_, i) => JSON.stringify({ detail: { eventId: `evt-${n}-${i}` } }));
    for (let i = 0; i < count; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: bodies.slice(i, i + 10).map((b, j) => ({
            Id: String(j),
            MessageBody: b,
            MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } },
          })),
        }),
      );
    }
    // Only the DLQ output and the buffer: the source queue is found from the buffer's RedrivePolicy.
    const file = writeOutputsFile({ EtlStack: { PipelineBufferQueueUrlF00D0001: bufferUrl, PipelineBufferDlqUrl9BA9DAB0: dlqUrl } });
    return { dlqUrl, bufferUrl, bodies, file };
  }

  async function depth(url: string): Promise<number> {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
  }

  async function drain(url: string) {
    const out: Array<{ Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> }> = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, MessageAttributeNames: ['All'] }));
      if (!r.Messages?.length) return out;
      out.push(...r.Messages);
    }
  }

  /** The emulator client, recording when each message is sent. */
  function timedSqs(sendTimes: number[]) {
    return {
      send: (command: unknown) => {
        if (command instanceof SendMessageCommand) sendTimes.push(performance.now());
        return sqs.send(command as never);
      },
    };
  }

  test('empties the DLQ into its source queue, never faster than --rate', async () => {
    const { dlqUrl, bufferUrl, bodies, file } = await setup(10);
    const io = captureIo();
    const sendTimes: number[] = [];
    const code = await main(['redrive', '--outputs', file, '--rate', '20', '--yes'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs: timedSqs(sendTimes) }) });
    expect(io.errors.join('\n')).toMatch(/StartMessageMoveTask is not available here .*InvalidAction/);
    expect(code).toBe(0);
    expect(await depth(dlqUrl)).toBe(0);
    const moved = await drain(bufferUrl);
    expect(moved.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(moved.every((m) => m.MessageAttributes?.origin?.StringValue === 'test')).toBe(true);
    // 10 messages at 20/s: the 10th is sent ≥ 9/20 s after the first (≥ 10/20 s for the whole run).
    expect(sendTimes).toHaveLength(10);
    const spanMs = sendTimes[9] - sendTimes[0];
    expect(spanMs).toBeGreaterThanOrEqual((9 / 20) * 1000 - 15);
    expect(spanMs).toBeLessThan((9 / 20) * 1000 + 1000);
    // In no window of one second were more than 20 sent (nor, here, more than 2 in 100 ms).
    for (let i = 0; i + 2 < sendTimes.length; i++) expect(sendTimes[i + 2] - sendTimes[i]).toBeGreaterThanOrEqual(100 - 15);
    expect(io.lines.join('\n')).toMatch(/redrive done: 10 message\(s\) moved to .*buffer-/);
  });

  test('--max moves at most that many', async () => {
    const { dlqUrl, bufferUrl, file } = await setup(12);
    const io = captureIo();
    const code = await main(['redrive', '--outputs', file, '--queue', 'BufferDlqUrl', '--rate', '100', '--max', '5', '--yes'], {
      io,
      emptyWaitSeconds: 0,
      clients: clientsOf({ sqs }),
    });
    expect(code).toBe(0);
    expect(await depth(dlqUrl)).toBe(7);
    expect(await drain(bufferUrl)).toHaveLength(5);
    expect(io.lines).toContain('moved 5/5');
  });

  test('--dry-run counts and moves nothing', async () => {
    const { dlqUrl, bufferUrl, file } = await setup(4);
    const io = captureIo();
    const code = await main(['redrive', '--outputs', file, '--dry-run'], { io, clients: clientsOf({ sqs }) });
    expect(code).toBe(0);
    expect(io.lines.join('\n')).toMatch(/dry run: would move 4 message\(s\)/);
    expect(await depth(dlqUrl)).toBe(4);
    expect(await depth(bufferUrl)).toBe(0);
  });

  test('without a terminal and without --yes it refuses (exit 3) and moves nothing', async () => {
    const { dlqUrl, bufferUrl, file } = await setup(3);
    const io = captureIo();
    expect(await main(['redrive', '--outputs', file], { io, clients: clientsOf({ sqs }) })).toBe(3);
    expect(io.errors.join('\n')).toMatch(/refusing to move 3 message\(s\) from .* without confirmation: not a terminal; pass --yes/);
    expect(await depth(dlqUrl)).toBe(3);
    expect(await depth(bufferUrl)).toBe(0);
  });

  test('on a terminal it asks; "n" leaves the DLQ alone', async () => {
    const { dlqUrl, file } = await setup(2);
    const io = captureIo(['n']);
    expect(await main(['redrive', '--outputs', file], { io, clients: clientsOf({ sqs }) })).toBe(3);
    expect(io.questions[0]).toMatch(/^move 2 message\(s\) from .* to .*\? \[y\/N\] $/);
    expect(await depth(dlqUrl)).toBe(2);
  });

  test('--to names the destination; a DLQ without a source queue needs it', async () => {
    const other = (await sqs.send(new CreateQueueCommand({ QueueName: 'orphan-dlq' }))).QueueUrl as string;
    const target = (await sqs.send(new CreateQueueCommand({ QueueName: 'replay-target' }))).QueueUrl as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'x' }));
    const file = writeOutputsFile({ S: { PipelineOrphanDlqUrl12345678: other, PipelineTargetQueueUrl12345678: target } });
    const io = captureIo();
    expect(await main(['redrive', '--outputs', file, '--yes'], { io, clients: clientsOf({ sqs }) })).toBe(2);
    expect(io.errors.join('\n')).toMatch(/no queue has .*orphan-dlq as its dead-letter queue .*give the destination with --to/);
    expect(await main(['redrive', '--outputs', file, '--yes', '--to', 'TargetQueue', '--rate', '50'], { io, emptyWaitSeconds: 0, clients: clientsOf({ sqs }) })).toBe(0);
    expect(await depth(other)).toBe(0);
    expect((await drain(target)).map((m) => m.Body)).toEqual(['x']);
  });

  test('uses StartMessageMoveTask when the API exists, and polls its progress', async () => {
    const { dlqUrl, file } = await setup(3);
    const calls: Array<{ name: string; input: unknown }> = [];
    let polls = 0;
    const withMoveTasks = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        const name = command.constructor.name;
        if (name === 'StartMessageMoveTaskCommand') {
          calls.push({ name, input: command.input });
          return { TaskHandle: 'task-1' };
        }
        if (name === 'ListMessageMoveTasksCommand') {
          polls++;
          return {
            Results: [{ Status: polls < 2 ? 'RUNNING' : 'COMPLETED', ApproximateNumberOfMessagesMoved: polls < 2 ? 1 : 3, ApproximateNumberOfMessagesToMove: 3 }],
          };
        }
        return sqs.send(command as never);
      },
    };
    const io = captureIo();
    const code = await main(['redrive', '--outputs', file, '--rate', '7', '--yes'], { io, clients: clientsOf({ sqs: withMoveTasks }), sleep: async () => undefined });
    expect(code).toBe(0);
    expect(calls).toEqual([
      {
        name: 'StartMessageMoveTaskCommand',
        input: expect.objectContaining({ SourceArn: expect.stringMatching(/:buffer-dlq-\d+$/), DestinationArn: expect.stringMatching(/:buffer-\d+$/), MaxNumberOfMessagesPerSecond: 7 }),
      },
    ]);
    expect(io.lines).toEqual(expect.arrayContaining(['move task RUNNING: 1/3 moved', 'move task COMPLETED: 3/3 moved']));
    expect(await depth(dlqUrl)).toBe(3); // the fake task moved nothing: the CLI did not move them itself
  });
});
