/**
 * A local run kept up after its report (`runPipeline`'s `whileLive`): what an operator has after a
 * deployment — the stacks' outputs, clients for the resources — so the operations CLI (redrive,
 * redrive-stream, restart) can work on the emulated pipeline, and the run can be drained again to
 * see where the redriven records went.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RunOutputs } from '../report/outputs';
import type { LocalEventBridge, PutEventsEntry } from '../services/event-bus';
import type { LocalEventSourceMappings } from '../services/event-source-mappings';
import type { LocalParameterStore } from '../services/parameter-store';
import type { ProvisionedStack } from './provision';
import type { RunReport } from '../report/run-report';
import { StepFunctionsError, type ExecutionRecord, type LocalStepFunctions } from '../services/step-functions';

/** A client answering SDK v3 commands (`send(new XCommand(input))`). */
export interface CommandClient {
  send(command: { readonly constructor: { readonly name: string }; readonly input: unknown }): Promise<unknown>;
}

/** The run, still up: see the module's description. */
export interface LiveRun {
  /** The run's report (the dead-letter queues' messages are still in them). */
  readonly report: RunReport;
  /** The stacks' outputs as `cdk deploy --outputs-file` writes them, resolved to the local resources. */
  readonly stackOutputs: Record<string, Record<string, string>>;
  /**
   * Clients for the operations CLI: the emulators' S3, SQS and Kinesis (the run's own clients,
   * never faulted), and Step Functions (StartExecution, ListExecutions, DescribeExecution), SSM (GetParameter, PutParameter), Lambda
   * (Get/UpdateEventSourceMapping) and EventBridge (PutEvents) on the in-process stand-ins.
   */
  readonly clients: {
    readonly s3: S3Client;
    readonly sqs: SQSClient;
    readonly kinesis: KinesisClient;
    readonly sfn: CommandClient;
    readonly ssm: CommandClient;
    /** The event source mappings: `pause` and `resume` disable and enable them. */
    readonly lambda: CommandClient;
    /** PutEvents on the local buses, as a producer sends. */
    readonly eventbridge: CommandClient;
  };
  /** Stops injecting faults: what runs from now on meets none. */
  stopFaults(): void;
  /**
   * Drains every event source and waits for every execution (what a redrive put back is processed),
   * then reads the outputs again; dead-letter messages are read and left in their queues.
   */
  settle(): Promise<RunOutputs>;
}

/**
 * The stacks' outputs, `{ <stack>: { <output key>: <value> } }`, each value resolved to the local
 * resource (a queue's URL, a stream's name, a state machine's ARN); an output that cannot be
 * resolved locally is left out.
 */
export function stackOutputsOf(stacks: readonly ProvisionedStack[]): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const s of stacks) {
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(s.stack.template.Outputs ?? {})) {
      try {
        outputs[key] = s.refs.resolveString(output.Value);
      } catch {
        // refers to something the local run does not emulate
      }
    }
    result[s.stack.name] = outputs;
  }
  return result;
}

/**
 * A Step Functions client on the local executions: StartExecution, ListExecutions (newest first,
 * `statusFilter`, `maxResults`; no paging) and DescribeExecution, as `status`, `restart` and
 * `merge --wait` use them.
 */
export function localSfnClient(stepFunctions: LocalStepFunctions): CommandClient {
  const summary = (e: ExecutionRecord) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachine.arn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.outcome ? { stopDate: e.outcome.stopDate } : {}),
  });
  return {
    send: async (command) => {
      const input = command.input as { stateMachineArn?: string; input?: string; name?: string; executionArn?: string; statusFilter?: string; maxResults?: number };
      switch (command.constructor.name) {
        case 'StartExecutionCommand':
          return stepFunctions.startExecution(String(input.stateMachineArn), input.input, input.name);
        case 'ListExecutionsCommand': {
          const found = stepFunctions
            .executions()
            .filter((e) => e.stateMachine.arn === input.stateMachineArn && (input.statusFilter === undefined || e.status === input.statusFilter))
            .slice()
            .reverse();
          return { executions: found.slice(0, input.maxResults || 100).map(summary) };
        }
        case 'DescribeExecutionCommand': {
          const e = stepFunctions.executions().find((r) => r.executionArn === input.executionArn);
          if (!e) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
          const o = e.outcome;
          return {
            ...summary(e),
            input: e.input,
            ...(o?.output !== undefined ? { output: JSON.stringify(o.output) } : {}),
            ...(o?.error !== undefined ? { error: o.error } : {}),
            ...(o?.cause !== undefined ? { cause: o.cause } : {}),
          };
        }
        default:
          throw Object.assign(new Error(`${command.constructor.name} is not served locally`), { name: 'UnknownOperationException' });
      }
    },
  };
}

/** An SSM client on the local Parameter Store: GetParameter, PutParameter. */
export function localSsmClient(parameters: LocalParameterStore): CommandClient {
  return {
    send: async (command) => {
      if (command.constructor.name === 'GetParameterCommand') return parameters.getParameter(command.input as { Name?: unknown });
      if (command.constructor.name === 'PutParameterCommand') return parameters.putParameter(command.input as { Name?: unknown });
      throw Object.assign(new Error(`${command.constructor.name} is not served locally`), { name: 'UnknownOperationException' });
    },
  };
}

/** A Lambda client on the run's event source mappings: GetEventSourceMapping, UpdateEventSourceMapping (`Enabled`). */
export function localLambdaClient(mappings: LocalEventSourceMappings): CommandClient {
  return {
    send: async (command) => {
      const input = command.input as { UUID?: unknown; Enabled?: unknown };
      if (command.constructor.name === 'GetEventSourceMappingCommand') return mappings.get(input.UUID);
      if (command.constructor.name === 'UpdateEventSourceMappingCommand') return mappings.update(input.UUID, input.Enabled);
      throw Object.assign(new Error(`${command.constructor.name} is not served locally`), { name: 'UnknownOperationException' });
    },
  };
}

/** An EventBridge client on the local buses: PutEvents (as a producer in the first stack's account puts them). */
export function localEventBridgeClient(eventBridge: LocalEventBridge): CommandClient {
  return {
    send: async (command) => {
      if (command.constructor.name !== 'PutEventsCommand') throw Object.assign(new Error(`${command.constructor.name} is not served locally`), { name: 'UnknownOperationException' });
      const entries = ((command.input as { Entries?: PutEventsEntry[] }).Entries ?? []).map((e) => ({ ...e, Time: e.Time ? new Date(e.Time) : undefined }));
      const out = await eventBridge.putEvents(entries);
      return { Entries: out.entries, FailedEntryCount: out.failedEntryCount };
    },
  };
}
