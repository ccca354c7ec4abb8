/**
 * A local Step Functions: the app's state machines by ARN, `StartExecution` (what an EventBridge
 * rule target calls), executions running in the background on {@link CompiledStateMachine}, and
 * the `Step Functions Execution Status Change` events the service puts on the default bus (so
 * rules on TIMED_OUT or ABORTED executions work locally too).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_BUS, type LocalEventBridge } from './event-bus';
import type { CompiledStateMachine, ExecutionOutcome, ExecutionStatus, TaskCall } from './state-machine';

/** A state machine of the app: runnable, or with the reason it is not. */
export interface RegisteredStateMachine {
  readonly arn: string;
  readonly name: string;
  /** Construct path. */
  readonly path: string;
  readonly roleArn?: string;
  /** The compiled definition; absent when it cannot run locally (`problem` says why). */
  readonly machine?: CompiledStateMachine;
  readonly problem?: string;
}

/** One execution, running or ended. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachine: RegisteredStateMachine;
  /** The input, as given to StartExecution. */
  readonly input: string;
  readonly startDate: Date;
  status: 'RUNNING' | ExecutionStatus;
  /** Set when the execution has ended. */
  outcome?: ExecutionOutcome;
}

/** An error of the Step Functions API. */
export class StepFunctionsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Options of {@link LocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  readonly account: string;
  readonly region: string;
  /** Where execution status change events go (the default bus); none are sent without it. */
  readonly eventBridge?: LocalEventBridge;
  /** Observes every task call of every execution. */
  readonly onTask?: (execution: ExecutionRecord, call: TaskCall) => void;
  /** Observes every ended execution. */
  readonly onEnded?: (execution: ExecutionRecord) => void;
}

/** State machines and their executions, in this process. */
export class LocalStepFunctions {
  private readonly machines = new Map<string, RegisteredStateMachine>();
  private readonly records: ExecutionRecord[] = [];
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();

  constructor(private readonly options: LocalStepFunctionsOptions) {}

  /** The ARN Step Functions gives a state machine of this name. */
  public stateMachineArn(name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.account}:stateMachine:${name}`;
  }

  /** Adds (or replaces) a state machine. */
  public register(machine: RegisteredStateMachine): void {
    this.machines.set(machine.arn, machine);
  }

  /** The state machines, in registration order. */
  public stateMachines(): RegisteredStateMachine[] {
    return [...this.machines.values()];
  }

  /** Every execution started so far, in start order. */
  public executions(): readonly ExecutionRecord[] {
    return this.records;
  }

  /**
   * `StartExecution`: the execution runs in the background (see {@link settled}). Throws
   * `StateMachineDoesNotExist` or `InvalidExecutionInput` as the service does. A state machine
   * that cannot run locally gets an execution that fails at once with `Local.NotEmulated`.
   */
  public startExecution(stateMachineArn: string, input = '{}', name: string = randomUUID()): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new StepFunctionsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input.slice(0, 100)}'`);
    }
    if (this.records.some((r) => r.stateMachine === machine && r.name === name)) {
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    }
    const { account, region } = environmentOfArn(machine.arn) ?? this.options;
    const executionArn = `arn:aws:states:${region}:${account}:execution:${machine.name}:${name}`;
    const record: ExecutionRecord = { executionArn, name, stateMachine: machine, input, startDate: new Date(), status: 'RUNNING' };
    this.records.push(record);
    void this.statusChanged(record);
    let abort = () => undefined as void;
    let result: Promise<ExecutionOutcome>;
    if (machine.machine) {
      const execution = machine.machine.run(
        parsed,
        { executionArn, name, stateMachineArn: machine.arn, stateMachineName: machine.name, roleArn: machine.roleArn },
        (call) => this.options.onTask?.(record, call),
      );
      abort = execution.abort;
      result = execution.result;
    } else {
      const now = new Date();
      result = Promise.resolve({ status: 'FAILED', error: 'Local.NotEmulated', cause: machine.problem, statesVisited: 0, mapIterations: 0, maps: [], tasks: [], startDate: now, stopDate: now });
    }
    const done = result.then(async (outcome) => {
      record.outcome = outcome;
      record.status = outcome.status;
      this.running.delete(executionArn);
      this.options.onEnded?.(record);
      await this.statusChanged(record);
    });
    this.running.set(executionArn, { abort, done });
    return { executionArn, startDate: record.startDate };
  }

  /** Resolves when no execution is running (executions started meanwhile included). */
  public async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Aborts every running execution (`StopExecution`); they end as ABORTED. */
  public abortAll(): void {
    for (const r of this.running.values()) r.abort();
  }

  private async statusChanged(record: ExecutionRecord): Promise<void> {
    const { eventBridge } = this.options;
    if (!eventBridge) return;
    const o = record.outcome;
    const detail = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachine.arn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: o ? o.stopDate.getTime() : null,
      input: record.input,
      output: o?.status === 'SUCCEEDED' ? JSON.stringify(o.output ?? null) : null,
      error: o?.error ?? null,
      cause: o?.cause ?? null,
    };
    try {
      // Step Functions puts them on the default bus of the state machine's account and region.
      const caller = environmentOfArn(record.stateMachine.arn) ?? { account: this.options.account, region: this.options.region };
      await eventBridge.putEvents([
        {
          EventBusName: DEFAULT_BUS,
          Source: 'aws.states',
          DetailType: 'Step Functions Execution Status Change',
          Resources: [record.executionArn],
          Detail: JSON.stringify(detail),
        },
      ], caller);
    } catch {
      // A rule target that fails has its own DLQ handling; a status event is never worth failing a run for.
    }
  }
}

/** The account and region of a state machine ARN (`arn:aws:states:<region>:<account>:stateMachine:<name>`). */
function environmentOfArn(arn: string): { account: string; region: string } | undefined {
  const match = /^arn:[^:]+:states:([^:]+):(\d{12}):/.exec(arn);
  return match ? { account: match[2], region: match[1] } : undefined;
}
