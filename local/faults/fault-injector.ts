/**
 * Fault injection at the local front door: an interceptor that answers some of the functions'
 * AWS calls with the service's throttling or internal error, holds others until the client gives
 * up, times out invocations between their idempotency claims and their objects, and takes whole
 * services down for a while, as a `--faults` spec says (see fault-spec.ts). Only the functions'
 * calls are faulted (registered callers); the run's own clients (event sources, input, outputs)
 * never are.
 *
 * Reproducible: whether a call is faulted depends only on the seed, the clause and how many calls
 * that clause matched before it (the n-th matching call gets the same draw in every run). The local
 * run delivers batches one at a time, so the same input meets the same faults; where calls of one
 * invocation run concurrently and arrive in another order, a draw may fall on another of them.
 *
 * What became of each fault is recorded from the calls that followed it: the SDK call it hit
 * completed on a later attempt (`sdk-retry`: the SDK's retry absorbed it), the same request (method,
 * URL, body) from the same function completed later (`sent-again`: the function's own retry, or the
 * batch delivered again), or neither (`reached-result`: the failure reached the invocation's result).
 */
import { createHash } from 'node:crypto';
import type { AwsRequest, FrontDoorService } from '../services/front-door/aws-request';
import { awsErrorResponse, type FrontDoorResponse } from '../services/front-door/aws-error';
import { signerOf, type Caller } from '../services/front-door/callers';
import type { FrontDoorInterceptor, InterceptContext } from '../services/front-door/front-door';
import type { FaultKind, FaultPlan } from './fault-spec';
import { INTERNAL_ERRORS, THROTTLING_ERRORS, unavailableError } from './service-errors';

/** One fault injected into one call. */
export interface InjectedFault {
  /** Index of the clause in the plan. */
  readonly clause: number;
  readonly kind: FaultKind;
  readonly service: FrontDoorService;
  readonly operation: string;
  /** The caller's label (the function's construct path). */
  readonly caller: string;
  /** How the call was answered: an AWS error (its code), a reset connection, or held. */
  readonly answer: string;
  /** Order of the call among the calls the front door saw from functions (1-based). */
  readonly seq: number;
  /** The SDK call the request was an attempt of (`amz-sdk-invocation-id`), and the attempt. */
  readonly sdkCall?: string;
  readonly attempt?: number;
  /** Method, URL and body, hashed: the same request sent again has the same identity. */
  readonly identity: string;
  /** How long a held call was held, until the client gave up (ms). */
  heldMs?: number;
}

/** What became of an injected fault. */
export type FaultOutcome = 'sdk-retry' | 'sent-again' | 'reached-result' | 'timed-out';

/** Options of {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /**
   * Ends the caller's running invocation as its timeout would (`timeout-mid-batch`): the local
   * run does not wait the timeout out, the invocation's calls being held anyway.
   */
  readonly timeOut?: (caller: Caller) => Promise<void>;
  /** The clock (tests). */
  readonly now?: () => number;
}

interface ClauseState {
  /** Calls the clause matched so far. */
  matched: number;
  /** Faults it injected so far. */
  fired: number;
  /** Outages: when it began (epoch ms). */
  startedAt?: number;
}

/** The `--faults` interceptor of one run. */
export class FaultInjector implements FrontDoorInterceptor {
  public readonly name = 'faults';
  /** Every fault injected, in order. */
  public readonly injected: InjectedFault[] = [];

  private readonly state: ClauseState[];
  private seq = 0;
  /** SDK calls (invocation ids) one of whose attempts the emulator answered. */
  private readonly completedSdkCalls = new Set<string>();
  /** Request identities the emulator answered, with the last time (seq) it did. */
  private readonly completedRequests = new Map<string, number>();
  /** Signers (an invocation's environment) whose claims were written and whose next PutObject is the first after them. */
  private readonly claimed = new Set<string>();
  /** Signers whose invocation is being timed out: every call they make is held. */
  private readonly frozen = new Set<string>();
  private readonly now: () => number;
  private stopped = false;

  constructor(
    public readonly plan: FaultPlan,
    private readonly options: FaultInjectorOptions = {},
  ) {
    this.state = plan.clauses.map(() => ({ matched: 0, fired: 0 }));
    this.now = options.now ?? Date.now;
  }

  public async beforeRequest(request: AwsRequest, context: InterceptContext): Promise<FrontDoorResponse | undefined> {
    const caller = context.caller;
    if (!caller) return undefined;
    const seq = ++this.seq;
    if (this.stopped) return undefined;
    if (this.frozen.has(signerOf(caller))) return this.hold(context.signal);
    const fault = (clause: number, kind: FaultKind, answer: string) => this.record(request, caller, seq, clause, kind, answer);

    if (this.claimed.has(signerOf(caller)) && request.service === 's3' && request.operation === 'PutObject') {
      this.claimed.delete(signerOf(caller));
      this.plan.clauses.forEach((c, i) => c.kind === 'timeout-mid-batch' && this.state[i].matched++);
      const clause = this.plan.clauses.findIndex((c, i) => c.kind === 'timeout-mid-batch' && this.state[i].fired < c.count);
      if (clause >= 0 && this.options.timeOut) {
        this.state[clause].fired++;
        fault(clause, 'timeout-mid-batch', 'held until the invocation timed out');
        this.frozen.add(signerOf(caller));
        void this.options.timeOut(caller).finally(() => this.frozen.delete(signerOf(caller)));
        return this.hold(context.signal);
      }
    }

    for (const [i, clause] of this.plan.clauses.entries()) {
      if (clause.kind === 'timeout-mid-batch' || clause.service !== request.service) continue;
      if (clause.kind === 'outage') {
        const state = this.state[i];
        state.matched++;
        if (state.matched === clause.fromCall) state.startedAt = this.now();
        if (state.startedAt === undefined || this.now() >= state.startedAt + clause.durationMs) continue;
        state.fired++;
        // Half the calls find the endpoint answering 503, half find the connection reset.
        if (this.draw(i, state.matched) < 0.5) {
          fault(i, 'outage', 'connection reset');
          return { status: 0, headers: {}, body: '', resetConnection: true };
        }
        const error = unavailableError(request.service);
        fault(i, 'outage', error.code);
        return awsErrorResponse(request, error);
      }
      if (clause.operation && clause.operation !== request.operation) continue;
      const state = this.state[i];
      state.matched++;
      const fires = 'first' in clause.rate ? state.fired < clause.rate.first : this.draw(i, state.matched) < clause.rate.probability;
      if (!fires) continue;
      state.fired++;
      if (clause.kind === 'hang') {
        const held = fault(i, 'hang', 'held until the client gave up');
        const began = this.now();
        await this.hold(context.signal);
        held.heldMs = this.now() - began;
        return undefined;
      }
      const error = clause.kind === 'throttle' ? THROTTLING_ERRORS[request.service] : INTERNAL_ERRORS[request.service];
      fault(i, clause.kind, error.code);
      return awsErrorResponse(request, error);
    }
    return undefined;
  }

  public afterResponse(request: AwsRequest, response: FrontDoorResponse, context: InterceptContext): undefined {
    const caller = context.caller;
    if (!caller) return undefined;
    // Answered by the service (not an error the SDK would retry): the call completed.
    if (response.status < 500 && response.status !== 429) {
      const sdkCall = headerOf(request, 'amz-sdk-invocation-id');
      if (sdkCall) this.completedSdkCalls.add(sdkCall);
      this.completedRequests.set(identityOf(request, caller), this.seq);
    }
    // A conditional PutItem that succeeded is an idempotency claim: the invocation's objects come next.
    if (request.service === 'dynamodb' && request.operation === 'PutItem' && response.status === 200 && request.params.ConditionExpression !== undefined) {
      this.claimed.add(signerOf(caller));
    }
    return undefined;
  }

  /** Injects no more faults (calls already held stay held until their clients give up). */
  public stop(): void {
    this.stopped = true;
  }

  /** What became of `fault`, from the calls that followed it. */
  public outcomeOf(fault: InjectedFault): FaultOutcome {
    if (fault.kind === 'timeout-mid-batch') return 'timed-out';
    if (fault.sdkCall && this.completedSdkCalls.has(fault.sdkCall)) return 'sdk-retry';
    if ((this.completedRequests.get(fault.identity) ?? 0) > fault.seq) return 'sent-again';
    return 'reached-result';
  }

  /** Faults each clause injected, in the plan's order. */
  public firedByClause(): number[] {
    return this.state.map((s) => s.fired);
  }

  /** Calls each clause matched (for timeout-mid-batch: first objects after claims), in the plan's order. */
  public matchedByClause(): number[] {
    return this.state.map((s) => s.matched);
  }

  private record(request: AwsRequest, caller: Caller, seq: number, clause: number, kind: FaultKind, answer: string): InjectedFault {
    const attempt = /attempt=(\d+)/.exec(headerOf(request, 'amz-sdk-request') ?? '')?.[1];
    const fault: InjectedFault = {
      clause,
      kind,
      service: request.service,
      operation: request.operation,
      caller: caller.label,
      answer,
      seq,
      ...(headerOf(request, 'amz-sdk-invocation-id') ? { sdkCall: headerOf(request, 'amz-sdk-invocation-id') } : {}),
      ...(attempt ? { attempt: Number(attempt) } : {}),
      identity: identityOf(request, caller),
    };
    this.injected.push(fault);
    return fault;
  }

  /** Holds a call until its client gives up (the socket closes) or the front door stops. */
  private hold(signal: AbortSignal): Promise<undefined> {
    return new Promise((resolve) => {
      if (signal.aborted) resolve(undefined);
      else signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
  }

  /** The seeded draw in [0, 1) of the `n`-th call clause `clause` matched. */
  private draw(clause: number, n: number): number {
    return createHash('sha256').update(`${this.plan.seed}/${clause}/${n}`).digest().readUInt32BE(0) / 2 ** 32;
  }
}

function headerOf(request: AwsRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function identityOf(request: AwsRequest, caller: Caller): string {
  return createHash('sha1').update(`${caller.id}\n${request.method} ${request.url}\n`).update(request.body).digest('hex');
}
