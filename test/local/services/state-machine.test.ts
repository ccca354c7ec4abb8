import type { PutEventsEntry, PutEventsResult } from '../../../local/services/event-bus';
import { LocalParameterStore } from '../../../local/services/parameter-store';
import {
  classifyResource,
  CompiledStateMachine,
  DISTRIBUTED_MAP_RESOURCE,
  extractDistributedMaps,
  LOCAL_MAP_CONCURRENCY_CAP,
  referencedFunctions,
  UnsupportedDefinitionError,
  type ExecutionIdentity,
  type HostedFunction,
  type Json,
  type SendMessageInput,
  type TaskCall,
  type TaskServices,
} from '../../../local/services/state-machine';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const QUEUE = 'http://sqs.us-east-1.localhost:4566/000000000000/dlq';
const identity: ExecutionIdentity = {
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:wf:run-1',
  name: 'run-1',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:wf',
  stateMachineName: 'wf',
};

/** Task services with functions given as plain async functions (by name), and recorded sends and events. */
function services(functions: Record<string, (event: Json) => unknown>) {
  const parameters = new LocalParameterStore('000000000000', 'us-east-1');
  parameters.seed('/etl/paused', 'String', 'false');
  const sent: SendMessageInput[] = [];
  const events: PutEventsEntry[] = [];
  const invoked: Array<{ name: string; event: Json }> = [];
  const s: TaskServices = {
    findFunction(nameOrArn): HostedFunction | undefined {
      // a name, `name:qualifier`, an ARN or a qualified ARN
      const name = nameOrArn.replace(`${ARN}:`, '').split(':')[0];
      const fn = functions[name];
      return fn && { path: `Fns/${name}`, invoke: async (event) => (invoked.push({ name, event: event as Json }), fn(event as Json)) };
    },
    parameters,
    sendMessage: async (input) => (sent.push(input), { MessageId: `m-${sent.length}` }),
    putEvents: async (entries): Promise<PutEventsResult> => {
      events.push(...entries);
      return { entries: entries.map((_, i) => ({ EventId: `e-${i}` })), failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: entries.length };
    },
  };
  return { services: s, parameters, sent, events, invoked };
}

/** A named error, as a function throws it. */
function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

async function run(definition: Json, s: TaskServices, input: unknown = {}, options = {}) {
  const machine = await CompiledStateMachine.compile(definition, s, { retryIntervalScale: 0, ...options });
  const calls: TaskCall[] = [];
  const outcome = await machine.run(input, identity, (c) => calls.push(c)).result;
  return { outcome, calls };
}

describe('CompiledStateMachine: tasks dispatched by Resource, whatever the state names', () => {
  test('Lambda ARN (payload only), lambda:invoke (wrapped Payload), SSM, SQS and EventBridge tasks', async () => {
    const h = services({
      check: (e) => ({ lines: 3, key: e.key }),
      transform: (e) => ({ summary: { recordsIn: (e.s3Object as Json).lineCount } }),
    });
    const definition = {
      StartAt: 'Whatever',
      States: {
        Whatever: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter', Parameters: { Name: '/etl/paused' }, ResultSelector: { 'value.$': '$.Parameter.Value' }, ResultPath: '$.paused', Next: 'A' },
        A: { Type: 'Task', Resource: `${ARN}:check`, Parameters: { 'key.$': '$.key' }, ResultPath: '$.object', Next: 'B' },
        B: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: `${ARN}:transform:live`, Payload: { s3Object: { 'lineCount.$': '$.object.lines' } } },
          ResultSelector: { 'summary.$': '$.Payload.summary', 'status.$': '$.StatusCode' },
          ResultPath: '$.batch',
          Next: 'C',
        },
        C: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter', Parameters: { Name: '/etl/paused', Value: 'true', Type: 'String', Overwrite: true }, ResultPath: null, Next: 'D' },
        D: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: QUEUE, MessageBody: { 'key.$': '$.key', 'id.$': '$$.Execution.Id' } }, ResultPath: '$.sent', Next: 'E' },
        E: {
          Type: 'Task',
          Resource: 'arn:aws:states:::events:putEvents',
          Parameters: { Entries: [{ Source: 'etl', DetailType: 'BatchCompleted', EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/default', Detail: { 'counts.$': '$.batch.summary' } }] },
          ResultPath: '$.events',
          End: true,
        },
      },
    };
    const { outcome, calls } = await run(definition, h.services, { key: 'batch/a.jsonl' });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({
      key: 'batch/a.jsonl',
      paused: { value: 'false' },
      object: { lines: 3, key: 'batch/a.jsonl' },
      batch: { summary: { recordsIn: 3 }, status: 200 },
      sent: expect.objectContaining({ MessageId: 'm-1' }),
      events: { Entries: [{ EventId: 'e-0' }], FailedEntryCount: 0 },
    });
    expect(h.invoked).toEqual([
      { name: 'check', event: { key: 'batch/a.jsonl' } },
      { name: 'transform', event: { s3Object: { lineCount: 3 } } },
    ]);
    expect(h.parameters.valueOf('/etl/paused')).toBe('true');
    expect(h.parameters.changed().map((p) => p.name)).toEqual(['/etl/paused']);
    expect(h.sent).toEqual([{ QueueUrl: QUEUE, MessageBody: JSON.stringify({ key: 'batch/a.jsonl', id: identity.executionArn }) }]);
    expect(h.events).toEqual([expect.objectContaining({ Source: 'etl', DetailType: 'BatchCompleted', Detail: '{"counts":{"recordsIn":3}}' })]);
    expect(calls.map((c) => [c.state, c.kind, c.target])).toEqual([
      ['Whatever', 'ssm', undefined],
      ['A', 'lambda', 'Fns/check'],
      ['B', 'lambda:invoke', 'Fns/transform'],
      ['C', 'ssm', undefined],
      ['D', 'sqs:sendMessage', undefined],
      ['E', 'events:putEvents', undefined],
    ]);
    expect(outcome.statesVisited).toBe(6);
  });

  test("a function's error fails the task with the error's name: Catch and Retry match it", async () => {
    let attempts = 0;
    const h = services({
      check: () => {
        throw named('ObjectTooLarge', 's3://raw/a is 9 bytes; the limit is 1');
      },
      flaky: () => {
        if (++attempts < 3) throw named('Lambda.TooManyRequestsException', 'Rate exceeded');
        return { ok: true };
      },
    });
    const definition = {
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: `${ARN}:flaky`,
          Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 3 }],
          ResultPath: '$.flaky',
          Next: 'Check',
        },
        Check: {
          Type: 'Task',
          Resource: `${ARN}:check`,
          Catch: [
            { ErrorEquals: ['NotJsonLines', 'ObjectTooLarge'], ResultPath: '$.failure', Next: 'Rejected' },
            { ErrorEquals: ['States.ALL'], Next: 'Other' },
          ],
          End: true,
        },
        Rejected: { Type: 'Fail', Error: 'BatchFailed', CausePath: '$.failure.Cause' },
        Other: { Type: 'Succeed' },
      },
    };
    const { outcome, calls } = await run(definition, h.services);
    expect(attempts).toBe(3);
    expect(outcome).toEqual(expect.objectContaining({ status: 'FAILED', error: 'BatchFailed' }));
    // The cause is Lambda's error JSON, as Step Functions passes it on.
    expect(JSON.parse(outcome.cause as string)).toEqual({ errorType: 'ObjectTooLarge', errorMessage: 's3://raw/a is 9 bytes; the limit is 1', trace: [] });
    expect(calls.map((c) => c.error?.name ?? 'ok')).toEqual(['Lambda.TooManyRequestsException', 'Lambda.TooManyRequestsException', 'ok', 'ObjectTooLarge']);
  });

  test('SSM errors are Ssm.<Name>Exception; an uncaught error fails the execution with it', async () => {
    const h = services({});
    const { outcome } = await run(
      {
        StartAt: 'Get',
        States: {
          Get: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter',
            Parameters: { Name: '/nope' },
            Catch: [{ ErrorEquals: ['Ssm.ParameterNotFoundException'], ResultPath: '$.missing', Next: 'Put' }],
            End: true,
          },
          Put: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter', Parameters: { Name: '/etl/paused', Value: 'x' }, End: true },
        },
      },
      h.services,
    );
    expect(outcome).toEqual(expect.objectContaining({ status: 'FAILED', error: 'Ssm.ParameterAlreadyExistsException' }));
    expect(h.parameters.valueOf('/etl/paused')).toBe('false');
  });

  test('a Distributed Map item that fails fails the Map with States.ExceedToleratedFailureThreshold; its Retry runs it again', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const h = services({
      item: async (e) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        seen.push(e.n as number);
        if (e.n === 2 && seen.filter((n) => n === 2).length === 1) throw named('BatchItemFailures', 'not stored');
        return { n: e.n };
      },
    });
    const definition = {
      StartAt: 'Ranges',
      States: {
        Ranges: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'n.$': '$$.Map.Item.Value' },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Item', States: { Item: { Type: 'Task', Resource: `${ARN}:item`, End: true } } },
          MaxConcurrency: 10,
          Label: 'Ranges',
          Retry: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], IntervalSeconds: 10, MaxAttempts: 1 }],
          ResultPath: '$.results',
          End: true,
        },
      },
    };
    const { outcome } = await run(definition, h.services, { items: [1, 2, 3] }, { distributedMapConcurrency: 1 });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({ items: [1, 2, 3], results: [{ n: 1 }, { n: 2 }, { n: 3 }] });
    expect(most).toBe(1); // one item at a time
    expect(seen).toEqual([1, 2, 1, 2, 3]); // the retry runs the whole Map again
    expect(outcome.mapIterations).toBe(5);
    // the Map (entered once, retried within) and the item states
    expect(outcome.statesVisited).toBe(1 + 5);

    // Without a Retry, the Map's Catch sees the threshold error.
    const noRetry = { ...definition, States: { Ranges: { ...definition.States.Ranges, Retry: undefined, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }] }, Caught: { Type: 'Pass', End: true } } };
    seen.length = 0;
    const caught = await run(JSON.parse(JSON.stringify(noRetry)) as Json, h.services, { items: [1, 2, 3] });
    expect(caught.outcome.status).toBe('SUCCEEDED');
    expect((caught.outcome.output as Json).failure).toEqual({ Error: 'States.ExceedToleratedFailureThreshold', Cause: expect.stringMatching(/BatchItemFailures: /) });
  });

  test('Distributed Map items run at once up to MaxConcurrency (no more), or up to the local cap without it; the outcome says how many ran at once', async () => {
    /** A Map over `count` items whose item function holds each invocation until `expected` are in flight. */
    async function runMap(count: number, maxConcurrency: number | undefined, expected: number) {
      let running = 0;
      let most = 0;
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const h = services({
        item: async (e) => {
          running++;
          most = Math.max(most, running);
          if (running === expected) open();
          await opened;
          running--;
          return { n: e.n };
        },
      });
      const definition = {
        StartAt: 'Ranges',
        States: {
          Ranges: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemSelector: { 'n.$': '$$.Map.Item.Value' },
            ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Item', States: { Item: { Type: 'Task', Resource: `${ARN}:item`, End: true } } },
            ...(maxConcurrency === undefined ? {} : { MaxConcurrency: maxConcurrency }),
            End: true,
          },
        },
      };
      const items = Array.from({ length: count }, (_, i) => i);
      const { outcome } = await run(definition, h.services, { items });
      return { outcome, most };
    }

    const limited = await runMap(9, 3, 3);
    expect(limited.outcome.status).toBe('SUCCEEDED');
    expect(limited.outcome.output).toEqual(Array.from({ length: 9 }, (_, n) => ({ n })));
    expect(limited.most).toBe(3);
    expect(limited.outcome.maps).toEqual([{ state: 'Ranges', maxConcurrency: 3, concurrency: 3, items: 9, peak: 3 }]);

    const unset = await runMap(LOCAL_MAP_CONCURRENCY_CAP + 5, undefined, LOCAL_MAP_CONCURRENCY_CAP);
    expect(unset.most).toBe(LOCAL_MAP_CONCURRENCY_CAP);
    expect(unset.outcome.maps).toEqual([{ state: 'Ranges', maxConcurrency: 0, concurrency: LOCAL_MAP_CONCURRENCY_CAP, items: LOCAL_MAP_CONCURRENCY_CAP + 5, peak: LOCAL_MAP_CONCURRENCY_CAP }]);
  });

  test('an item failing while others run at once stops the Map with States.ExceedToleratedFailureThreshold', async () => {
    let running = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const h = services({
      item: async (e) => {
        running++;
        if (running === 4) open();
        await opened;
        running--;
        if (e.n === 2) throw named('BatchItemFailures', 'not stored');
        return { n: e.n };
      },
    });
    const definition = {
      StartAt: 'Ranges',
      States: {
        Ranges: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'n.$': '$$.Map.Item.Value' },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Item', States: { Item: { Type: 'Task', Resource: `${ARN}:item`, End: true } } },
          MaxConcurrency: 4,
          End: true,
        },
      },
    };
    const { outcome } = await run(definition, h.services, { items: Array.from({ length: 20 }, (_, i) => i) });
    expect(outcome).toEqual(expect.objectContaining({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' }));
    expect(outcome.cause).toMatch(/BatchItemFailures.*not stored/);
    expect(outcome.maps[0]).toEqual(expect.objectContaining({ maxConcurrency: 4, peak: 4 }));
  });

  test("the execution's TimeoutSeconds is honoured (TIMED_OUT), its running task still settles", async () => {
    let finishedAt: number | undefined;
    const h = services({
      slow: async () => {
        await new Promise((r) => setTimeout(r, 1100));
        finishedAt = Date.now();
        return {};
      },
    });
    const { outcome } = await run({ StartAt: 'Slow', TimeoutSeconds: 1, States: { Slow: { Type: 'Task', Resource: `${ARN}:slow`, End: true } } }, h.services);
    expect(outcome).toEqual(expect.objectContaining({ status: 'TIMED_OUT', error: 'States.Timeout' }));
    // The execution stopped at its timeout, before the task ended (an order, not a duration: no
    // threshold a loaded machine could miss).
    expect(finishedAt).toBeDefined();
    expect(outcome.stopDate.getTime()).toBeLessThanOrEqual(finishedAt as number);
  });
});

describe('what does not run locally', () => {
  test('unknown resources, integration patterns and functions are named, state by state', async () => {
    const h = services({ known: () => ({}) });
    const definition = {
      StartAt: 'Put',
      States: {
        Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 't' }, Next: 'Wait' },
        Wait: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl: QUEUE, MessageBody: 'x' }, Next: 'Call' },
        Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: `${ARN}:unknown`, Payload: {} }, Next: 'Ok' },
        Ok: { Type: 'Task', Resource: `${ARN}:known`, End: true },
      },
    };
    const error = await CompiledStateMachine.compile(definition, h.services).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedDefinitionError);
    expect((error as UnsupportedDefinitionError).problems).toEqual([
      expect.stringMatching(/^state "Put": resource "arn:aws:states:::dynamodb:putItem": this service integration is not emulated \(the local run emulates Lambda/),
      expect.stringMatching(/^state "Wait": .*the \.waitForTaskToken integration pattern is not emulated/),
      `state "Call": function "${ARN}:unknown" is not a function of the app that runs locally`,
    ]);
  });

  test('classifyResource and referencedFunctions', () => {
    expect(classifyResource(`${ARN}:f:live`)).toEqual({ kind: 'lambda', functionArn: `${ARN}:f:live` });
    expect(classifyResource('arn:aws-cn:states:::aws-sdk:ssm:getParameters')).toEqual({ kind: 'ssm', action: 'getParameters' });
    expect(classifyResource('arn:aws:states:::aws-sdk:ssm:labelParameterVersion')).toMatch(/not emulated/);
    expect(classifyResource('arn:aws:sns:us-east-1:1:topic')).toMatch(/not a Lambda function/);
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: `${ARN}:a`, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'B',
            States: { B: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'b:live', 'Payload.$': '$' }, End: true } },
          },
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          ResultPath: '$.m',
          End: true,
        },
      },
    };
    expect(referencedFunctions(definition)).toEqual([`${ARN}:a`, 'b:live']);
    const { definition: local, maps } = extractDistributedMaps(definition, 1);
    expect((local.States as Json).M).toEqual({ Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: expect.any(Number), Retry: [{ ErrorEquals: ['States.ALL'] }], ResultPath: '$.m', End: true });
    expect(maps.get('M')).toEqual({
      selector: { StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'M:select', States: { 'M:select': { Type: 'Pass', End: true } } }, End: true } } },
      processor: expect.objectContaining({ StartAt: 'B' }),
      concurrency: 1,
      maxConcurrency: 0,
    });
    // Without the override: MaxConcurrency, at most the local cap (0 or unset: the cap).
    const limited = (max?: number) => extractDistributedMaps({ ...definition, States: { ...definition.States, M: { ...definition.States.M, MaxConcurrency: max } } }).maps.get('M');
    expect(limited(5)).toEqual(expect.objectContaining({ concurrency: 5, maxConcurrency: 5 }));
    expect(limited(undefined)).toEqual(expect.objectContaining({ concurrency: LOCAL_MAP_CONCURRENCY_CAP, maxConcurrency: 0 }));
    expect(limited(1000)).toEqual(expect.objectContaining({ concurrency: LOCAL_MAP_CONCURRENCY_CAP, maxConcurrency: 1000 }));
  });
});
