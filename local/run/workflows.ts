/**
 * The app's state machines in a local run: definitions resolved against the emulated resources
 * (names, URLs, ARNs), the functions they invoke, compiled and registered on the local Step
 * Functions with task services wired to the function hosts, the Parameter Store stand-in, the
 * SQS emulator and the local EventBridge. Also finds the batch route: the bucket whose
 * `Object Created` events a rule sends to a state machine, and a key that rule matches.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { busNameOf, DEFAULT_BUS, matchesEventPattern, type EventPattern, type LocalEventBridge } from '../services/event-bus';
import type { LocalEventSourceMappings } from '../services/event-source-mappings';
import type { LocalParameterStore } from '../services/parameter-store';
import type { ProvisionedStack } from './provision';
import { objectCreatedEvent } from '../services/s3-notifications';
import { CompiledStateMachine, referencedFunctions, type AthenaTaskService, type CompileOptions, type HostedFunction, type Json, type TaskServices } from '../services/state-machine';
import type { LocalStepFunctions } from '../services/step-functions';
import type { LocalBucket, LocalFunction, LocalRule, LocalStateMachine } from '../template/template-resources';
import type { StartedFunction } from './wiring';

/** A state machine of a stack with its resolved definition, or why it has none. */
export interface PreparedStateMachine {
  readonly stack: ProvisionedStack;
  readonly resource: LocalStateMachine;
  readonly definition?: Json;
  readonly problem?: string;
  /** The functions its tasks name, found in the stack. */
  readonly functions: LocalFunction[];
}

/**
 * The definition of a state machine with every reference resolved (`DefinitionString` with its
 * intrinsics, or `Definition`, then `DefinitionSubstitutions`). Throws when it cannot be.
 */
export function resolveDefinition(resource: LocalStateMachine, stack: Pick<ProvisionedStack, 'refs'>): Json {
  if (resource.definitionInS3) throw new Error('its definition is in S3 (DefinitionS3Location), which the local run does not read');
  const { refs } = stack;
  let text =
    resource.definitionString !== undefined
      ? refs.resolveString(resource.definitionString)
      : resource.definition !== undefined
        ? JSON.stringify(refs.resolve(resource.definition))
        : undefined;
  if (text === undefined) throw new Error('it has no Definition or DefinitionString');
  for (const [name, value] of Object.entries(resource.definitionSubstitutions ?? {})) text = text.split(`\${${name}}`).join(refs.resolveString(value));
  return JSON.parse(text) as Json;
}

/** Resolves every state machine of `stacks` and finds the functions they invoke. */
export function prepareStateMachines(stacks: readonly ProvisionedStack[]): PreparedStateMachine[] {
  return stacks.flatMap((stack) =>
    stack.resources.stateMachines.map((resource) => {
      try {
        const definition = resolveDefinition(resource, stack);
        const functions = referencedFunctions(definition).flatMap((name) => {
          const target = stack.refs.target(name);
          const fn = target?.kind === 'function' ? stack.resources.functions.find((f) => f.logicalId === target.logicalId) : undefined;
          return fn ? [fn] : [];
        });
        return { stack, resource, definition, functions: [...new Set(functions)] };
      } catch (error) {
        return { stack, resource, problem: (error as Error).message, functions: [] };
      }
    }),
  );
}

/** Task services backed by the local run's functions, parameters, queues and buses. */
export function taskServices(options: {
  readonly functions: readonly StartedFunction[];
  readonly parameters: LocalParameterStore;
  readonly sqs: SQSClient;
  readonly eventBridge: LocalEventBridge;
  /** The Athena stand-in, when the app has Glue tables. */
  readonly athena?: AthenaTaskService;
  /** The run's event source mappings, for `aws-sdk:lambda:*EventSourceMapping` tasks. */
  readonly eventSourceMappings?: LocalEventSourceMappings;
}): TaskServices {
  const found = new Map<string, HostedFunction | undefined>();
  return {
    findFunction(nameOrArn) {
      if (!found.has(nameOrArn)) {
        const started = options.functions.find((f) => {
          const target = f.stack.refs.target(nameOrArn);
          return target?.kind === 'function' && target.logicalId === f.fn.logicalId;
        });
        found.set(nameOrArn, started && { path: started.fn.path, invoke: (payload) => started.host.invoke(payload) });
      }
      return found.get(nameOrArn);
    },
    parameters: options.parameters,
    async sendMessage(input) {
      const out = await options.sqs.send(new SendMessageCommand(input));
      return { MessageId: out.MessageId, MD5OfMessageBody: out.MD5OfMessageBody };
    },
    putEvents: (entries, caller) => options.eventBridge.putEvents(entries, caller),
    ...(options.athena ? { athena: options.athena } : {}),
    eventSourceMappings: options.eventSourceMappings,
  };
}

/**
 * Compiles each prepared state machine and registers it (a machine that cannot run is registered
 * with its problem: its executions fail with it), its task services passed through `guard` (the
 * machine's IAM role). Returns one note per machine that cannot run.
 */
export async function registerStateMachines(
  prepared: readonly PreparedStateMachine[],
  services: TaskServices,
  stepFunctions: LocalStepFunctions,
  options: CompileOptions,
  guard?: (machine: PreparedStateMachine, services: TaskServices) => TaskServices,
): Promise<string[]> {
  const notes: string[] = [];
  for (const p of prepared) {
    const arn = p.stack.refs.arnOf(p.resource.logicalId);
    let machine: CompiledStateMachine | undefined;
    let problem = p.problem;
    if (p.definition) {
      // Events the machine puts carry its stack's account and region.
      const caller = { account: p.stack.refs.account, region: p.stack.refs.region };
      const scoped: TaskServices = { ...services, putEvents: (entries) => services.putEvents(entries, caller) };
      // The machine's tasks run as its role (IAM), when a guard is given.
      const own = guard ? guard(p, scoped) : scoped;
      try {
        machine = await CompiledStateMachine.compile(p.definition, own, options);
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    if (problem) notes.push(`${p.resource.path}: not run locally: ${problem}`);
    stepFunctions.register({ arn, name: p.resource.name, path: p.resource.path, machine, problem });
  }
  return notes;
}

/** Where a batch object goes: a bucket, a key a rule matches, and the rule's state machine. */
export interface BatchRoute {
  readonly stack: ProvisionedStack;
  readonly bucket: LocalBucket;
  readonly key: string;
  readonly rule: LocalRule;
  readonly stateMachine: LocalStateMachine;
}

/**
 * The first bucket (sending S3 events to EventBridge) and key for which a rule on the default bus
 * starts a state machine with the object's `Object Created` event. The key is made to match the
 * rule's `detail.object.key` filter (prefix, suffix, wildcard) and checked against the whole pattern.
 */
export function findBatchRoute(
  stacks: readonly ProvisionedStack[],
  stamp = new Date(),
  accept: (stack: ProvisionedStack, stateMachine: LocalStateMachine) => boolean = () => true,
): BatchRoute | undefined {
  const name = `local-run/${stamp.toISOString().replace(/[:.]/g, '-')}`;
  for (const stack of stacks) {
    for (const rule of stack.resources.rules) {
      if (!rule.enabled || !rule.eventPattern) continue;
      if (rule.eventBusName !== undefined && busNameOf(stack.refs.resolveString(rule.eventBusName)) !== DEFAULT_BUS) continue;
      const target = rule.targets.map((t) => stack.refs.target(t.arn)).find((t) => t?.kind === 'stateMachine');
      const stateMachine = target && stack.resources.stateMachines.find((m) => m.logicalId === target.logicalId);
      if (!stateMachine || !accept(stack, stateMachine)) continue;
      const pattern = stack.refs.resolve(rule.eventPattern) as EventPattern;
      // S3 sends to the default bus of the bucket's own account and region: the rule's stack's.
      const { account, region } = stack.refs;
      const sameEnvironment = stacks.filter((s) => s.refs.account === account && s.refs.region === region);
      for (const bucket of sameEnvironment.flatMap((s) => s.resources.buckets).filter((b) => b.eventBridgeEnabled)) {
        for (const key of keyCandidates(pattern, name)) {
          if (matchesEventPattern(objectCreatedEvent({ bucket: bucket.name, key, size: 1 }, account, region), pattern)) {
            return { stack, bucket, key, rule, stateMachine };
          }
        }
      }
    }
  }
  return undefined;
}

/** Keys that satisfy the pattern's `detail.object.key` matchers (then a plain one). */
function keyCandidates(pattern: EventPattern, name: string): string[] {
  const object = ((pattern.detail as Json | undefined)?.object ?? {}) as Json;
  const matchers = Array.isArray(object.key) ? (object.key as unknown[]) : [];
  const keys: string[] = [];
  for (const m of matchers) {
    if (typeof m === 'string') keys.push(m);
    else if (m && typeof m === 'object') {
      const { prefix, suffix, wildcard } = m as { prefix?: unknown; suffix?: unknown; wildcard?: unknown };
      if (typeof prefix === 'string') keys.push(`${prefix}${name}.jsonl`);
      if (typeof suffix === 'string') keys.push(`${name}${suffix}`);
      if (typeof wildcard === 'string') {
        const parts = wildcard.split(/(?<!\\)\*/).map((p) => p.replace(/\\([*\\])/g, '$1'));
        keys.push(parts.length === 1 ? parts[0] : `${parts[0]}${name}${parts.slice(1).join('')}`);
      }
    }
  }
  keys.push(`${name}.jsonl`);
  return keys;
}
