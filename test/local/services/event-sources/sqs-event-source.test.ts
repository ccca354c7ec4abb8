import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { drainSqs } from '../../../../local/services/event-sources/sqs-event-source';
import { startEmulators, type Emulators } from '../../../../local/services/emulators';

/**
 * SQS as a Lambda event source mapping runs it: up to MaximumConcurrency batches at once, a
 * received message invisible to the other pollers, failed messages redelivered and moved to the
 * DLQ by the queue's redrive policy. No timing: invocations are held until the cap is in flight.
 */
describe('drainSqs with MaximumConcurrency', () => {
  let emulators: Emulators;
  let sqs: SQSClient;

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['sqs'] });
    sqs = emulators.clients.sqs();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  test('up to the cap at once, never more; each message delivered once unless it fails; the poison one redriven to the DLQ', async () => {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'buffer-dlq' }))).QueueUrl as string;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
    const queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'buffer',
          Attributes: { VisibilityTimeout: '300', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '2' }) },
        }),
      )
    ).QueueUrl as string;
    const bodies = Array.from({ length: 60 }, (_, i) => `m-${i}`);
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })) }));
    }

    const cap = 4;
    const received: string[] = [];
    const bodiesInFlight = new Set<string>();
    const overlaps: string[] = [];
    let inFlight = 0;
    let most = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const stats = await drainSqs(sqs, {
      queueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:buffer',
      batchSize: 5,
      concurrency: cap,
      handler: async (event) => {
        const records = (event as { Records: Array<{ messageId: string; body: string }> }).Records;
        inFlight++;
        most = Math.max(most, inFlight);
        for (const r of records) {
          if (bodiesInFlight.has(r.body)) overlaps.push(r.body);
          bodiesInFlight.add(r.body);
          received.push(r.body);
        }
        if (inFlight === cap) open();
        await opened;
        records.forEach((r) => bodiesInFlight.delete(r.body));
        inFlight--;
        return { batchItemFailures: records.filter((r) => r.body === 'm-7').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });

    expect(most).toBe(cap);
    expect(stats.peakConcurrentInvocations).toBe(cap);
    // In flight, a message is invisible to the other pollers (the queue's visibility timeout).
    expect(overlaps).toEqual([]);
    for (const body of bodies.filter((b) => b !== 'm-7')) expect({ body, times: received.filter((r) => r === body).length }).toEqual({ body, times: 1 });
    // The failing message was received maxReceiveCount times, then moved to the DLQ.
    expect(received.filter((r) => r === 'm-7')).toHaveLength(2);
    const dead = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }))).Messages ?? [];
    expect(dead.map((m) => m.Body)).toEqual(['m-7']);
  });
});
