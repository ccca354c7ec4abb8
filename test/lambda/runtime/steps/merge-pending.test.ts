import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../../lambda/handlers/merge-steps';
import { acknowledgeMerged, collectPending, objectPath } from '../../../../lambda/runtime/steps/merge-pending';
import { MergeStepAction, mergeSql, type CurrentTableSqlSpec } from '../../../../lib/contract';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111111111111/merge';
const spec: CurrentTableSqlSpec = { database: 'orders_etl', table: 'orders_current', sourceTable: 'orders_source', columns: [{ name: 'orderid', type: 'string' }] };
const key = (n: number) => `orders/dt=2026-11-24/hr=09/${String(n).padStart(32, '0')}.jsonl.gz`;
const message = (n: number, receipt = `r-${n}`): Message => ({ ReceiptHandle: receipt, Body: JSON.stringify({ bucket: 'curated', key: key(n) }) });

beforeEach(() => sqsMock.reset());

describe('collectPending', () => {
  it('takes the pending objects, one path per object, and builds the MERGE over exactly them', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message(2), message(1), message(2, 'r-2b')] }).resolves({ Messages: [] });
    const pending = await collectPending(sqs, QUEUE, { action: MergeStepAction.COLLECT, spec, maxObjects: 100 });
    const paths = [`s3://curated/${key(1)}`, `s3://curated/${key(2)}`];
    expect(pending).toEqual({ objects: paths, count: 2, statements: [mergeSql(spec, paths)], receipts: ['r-2', 'r-1', 'r-2b'], rejected: 0, more: false });
  });

  it('stops at maxObjects and says more may be pending', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message(1), message(2), message(3)] });
    const pending = await collectPending(sqs, QUEUE, { action: MergeStepAction.COLLECT, spec, maxObjects: 2 });
    expect(pending).toMatchObject({ count: 3, more: true });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
  });

  it('leaves messages that name no curated object in the queue, and builds nothing when nothing is pending', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ ReceiptHandle: 'bad', Body: '{"bucket":"curated","key":"orders/other.json"}' }, { ReceiptHandle: 'x', Body: 'not json' }] }).resolves({});
    expect(await collectPending(sqs, QUEUE, { action: MergeStepAction.COLLECT, spec, maxObjects: 10 })).toEqual({
      objects: [], count: 0, statements: [], receipts: [], rejected: 2, more: false,
    });
  });

  it('refuses a bad limit', async () => {
    await expect(collectPending(sqs, QUEUE, { action: MergeStepAction.COLLECT, spec, maxObjects: 0 })).rejects.toThrow('maxObjects must be an integer from 1 to 1,000, got 0');
  });
});

describe('objectPath', () => {
  it('decodes URL-encoded keys as S3 notifications send them', () => {
    expect(objectPath(JSON.stringify({ bucket: 'curated', key: 'orders/dt%3D2026-11-24/hr%3D09/a.jsonl.gz' }))).toBe('s3://curated/orders/dt=2026-11-24/hr=09/a.jsonl.gz');
    expect(objectPath(JSON.stringify({ bucket: 'b' }))).toBeUndefined();
  });
});

describe('acknowledgeMerged', () => {
  it('deletes the messages ten at a time, tolerating receipts that expired (the object comes back, harmlessly)', async () => {
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
      Successful: input.Entries.slice(1).map((e) => ({ Id: e.Id })),
      Failed: [{ Id: input.Entries[0].Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    }));
    const receipts = Array.from({ length: 12 }, (_, i) => `r-${i}`);
    expect(await acknowledgeMerged(sqs, QUEUE, { action: MergeStepAction.ACKNOWLEDGE, receipts })).toEqual({ deleted: 10 });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
  });

  it('fails on any other failure, so the state machine retries', async () => {
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InternalError', Message: 'boom', SenderFault: false }] });
    await expect(acknowledgeMerged(sqs, QUEUE, { action: MergeStepAction.ACKNOWLEDGE, receipts: ['r'] })).rejects.toThrow('could not delete 1 merged message(s): InternalError: boom');
  });
});

describe('the merge steps handler', () => {
  it('hands each action to its module and refuses unknown ones or a missing queue', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    await expect(createHandler(sqs, QUEUE)({ action: MergeStepAction.COLLECT, spec, maxObjects: 5 })).resolves.toMatchObject({ count: 0 });
    await expect(createHandler(sqs, QUEUE)({ action: 'nope' } as never)).rejects.toThrow('unknown action "nope"');
    await expect(createHandler(sqs, undefined)({ action: MergeStepAction.ACKNOWLEDGE, receipts: [] })).rejects.toThrow('MERGE_QUEUE_URL is missing');
  });
});
