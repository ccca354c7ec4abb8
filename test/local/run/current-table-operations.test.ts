/**
 * The current table's operations on a local run kept up (runPipeline's whileLive), with the
 * operations CLI on the run's outputs as after a deployment: `status` shows the table, the merge
 * backlog and the last merge and maintenance; the merge DLQ is redriven to the merge queue (its
 * object back as {"bucket","key"}, an undelivered start deleted); `merge --wait` merges it (the
 * merge steps' SQS calls pass the front door with IAM enforced) and succeeds.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { main } from '../../../cli/main';
import { selectPipeline } from '../../../cli/outputs';
import { SAMPLE_EVENTS } from '../../../local/run/cli-options';
import { readInputLines } from '../../../local/run/input-lines';
import { runPipeline } from '../../../local/run/pipeline-run';
import { captureIo, clientsOf, writeOutputsFile } from '../../cli/support';
import { useReferenceAssembly } from '../../support/reference-assembly';

jest.setTimeout(300_000);

const reference = useReferenceAssembly('current-table-ops-');

test('status, redrive of the merge DLQ and merge --wait on the live local run', async () => {
  let checked = false;
  await runPipeline({
    assembly: reference.assembly,
    lines: readInputLines(SAMPLE_EVENTS),
    via: 'stream',
    progress: () => undefined,
    onStarted: () => undefined,
    whileLive: async (live) => {
      const file = writeOutputsFile(live.stackOutputs);
      const pipeline = selectPipeline(Object.values(live.stackOutputs)[0]);
      const cli = async (...args: string[]) => {
        const io = captureIo();
        const code = await main([...args, '--outputs', file, '--yes'], { io, clients: clientsOf(live.clients), emptyWaitSeconds: 0, pollMs: 20 });
        return { code, text: io.lines.join('\n'), errors: io.errors.join('\n') };
      };

      // The outputs resolved to the local resources: `<database>.<table>` and the machines' ARNs.
      expect([pipeline.currentTableName, pipeline.currentTableLiveView]).toEqual(['clickstream_etl.clickstream_current', 'clickstream_etl.clickstream_current_live']);
      expect(pipeline.mergeStateMachineArn).toMatch(/^arn:aws:states:.*:stateMachine:/);
      const before = await cli('status');
      expect(before.code).toBe(0);
      expect(before.text).toContain('current table: clickstream_etl.clickstream_current, live rows in clickstream_etl.clickstream_current_live');
      expect(before.text).toMatch(/merge backlog \(\w+MergeQueueUrl\): 0 object\(s\) pending, 0 being merged/);
      // The run ended with one merge and one maintenance, as their schedules would start them.
      expect(before.text).toMatch(/ {2}last merge: SUCCEEDED \(started [^;]+, stopped [^;]+; /);
      expect(before.text).toMatch(/ {2}last maintenance: SUCCEEDED /);

      // A curated object whose merge "failed" and a merge start EventBridge "could not deliver".
      const curated = await live.clients.s3.send(new ListObjectsV2Command({ Bucket: pipeline.curatedBucketName }));
      const key = (curated.Contents ?? []).map((o) => o.Key as string).find((k) => k.endsWith('.jsonl.gz') && !k.startsWith('_'));
      expect(key).toBeDefined();
      const mergeDlq = pipeline.dlqs.find((d) => d.kind === 'merge')?.url as string;
      await live.clients.sqs.send(new SendMessageCommand({ QueueUrl: mergeDlq, MessageBody: JSON.stringify({ bucket: pipeline.curatedBucketName, key }) }));
      await live.clients.sqs.send(new SendMessageCommand({ QueueUrl: mergeDlq, MessageBody: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }) }));

      const redriven = await cli('redrive', '--queue', 'MergeDlqUrl', '--rate', '100');
      expect(redriven).toEqual(expect.objectContaining({ code: 0, errors: '' }));
      expect(redriven.text).toContain('redrive done: moved 1 object(s) to the merge queue, deleted 1 undelivered start(s), 0 message(s) not understood and left in the DLQ');
      expect((await cli('status')).text).toMatch(/merge backlog \(\w+MergeQueueUrl\): 1 object\(s\) pending/);

      const merged = await cli('merge', '--wait');
      expect(merged).toEqual(expect.objectContaining({ code: 0, errors: '' }));
      expect(merged.text).toMatch(/merge SUCCEEDED: 1 object\(s\) in its last round/);
      const after = await cli('status');
      expect(after.text).toMatch(/merge backlog \(\w+MergeQueueUrl\): 0 object\(s\) pending, 0 being merged/);
      expect(after.text).toMatch(/\w+MergeDlqUrl: 0 visible, 0 in flight/);
      checked = true;
    },
  });
  expect(checked).toBe(true);
});
