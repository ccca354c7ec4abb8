/**
 * A pause for schema drift holds every path, in process (runPipeline) on the reference app: a batch
 * object that drifts pauses the pipeline, which disables the stream and bus event source mappings;
 * records sent by the stream and the bus afterwards wait in the stream and the buffer queue (not
 * curated, not dead-lettered); `resume` with the operations CLI enables the mappings, and every
 * held record is curated exactly once, the stream's in the order they were sent.
 */
import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { main } from '../../../cli/main';
import { heldMappings } from '../../../cli/commands/pause';
import { PIPELINE_OUTPUT } from '../../../lib/contract/stack-outputs';
import { linesOf, type RunOutputs } from '../../../local/report/outputs';
import { runPipeline } from '../../../local/run/pipeline-run';
import { captureIo, clientsOf, writeOutputsFile } from '../../cli/support';
import { useReferenceAssembly } from '../../support/reference-assembly';

jest.setTimeout(300_000);

const reference = useReferenceAssembly('drift-hold-');

const event = (id: string, minute: number, eventType = 'click') =>
  JSON.stringify({ eventId: id, eventTime: `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`, eventType, userId: 'user-1', sessionId: 'sess-1', page: { url: 'https://shop.example.com/' }, schemaVersion: '1' });

/** A batch object whose every line has an event type the schema does not know: the sample drifts. */
const DRIFTED = Array.from({ length: 5 }, (_, i) => event(`drift-${i + 1}`, i, 'scroll'));
const STREAM_IDS = Array.from({ length: 6 }, (_, i) => `held-stream-${i + 1}`);
const BUS_IDS = Array.from({ length: 4 }, (_, i) => `held-bus-${i + 1}`);

/** Input record ids in curated, one entry per curated line, in each object's line order. */
function curatedIds(outputs: RunOutputs): string[] {
  return outputs.curated.flatMap((o) => linesOf(o.text).map((l) => String((JSON.parse(l) as { eventId?: unknown }).eventId)));
}

/** Every id anywhere in quarantine or a dead-letter message. */
function elsewhere(outputs: RunOutputs, ids: readonly string[]): string[] {
  const texts = [...outputs.quarantine.map((q) => q.text), ...outputs.deadLetters.flatMap((d) => d.messages.map((m) => m.body))];
  return ids.filter((id) => texts.some((t) => t.includes(id)));
}

test('drift detected → stream and bus records held in their sources → resume → curated in order, exactly once', async () => {
  let checked = false;
  await runPipeline({
    assembly: reference.assembly,
    lines: DRIFTED,
    via: 'batch',
    progress: () => undefined,
    onStarted: () => undefined,
    whileLive: async (live) => {
      const [execution] = live.report.executions;
      expect(execution).toEqual(expect.objectContaining({ status: 'FAILED', error: 'SchemaDrift' }));
      const outputs = Object.values(live.stackOutputs)[0];
      const output = (name: string) => Object.entries(outputs).find(([key]) => key.replace(/[0-9A-F]{8}$/, '').endsWith(name))?.[1] as string;
      const uuids = heldMappings(output(PIPELINE_OUTPUT.heldSourceMappings));
      expect(uuids).toHaveLength(2);

      // The drift response set the flag and disabled both mappings.
      expect((await live.clients.ssm.send(new GetParameterCommand({ Name: output(PIPELINE_OUTPUT.pausedParameter) })) as { Parameter: { Value: string } }).Parameter.Value).toBe('true');
      for (const uuid of uuids) {
        expect(await live.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).toEqual(expect.objectContaining({ State: 'Disabled' }));
      }

      // Producers keep sending while the pipeline is paused.
      await live.clients.kinesis.send(
        new PutRecordsCommand({ StreamName: output(PIPELINE_OUTPUT.streamName), Records: STREAM_IDS.map((id, i) => ({ Data: Buffer.from(event(id, 10 + i)), PartitionKey: 'user-1' })) }),
      );
      await live.clients.eventbridge.send(
        new PutEventsCommand({ Entries: BUS_IDS.map((id, i) => ({ EventBusName: output(PIPELINE_OUTPUT.eventBusName), Source: 'com.example.storefront', DetailType: 'ClickstreamEvent', Detail: event(id, 20 + i) })) }),
      );
      const held = await live.settle();
      const heldIds = [...STREAM_IDS, ...BUS_IDS];
      expect(curatedIds(held).filter((id) => heldIds.includes(id))).toEqual([]);
      expect(elsewhere(held, heldIds)).toEqual([]);
      const buffer = await live.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: output(PIPELINE_OUTPUT.bufferQueueUrl), AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(Number(buffer.Attributes?.ApproximateNumberOfMessages)).toBe(BUS_IDS.length);

      // The operator resumes with the CLI: flag false, mappings enabled.
      const io = captureIo();
      const file = writeOutputsFile(live.stackOutputs);
      expect(await main(['resume', '--outputs', file, '--yes'], { io, clients: clientsOf({ ssm: live.clients.ssm, lambda: live.clients.lambda }) })).toBe(0);
      expect(io.lines.filter((l) => /event source mapping .*: Enabling/.test(l))).toHaveLength(2);

      const resumed = await live.settle();
      const curated = curatedIds(resumed);
      for (const id of heldIds) expect(curated.filter((c) => c === id)).toEqual([id]);
      // One partition key, one shard: the stream's records reach curated in the order they were sent.
      expect(curated.filter((id) => STREAM_IDS.includes(id))).toEqual(STREAM_IDS);
      expect(elsewhere(resumed, heldIds)).toEqual([]);
      checked = true;
    },
  });
  expect(checked).toBe(true);
});
