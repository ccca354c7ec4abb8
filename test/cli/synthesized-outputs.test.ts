/**
 * The CLI's assumptions about output names, checked against what the constructs emit: a real
 * stack with two EtlPipelines is synthesized and its template's Outputs fed to the output reader.
 * Each field the CLI reads must be the output of the right pipeline's resource, every output of a
 * pipeline must be one the CLI knows, and `--pipeline` must work on the synthesized outputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Fn, Stack } from 'aws-cdk-lib';
import { EtlPipeline } from '../../lib';
import { main } from '../../cli/main';
import { pipelinesOf, selectPipeline, type StackOutputs } from '../../cli/outputs';
import { PIPELINE_OUTPUT } from '../../lib/contract/stack-outputs';
import * as cdkJson from '../../cdk.json';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV } from '../support/cdk';
import { captureIo, clientsOf, fakeClient, writeOutputsFile } from './support';

let outdir: string;
let stack: Stack;
let orders: EtlPipeline;
let refunds: EtlPipeline;
/** The template's outputs as the CLI reads them: key → value (a reference as its JSON). */
let outputs: StackOutputs;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-synth-'));
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  stack = new Stack(app, 'Shop', { env: TEST_ENV });
  // Construct ids where one is a prefix of the other; every optional output in one or the other.
  orders = new EtlPipeline(stack, 'Orders', {
    pipelineName: 'orders',
    transformEntry: CLICKSTREAM_TRANSFORM,
    batchWorkflow: {},
    warehouse: {},
    currentTable: { outputSchema: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'curated-clickstream.json') },
  });
  // Both with a current table: each reads its own merge queue, state machines and table.
  const currentTable = { outputSchema: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'curated-clickstream.json') };
  refunds = new EtlPipeline(stack, 'OrdersRefunds', { pipelineName: 'refunds', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false, batchWorkflow: {}, warehouse: {}, currentTable });
  const template = app.synth().getStackByName('Shop').template as { Outputs: Record<string, { Value: unknown }> };
  outputs = Object.fromEntries(Object.entries(template.Outputs).map(([key, o]) => [key, typeof o.Value === 'string' ? o.Value : JSON.stringify(o.Value)]));
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** How an output whose value is `token` (a resource attribute) reads in {@link outputs}. */
function value(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const resolved: unknown = stack.resolve(token);
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

test('the outputs of two synthesized pipelines group into those two, each output known to the CLI', () => {
  const { pipelines, others } = pipelinesOf(outputs);
  expect(pipelines.map((p) => [p.pipelineName, p.prefix])).toEqual([
    ['orders', 'Orders'],
    ['refunds', 'OrdersRefunds'],
  ]);
  expect(others).toEqual({});
  // Every output is a known field or a DLQ: nothing a pipeline emits is invisible to the CLI.
  for (const p of pipelines) {
    const read = new Set([...Object.values(p.keys), ...p.dlqs.map((d) => d.key)]);
    expect(Object.keys(outputs).filter((k) => k.startsWith(p.prefix) && !(p.prefix === 'Orders' && k.startsWith('OrdersRefunds')) && !read.has(k))).toEqual([]);
  }
});

test.each([
  ['orders', () => orders],
  ['refunds', () => refunds],
])('the fields the CLI reads for %s are its own resources', (name, get) => {
  const p = get();
  const read = selectPipeline(outputs, name);
  expect(read.pipelineName).toBe(name);
  expect(read.rawBucketName).toBe(value(p.dataLake.rawBucket.bucketName));
  expect(read.transformFunctionName).toBe(value(p.transform.function.functionName));
  expect(read.stateMachineArn).toBe(value(p.batchWorkflow?.stateMachine.stateMachineArn));
  expect(read.pausedParameter).toBe(value(p.batchWorkflow?.pausedParameter.parameterName));
  expect(read.eventArchiveName).toBe(value(p.eventBusIngest?.archive.archiveName));
  expect(read.bufferQueueUrl).toBe(value(p.eventBusIngest?.bufferQueue.queueUrl));
  expect(read.streamName).toBe(value(p.streamIngest?.stream.streamName));
  const table = p.currentTable;
  expect(read.mergeStateMachineArn).toBe(value(table?.mergeStateMachine.stateMachineArn));
  expect(read.maintenanceStateMachineArn).toBe(value(table?.maintenanceStateMachine.stateMachineArn));
  expect(read.mergeQueueUrl).toBe(value(table?.mergeQueue.queueUrl));
  // `<database>.<table>` as Athena names them.
  expect([read.currentTableName, read.currentTableLiveView]).toEqual([`${name}_etl.${name}_current`, `${name}_etl.${name}_current_live`]);
  // Distinct per pipeline: the values above are the pipeline's own, not a shared resource.
  expect(new Set([read.rawBucketName, read.stateMachineArn, read.bufferQueueUrl, read.mergeQueueUrl, read.mergeStateMachineArn]).size).toBe(5);
  expect(selectPipeline(outputs, name === 'orders' ? 'refunds' : 'orders').mergeQueueUrl).not.toBe(read.mergeQueueUrl);
  // Each DLQ of the pipeline, of the kind the commands expect of it.
  const kindOf = (id: string) =>
    id === 'BufferDlq' ? 'buffer' : id === 'DeliveryDlq' ? 'delivery' : id === 'Dlq' ? 'workflow' : id === 'MergeDlq' ? 'merge' : /^KinesisDlq\d+$/.test(id) ? 'stream' : 'other';
  expect(read.dlqs.map((d) => [d.url, d.kind]).sort()).toEqual(p.deadLetterQueues.map((d) => [value(d.queue.queueUrl), kindOf(d.node.id)]).sort());
  expect(read.dlqs.map((d) => d.kind).sort()).toEqual(name === 'orders' ? ['buffer', 'delivery', 'merge', 'stream', 'workflow'] : ['buffer', 'delivery', 'merge', 'workflow']);
});

test('each known output name is emitted by one of the synthesized pipelines (no stale names in the CLI)', () => {
  const emitted = new Set(pipelinesOf(outputs).pipelines.flatMap((p) => Object.keys(p.keys)));
  const unused = Object.keys(PIPELINE_OUTPUT).filter((f) => !emitted.has(f));
  // The schema registry is the one optional output left out of this small stack.
  expect(unused).toEqual(['schemaRegistryName']);
});

test('pause --pipeline refunds on the synthesized outputs sets the refunds pipeline’s flag', async () => {
  const ssm = fakeClient(() => ({ Parameter: { Value: 'false' } }));
  const lambda = fakeClient((name) => ({ State: name === 'UpdateEventSourceMappingCommand' ? 'Disabling' : 'Enabled' }));
  const io = captureIo();
  const file = writeOutputsFile({ Shop: outputs });
  expect(await main(['pause', '--outputs', file, '--pipeline', 'refunds', '--yes'], { io, clients: clientsOf({ ssm, lambda }) })).toBe(0);
  // The refunds pipeline's own mapping (its bus; it has no stream), read from its HeldSourceMappings output.
  const held = refunds.batchWorkflow!.heldSources;
  expect(held).toEqual([refunds.transform.eventSourceMappings[0]]);
  expect(selectPipeline(outputs, 'refunds').heldSourceMappings).toBe(value(Fn.join(',', held.map((m) => m.eventSourceMappingId))));
  expect(lambda.calls.filter((c) => c.name === 'UpdateEventSourceMappingCommand').every((c) => c.input.Enabled === false)).toBe(true);
  const name = value(refunds.batchWorkflow?.pausedParameter.parameterName);
  expect(name).toMatch(/OrdersRefunds/);
  expect(name).not.toBe(value(orders.batchWorkflow?.pausedParameter.parameterName));
  expect(ssm.calls.map((c) => [c.name, c.input.Name])).toEqual([
    ['GetParameterCommand', name],
    ['PutParameterCommand', name],
  ]);
  const withoutPipeline = captureIo();
  expect(await main(['pause', '--outputs', file, '--yes'], { io: withoutPipeline, clients: clientsOf({ ssm, lambda }) })).toBe(2);
  expect(withoutPipeline.errors.join('\n')).toMatch(/2 pipelines: orders \(outputs Orders…\), refunds \(outputs OrdersRefunds…\); choose one with --pipeline/);
});

test('merge --pipeline refunds on the synthesized outputs starts the refunds pipeline’s merge state machine', async () => {
  const sfn = fakeClient((name) => (name === 'ListExecutionsCommand' ? { executions: [] } : { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:cli-merge-1' }));
  const io = captureIo();
  const file = writeOutputsFile({ Shop: outputs });
  expect(await main(['merge', '--outputs', file, '--pipeline', 'refunds', '--yes'], { io, clients: clientsOf({ sfn }) })).toBe(0);
  const arn = value(refunds.currentTable?.mergeStateMachine.stateMachineArn);
  expect(arn).not.toBe(value(orders.currentTable?.mergeStateMachine.stateMachineArn));
  expect(sfn.calls.map((c) => [c.name, c.input.stateMachineArn])).toEqual([
    ['ListExecutionsCommand', arn],
    ['StartExecutionCommand', arn],
  ]);
  expect(io.lines).toContain(`current table refunds_etl.refunds_current; merge state machine ${arn}`);
});
