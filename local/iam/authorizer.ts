/**
 * The authorizer of a local run: turns a principal and the checks a call needs into decisions
 * ({@link evaluate} with the identity policies of the principal and the resource's or key's
 * policy), and keeps what it saw for the report: denied calls by caller, action and resource with
 * counts, operations it could not map, callers it could not check, and event sources whose polling
 * was denied.
 *
 * Every request carries the global condition keys AWS sets for a role session calling over HTTPS:
 * `aws:SecureTransport` is `true` (SDK calls to AWS endpoints are HTTPS; the local endpoints are
 * plain HTTP, which is not what is being tested), `aws:PrincipalArn`, `aws:PrincipalAccount`,
 * `aws:PrincipalType`, `aws:userid`, `aws:CurrentTime`, `aws:EpochTime`, `aws:RequestedRegion`;
 * calls by a service principal carry `aws:SourceArn` and `aws:SourceAccount` instead.
 *
 * Modes: `enforce` (a denied call fails as on AWS), `report` (it is let through and listed),
 * `off` (nothing is checked).
 */
import { createHash } from 'node:crypto';
import type { AppPolicies } from './app-policies';
import { denialReason, evaluate, RequestContext, type Decision, type IamPrincipal, type ResourcePolicy } from './policy';
import type { IamCheck } from './request-checks';

/** How the local run treats IAM (`start --iam`). */
export type IamMode = 'enforce' | 'report' | 'off';

/** The IAM modes, for option parsing. */
export const IAM_MODES: readonly IamMode[] = ['enforce', 'report', 'off'];

/** A principal the run acts as, with the name the report gives it. */
export interface Actor {
  readonly principal: IamPrincipal;
  /** The report's name for it: a construct path (`Pipeline/Transform/Function`), `events.amazonaws.com (rule ...)`. */
  readonly label: string;
  /** The region it runs in (a resource it names that the app does not declare is assumed there). */
  readonly region: string;
  /** Condition keys of every call it makes (a service principal's `aws:SourceArn`). */
  readonly context?: Readonly<Record<string, string | undefined>>;
}

/** A denied call, as the report lists it (calls of one caller, action and resource group are counted together). */
export interface IamDenial {
  readonly caller: string;
  readonly action: string;
  /** The resource ARN; objects of one bucket and first key segment are grouped (`arn:aws:s3:::b/prefix/*`). */
  readonly resource: string;
  readonly count: number;
  /** The API operations that needed the permission (`s3:PutObject`, `s3:HeadObject (missing key)`). */
  readonly operations: string[];
  /** AWS's words: `because no identity-based policy allows the s3:PutObject action`. */
  readonly reason: string;
  /** True when the call was refused (`enforce`), false when it was let through (`report`). */
  readonly enforced: boolean;
}

/** What the IAM checks of a run saw (`iam` in the JSON report). */
export interface IamReport {
  readonly mode: IamMode;
  /** Authorizations decided (one call may need several: an action and its KMS key). */
  readonly checked: number;
  /** The authorizations decided, by action (what the run enforced). */
  readonly checkedActions: Record<string, number>;
  readonly denied: IamDenial[];
  /** Calls of operations the local run cannot map to IAM actions: let through, listed. */
  readonly unmapped: Array<{ readonly caller: string; readonly operation: string; readonly count: number; readonly why: string }>;
  /** Callers whose calls are not checked, and why (a role outside the app, ...). */
  readonly unchecked: string[];
  /** Event sources whose polling was denied: their records stayed in the source. */
  readonly blocked: string[];
  /** What the checks assume or cannot see. */
  readonly notes: string[];
}

/** A decision that refused a call. */
export interface Refusal {
  readonly check: IamCheck;
  readonly decision: Decision;
  /** AWS's message: `User: <session ARN> is not authorized to perform: <action> on resource: <arn> <reason>`. */
  readonly message: string;
  /** The message's reason (`because no identity-based policy allows the s3:PutObject action`). */
  readonly reason: string;
}

/** The error an in-process check throws for a refused call (its name is the service's error code). */
export class AccessDeniedError extends Error {
  public readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    public readonly refusal: Refusal,
    name = 'AccessDeniedException',
  ) {
    super(refusal.message);
    this.name = name;
    // SQS and S3 refuse with 403; the JSON services (and SQS's KMS refusal) with 400.
    this.$metadata = { httpStatusCode: name === 'AccessDenied' ? 403 : 400 };
  }
}

/** Decides and records the authorizations of a run. */
export class IamAuthorizer {
  private checked = 0;
  private readonly checkedActions = new Map<string, number>();
  private readonly denials = new Map<string, { denial: Omit<IamDenial, 'count' | 'operations'>; count: number; operations: Set<string> }>();
  private readonly unmappedCalls = new Map<string, { caller: string; operation: string; count: number; why: string }>();
  private readonly uncheckedCallers = new Map<string, string>();
  private readonly blockedSources = new Set<string>();
  private readonly sessions = new Map<string, IamPrincipal>();

  constructor(
    public readonly policies: AppPolicies,
    public readonly mode: IamMode,
  ) {}

  /** Whether calls are checked at all. */
  public get active(): boolean {
    return this.mode !== 'off';
  }

  /** A role session of the app's role `roleArn`; undefined (reported unchecked) when the role is not in the app. */
  public roleSession(roleArn: string | undefined, sessionName: string, label: string): Actor | undefined {
    const role = roleArn === undefined ? undefined : this.policies.roles.get(roleArn);
    if (!role) {
      this.uncheckedCallers.set(label, roleArn === undefined ? 'it has no role in the app' : `its role ${roleArn} is not in the app (its policies are unknown)`);
      return undefined;
    }
    const key = `${role.arn}/${sessionName}`;
    let principal = this.sessions.get(key);
    if (!principal) {
      principal = { kind: 'role', arn: role.arn, account: role.account, sessionArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`, statements: role.statements };
      this.sessions.set(key, principal);
    }
    if (role.problems.length > 0) this.uncheckedCallers.set(`${label} (role ${role.path})`, `partly: ${role.problems.join('; ')}`);
    return { principal, label, region: role.region };
  }

  /** An AWS service acting as itself (`events.amazonaws.com`) for `sourceArn` in `account` and `region`. */
  public service(service: string, environment: { account: string; region: string }, sourceArn: string, label: string): Actor {
    const { account, region } = environment;
    return { principal: { kind: 'service', arn: service, account }, label, region, context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account } };
  }

  /**
   * Decides each check of one call (in order) and records the first refusal; returns it, or
   * undefined when all are allowed. In `report` mode refusals are recorded and undefined is
   * returned (the call goes through); in `off` mode nothing is decided.
   */
  public authorize(actor: Actor, operation: string, checks: readonly IamCheck[]): Refusal | undefined {
    if (!this.active) return undefined;
    for (const check of checks) {
      this.checked++;
      this.checkedActions.set(check.action, (this.checkedActions.get(check.action) ?? 0) + 1);
      const refusal = this.decide(actor, check);
      if (!refusal) continue;
      this.recordDenial(actor.label, operation, refusal);
      return this.mode === 'enforce' ? refusal : undefined;
    }
    return undefined;
  }

  /** Decides one check without recording it (e.g. the ListBucket probe a missing key needs). */
  public decide(actor: Actor, check: IamCheck): Refusal | undefined {
    const { principal } = actor;
    const region = /^arn:[^:]+:[^:]+:([^:]+):/.exec(check.resource)?.[1];
    const now = new Date();
    const context = new RequestContext({
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:RequestedRegion': region,
      ...(principal.kind === 'role'
        ? {
            'aws:PrincipalArn': principal.arn,
            'aws:PrincipalAccount': principal.account,
            'aws:PrincipalType': 'AssumedRole',
            'aws:userid': `${roleId(principal.arn)}:${principal.sessionArn?.split('/').pop() ?? ''}`,
            'aws:ViaAWSService': 'false',
            'aws:PrincipalIsAWSService': 'false',
          }
        : { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': principal.arn }),
      ...actor.context,
      ...check.context,
      ...(check.kms ? { 'kms:CallerAccount': principal.account } : {}),
    });
    let decision: Decision;
    try {
      decision = evaluate(principal, { action: check.action, resource: check.resource, context, resourceAccount: check.resourceAccount }, this.resourcePolicy(check));
    } catch (error) {
      // A policy the evaluator cannot read never allows: the call is refused, saying why.
      const reason = `because the local run cannot evaluate a policy that applies: ${(error as Error).message}`;
      return { check, decision: { allowed: false, reason: 'implicit-deny', policy: 'identity' }, message: this.message(actor, check, reason), reason };
    }
    if (decision.allowed) return undefined;
    const reason = denialReason(decision, check.action);
    return { check, decision, message: this.message(actor, check, reason), reason };
  }

  /** Records a refusal found with {@link decide} (a call whose answer changes because of it). */
  public recordDenial(caller: string, operation: string, refusal: Refusal): void {
    const { check } = refusal;
    const resource = groupResource(check.resource);
    const key = `${caller}|${check.action}|${resource}`;
    const entry = this.denials.get(key) ?? {
      denial: { caller, action: check.action, resource, reason: refusal.reason, enforced: this.mode === 'enforce' },
      count: 0,
      operations: new Set<string>(),
    };
    entry.count++;
    entry.operations.add(operation);
    this.denials.set(key, entry);
  }

  /** Counts a call of an operation the run cannot map to IAM actions (it is let through). */
  public recordUnmapped(caller: string, operation: string, why: string): void {
    const key = `${caller}|${operation}`;
    const entry = this.unmappedCalls.get(key) ?? { caller, operation, count: 0, why };
    entry.count++;
    this.unmappedCalls.set(key, entry);
  }

  /** Records an event source whose polling was refused (its records stay where they are). */
  public recordBlocked(description: string): void {
    this.blockedSources.add(description);
  }

  /** Whether any call was refused (or, in `report` mode, would have been). */
  public get anyDenied(): boolean {
    return this.denials.size > 0;
  }

  /** The report section. */
  public report(): IamReport {
    return {
      mode: this.mode,
      checked: this.checked,
      checkedActions: Object.fromEntries([...this.checkedActions].sort(([a], [b]) => a.localeCompare(b))),
      denied: [...this.denials.values()]
        .map(({ denial, count, operations }) => ({ ...denial, count, operations: [...operations].sort() }))
        .sort((a, b) => a.caller.localeCompare(b.caller) || a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource)),
      unmapped: [...this.unmappedCalls.values()].sort((a, b) => a.caller.localeCompare(b.caller) || a.operation.localeCompare(b.operation)),
      unchecked: [...this.uncheckedCallers].map(([caller, why]) => `${caller}: ${why}`),
      blocked: [...this.blockedSources],
      notes: this.mode === 'off' ? [] : [
        'aws:SecureTransport is true and s3:TlsVersion 1.3 for every call (SDK calls to AWS are HTTPS); the local endpoints are plain HTTP',
        'DynamoDB calls need no KMS permission of the caller: DynamoDB uses a table key through its own grant',
        ...this.policies.notes,
      ],
    };
  }

  private resourcePolicy(check: IamCheck): ResourcePolicy | undefined {
    if (check.kms) return { kind: 'key', statements: this.policies.keyPolicies.get(check.resource) ?? [] };
    const bucketObject = /^(arn:[^:]+:s3:::[^/]+)\/.*$/.exec(check.resource);
    const statements = this.policies.resourcePolicies.get(bucketObject ? bucketObject[1] : check.resource);
    return statements ? { kind: 'resource', statements } : undefined;
  }

  private message(actor: Actor, check: IamCheck, reason: string): string {
    const who = actor.principal.kind === 'role' ? actor.principal.sessionArn : actor.principal.arn;
    const resource = check.resource.startsWith('arn:aws:s3:::') ? `"${check.resource}"` : check.resource;
    return `User: ${who} is not authorized to perform: ${check.action} on resource: ${resource} ${reason}`;
  }
}

/** A stable unique id for a role (`AROA...`), as `aws:userid` starts. */
function roleId(arn: string): string {
  return `AROA${createHash('sha256').update(arn).digest('hex').toUpperCase().slice(0, 17)}`;
}

/** Groups object ARNs by bucket and first key segment, so a denied write to many keys is one report line. */
function groupResource(arn: string): string {
  const object = /^(arn:[^:]+:s3:::[^/]+)\/([^/]+)(\/.*)?$/.exec(arn);
  if (!object) return arn;
  return object[3] ? `${object[1]}/${object[2]}/*` : arn;
}
