import { applyInputTransformer, DEFAULT_BUS, LocalEventBridge, type EventBridgeEnvelope } from '../../../local/services/event-bus';
import { LocalParameterStore } from '../../../local/services/parameter-store';
import { CompiledStateMachine, type Json, type TaskServices } from '../../../local/services/state-machine';
import { LocalStepFunctions, StepFunctionsError } from '../../../local/services/step-functions';

const event: EventBridgeEnvelope = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '000000000000',
  time: '2026-11-24T09:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { bucket: { name: 'raw' }, object: { key: 'batch/a "b".jsonl', size: 42 } },
};

describe('applyInputTransformer', () => {
  test('values go in as JSON outside strings and as escaped text inside them; a missing path is null', () => {
    const paths = { b: '$.detail.bucket.name', k: '$.detail.object.key', s: '$.detail.object.size', o: '$.detail.object', x: '$.detail.nope' };
    expect(JSON.parse(applyInputTransformer(event, { inputPathsMap: paths, inputTemplate: '{"bucket":<b>,"key":<k>,"size":<s>,"object":<o>,"missing":<x>}' }))).toEqual({
      bucket: 'raw',
      key: 'batch/a "b".jsonl',
      size: 42,
      object: { key: 'batch/a "b".jsonl', size: 42 },
      missing: null,
    });
    expect(JSON.parse(applyInputTransformer(event, { inputPathsMap: paths, inputTemplate: '{"text":"s3://<b>/<k> (<s> bytes) <nope>"}' }, 'r'))).toEqual({
      text: 's3://raw/batch/a "b".jsonl (42 bytes) <nope>',
    });
    expect(applyInputTransformer(event, { inputPathsMap: {}, inputTemplate: '"<aws.events.rule-name> at <aws.events.event.ingestion-time>"' }, 'rule-1')).toBe(
      '"rule-1 at 2026-11-24T09:00:00Z"',
    );
  });
});

/** Services for definitions that only use Pass, Wait and Fail states (and one slow function). */
function services(): TaskServices {
  return {
    findFunction: (name) => (name.endsWith(':slow') ? { path: 'Slow', invoke: () => new Promise((r) => setTimeout(() => r({}), 1100)) } : undefined),
    parameters: new LocalParameterStore('000000000000', 'us-east-1'),
    sendMessage: async () => ({ MessageId: 'm' }),
    putEvents: async () => ({ entries: [], failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: 0 }),
  };
}

describe('LocalStepFunctions', () => {
  test('StartExecution: unknown machine, bad input, duplicate name; a machine that cannot run fails its executions', async () => {
    const sfn = new LocalStepFunctions({ account: '000000000000', region: 'us-east-1' });
    const arn = sfn.stateMachineArn('broken');
    sfn.register({ arn, name: 'broken', path: 'Wf/Broken', problem: 'state "Put": resource "arn:aws:states:::dynamodb:putItem" is not emulated' });
    expect(() => sfn.startExecution(sfn.stateMachineArn('nope'), '{}')).toThrow(expect.objectContaining({ name: 'StateMachineDoesNotExist' }));
    expect(() => sfn.startExecution(arn, 'not json')).toThrow(StepFunctionsError);
    sfn.startExecution(arn, '{}', 'run-1');
    expect(() => sfn.startExecution(arn, '{}', 'run-1')).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    await sfn.settled();
    expect(sfn.executions()[0]).toEqual(
      expect.objectContaining({ status: 'FAILED', outcome: expect.objectContaining({ error: 'Local.NotEmulated', cause: expect.stringMatching(/dynamodb:putItem/) }) }),
    );
  });

  test('a rule starts an execution (input transformer), a TIMED_OUT status change reaches a rule on the default bus, settled() waits for both', async () => {
    const bus = new LocalEventBridge('000000000000', 'us-east-1');
    const sfn = new LocalStepFunctions({ account: '000000000000', region: 'us-east-1', eventBridge: bus });
    const arn = sfn.stateMachineArn('wf');
    const definition: Json = {
      StartAt: 'Slow',
      TimeoutSeconds: 1,
      States: { Slow: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:slow', End: true } },
    };
    sfn.register({ arn, name: 'wf', path: 'Wf', machine: await CompiledStateMachine.compile(definition, services()) });
    bus.putRule({
      name: 'start',
      eventBusName: DEFAULT_BUS,
      eventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] },
      targets: [
        {
          id: 'sfn',
          inputTransformer: { inputPathsMap: { b: '$.detail.bucket.name', k: '$.detail.object.key' }, inputTemplate: '{"bucket":<b>,"key":<k>}' },
          deliver: async (payload) => void sfn.startExecution(arn, payload),
        },
      ],
    });
    const abandoned: string[] = [];
    bus.putRule({
      name: 'abandoned',
      eventBusName: DEFAULT_BUS,
      eventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { stateMachineArn: [arn], status: ['TIMED_OUT', 'ABORTED'] } },
      targets: [
        {
          id: 'dlq',
          inputTransformer: { inputPathsMap: { s: '$.detail.status', i: '$.detail.input' }, inputTemplate: '{"error":<s>,"input":<i>}' },
          deliver: async (payload) => void abandoned.push(payload),
        },
      ],
    });
    await bus.putEvents([{ EventBusName: DEFAULT_BUS, Source: 'aws.s3', DetailType: 'Object Created', Detail: JSON.stringify(event.detail) }]);
    expect(sfn.executions()).toHaveLength(1);
    await sfn.settled();
    const [execution] = sfn.executions();
    expect(execution.input).toBe(JSON.stringify({ bucket: 'raw', key: 'batch/a "b".jsonl' }));
    expect(execution.status).toBe('TIMED_OUT');
    expect(abandoned.map((p) => JSON.parse(p) as unknown)).toEqual([{ error: 'TIMED_OUT', input: execution.input }]);
  });
});

describe('LocalParameterStore', () => {
  test('names or ARNs; versions; the service error names', () => {
    const store = new LocalParameterStore('000000000000', 'us-east-1');
    store.seed('/a/b', 'String', 'x');
    expect(store.getParameter({ Name: 'arn:aws:ssm:us-east-1:000000000000:parameter/a/b' }).Parameter).toEqual(
      expect.objectContaining({ Name: '/a/b', Value: 'x', Version: 1, ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/a/b' }),
    );
    expect(store.putParameter({ Name: '/a/b', Value: 'y', Overwrite: true })).toEqual({ Version: 2, Tier: 'Standard' });
    expect(() => store.putParameter({ Name: '/a/b', Value: 'z' })).toThrow(expect.objectContaining({ name: 'ParameterAlreadyExists' }));
    expect(() => store.getParameter({ Name: '/c' })).toThrow(expect.objectContaining({ name: 'ParameterNotFound' }));
    expect(store.getParameters({ Names: ['/a/b', '/c'] })).toEqual({ Parameters: [expect.objectContaining({ Value: 'y' })], InvalidParameters: ['/c'] });
    expect(store.deleteParameter({ Name: '/a/b' })).toEqual({});
    expect(store.calls).toEqual({ GetParameter: 2, PutParameter: 2, GetParameters: 1, DeleteParameter: 1 });
  });
});
