import '../../../local/services/promise-with-resolvers';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { testStack } from '../../support/cdk';
import { definitionOf, statesByName } from '../../support/state-machines';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The ARN the fragments' steps function has in these tests. */
export const STEPS_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:steps';

/** A fragment rendered alone in a state machine of its own. */
export interface RenderedFragment {
  /** The state machine's ASL, references resolved as the local runner resolves them. */
  readonly definition: Json;
  /** Its states, nested ones included, by name. */
  readonly states: Record<string, Json>;
  readonly template: Template;
}

/**
 * Renders what `build` returns as the definition of a state machine (`Machine`) in a fresh test
 * stack. `build` gets the stack and stand-ins for the neighbours a fragment hands runs to:
 * `Continue` (a Pass recording `$.reached = 'Continue'`, then success) and fails named after their role.
 */
export function renderFragment(build: (stack: Stack, stubs: Stubs) => sfn.IChainable): RenderedFragment {
  const stack = testStack();
  const chainable = build(stack, stubs(stack));
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(chainable) });
  const template = Template.fromStack(stack);
  const definition = definitionOf(stack);
  return { definition, states: statesByName(definition), template };
}

/** Stand-ins for the states around a fragment. */
export interface Stubs {
  /** `Continue`, a Pass recording `$.reached = 'Continue'`, then success: the state after the fragment. */
  readonly next: sfn.IChainable;
  /** A Fail with error `OnError` and the cause at `$.failure.Cause`: the failure path. */
  readonly onError: sfn.IChainable;
  /** A Fail with error `Elsewhere`: a second exit of the fragment (paused, rejected, drifted, …). */
  readonly elsewhere: sfn.IChainable;
  /** A steps function (by ARN). */
  readonly stepsFunction: lambda.IFunction;
  /** A bus. */
  readonly eventBus: events.IEventBus;
}

function stubs(stack: Stack): Stubs {
  return {
    next: new sfn.Pass(stack, 'Continue', { result: sfn.Result.fromString('Continue'), resultPath: '$.reached' }).next(new sfn.Succeed(stack, 'End')),
    onError: new sfn.Fail(stack, 'OnError', { error: 'OnError', causePath: '$.failure.Cause' }),
    elsewhere: new sfn.Fail(stack, 'Elsewhere', { error: 'Elsewhere' }),
    stepsFunction: lambda.Function.fromFunctionArn(stack, 'Steps', STEPS_ARN),
    eventBus: new events.EventBus(stack, 'Bus'),
  };
}

/** A task's local stand-in: gets the task's input, returns its result or throws. */
export type TaskHandler = (input: Json) => unknown;

/** What a local execution did. */
export interface Execution {
  /** The output, when it succeeded. */
  readonly output?: Json;
  /** The Fail state's error and cause, when it failed. */
  readonly failure?: { readonly error: string; readonly cause: string };
  /** Every task invocation: the state and its input, in order. */
  readonly calls: Array<{ readonly state: string; readonly input: Json }>;
}

const machines = new WeakMap<Json, StateMachine>();

/** The local state machine of a definition, validated (ARNs, paths) once: validation takes a second or two. */
function validated(definition: Json): StateMachine {
  const known = machines.get(definition);
  if (known) return known;
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  machines.set(definition, machine);
  return machine;
}

/**
 * Executes `definition` with aws-local-stepfunctions: each task state is answered by the handler
 * of its name, retries do not wait, the context names execution `run-1`.
 */
export async function execute(definition: Json, input: Json, handlers: Record<string, TaskHandler>): Promise<Execution> {
  const calls: Array<{ state: string; input: Json }> = [];
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([state, handler]) => [
      state,
      async (i: Json) => {
        calls.push({ state, input: i });
        return handler(i);
      },
    ]),
  );
  const retrying = Object.entries(statesByName(definition)).filter(([, s]) => s.Retry).map(([name]) => name);
  const machine = validated(definition);
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: recorded as never, retryIntervalOverrides: Object.fromEntries(retrying.map((n) => [n, 0])) },
    context: {
      Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1', Name: 'run-1' },
    } as never,
  });
  try {
    return { output: (await execution.result) as Json, calls };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    const cause = error.cause as Error;
    return { failure: { error: cause.name, cause: cause.message }, calls };
  }
}

/** An error as a task throws it (`Error` is its name, `Cause` its message). */
export function taskError(name: string, message = `${name} (test)`): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
