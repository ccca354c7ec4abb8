/**
 * The IAM policy evaluator of the local run, for requests within the accounts of one app: a
 * principal's identity-based policies and the resource's resource-based policy (bucket, queue,
 * secret, bus policy, or a KMS key policy) decide together, as AWS's evaluation logic does:
 *
 * - an explicit `Deny` in any of them wins;
 * - otherwise, in the same account, an `Allow` in the identity policies or a resource policy
 *   statement naming the principal itself allows; a resource policy statement naming the account
 *   (`arn:aws:iam::<account>:root`) only delegates to the identity policies;
 * - across accounts both sides must allow;
 * - a KMS key policy must allow: directly, or by naming the account, which then lets the identity
 *   policies decide (CDK's default key policy does that);
 * - anything else is an implicit deny.
 *
 * Statements are matched by `Action`/`NotAction` (wildcards, case-insensitive), `Resource`/
 * `NotResource` (wildcards, policy variables), `Principal`/`NotPrincipal` (resource policies:
 * `*`, accounts, role and session ARNs, service principals) and `Condition` (see
 * {@link conditionHolds}). Permissions boundaries, session policies and SCPs are not modelled (an
 * app's template has none). A construct the evaluator does not know throws
 * {@link UnsupportedPolicyError}.
 */
import { conditionHolds, RequestContext, UnsupportedPolicyError } from './conditions';
import { literalWildcards, substituteVariables, wildcardMatch } from './wildcard';

export { RequestContext, UnsupportedPolicyError } from './conditions';

/** One statement of a policy document, with literal values. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Readonly<Record<string, unknown>>;
}

/** Who makes a request: a role session, or an AWS service acting as itself (a service principal). */
export interface IamPrincipal {
  readonly kind: 'role' | 'service';
  /** The role's ARN (`arn:aws:iam::<account>:role/<name>`), or the service principal (`events.amazonaws.com`). */
  readonly arn: string;
  /** The role's account; for a service, the account it acts for (`aws:SourceAccount`). */
  readonly account: string;
  /** The role session's ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`). */
  readonly sessionArn?: string;
  /** The role's identity-based policy statements. */
  readonly statements?: readonly PolicyStatement[];
}

/** The resource-based policy that applies to a request's resource. */
export interface ResourcePolicy {
  /** `key`: a KMS key policy (it must allow); `resource`: any other (bucket, queue, secret, bus). */
  readonly kind: 'resource' | 'key';
  readonly statements: readonly PolicyStatement[];
}

/** One authorization: an action on a resource ARN, with the request's condition keys. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
  /** The account owning the resource (S3 ARNs carry none); default: the principal's. */
  readonly resourceAccount?: string;
}

/** What the evaluation decided, and why. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** The policy whose statement decided (explicit deny, allow), or whose allow is missing (implicit deny). */
  readonly policy: 'identity' | 'resource';
  /** The statement that decided, when one did. */
  readonly statement?: PolicyStatement;
}

const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);

const list = (value: unknown): string[] => {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((v) => {
    if (typeof v !== 'string') throw new UnsupportedPolicyError(`expected a string, got ${JSON.stringify(v)}`);
    return v;
  });
};

/** Checks a statement's shape; throws {@link UnsupportedPolicyError} naming what is not understood. */
export function validateStatement(statement: PolicyStatement, kind: 'identity' | 'resource'): void {
  if (validated.has(statement)) return;
  const text = () => JSON.stringify(statement).slice(0, 300);
  for (const field of Object.keys(statement)) {
    if (!STATEMENT_FIELDS.has(field)) throw new UnsupportedPolicyError(`policy element ${field} is not modelled by the local run: ${text()}`);
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new UnsupportedPolicyError(`Effect must be Allow or Deny: ${text()}`);
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) throw new UnsupportedPolicyError(`a statement needs exactly one of Action and NotAction: ${text()}`);
  if ((statement.Resource === undefined) === (statement.NotResource === undefined)) throw new UnsupportedPolicyError(`a statement needs exactly one of Resource and NotResource: ${text()}`);
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  if (kind === 'identity' && hasPrincipal) throw new UnsupportedPolicyError(`an identity-based policy cannot have Principal or NotPrincipal: ${text()}`);
  if (kind === 'resource' && !hasPrincipal) throw new UnsupportedPolicyError(`a resource-based policy statement needs Principal or NotPrincipal: ${text()}`);
  if (statement.Condition !== undefined && (typeof statement.Condition !== 'object' || Array.isArray(statement.Condition))) {
    throw new UnsupportedPolicyError(`Condition must be an object: ${text()}`);
  }
  validated.add(statement);
}

/** Statements already checked by {@link validateStatement} (a statement object is checked once). */
const validated = new WeakSet<PolicyStatement>();

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((a) => wildcardMatch(a, action, true));
  return !list(statement.NotAction).some((a) => wildcardMatch(a, action, true));
}

function resourceMatches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const matches = (patterns: string[]) =>
    patterns.some((p) => {
      const pattern = substituteVariables(p, (key) => request.context.first(key));
      return pattern !== undefined && literalWildcards(pattern, request.resource);
    });
  if (statement.Resource !== undefined) return matches(list(statement.Resource));
  return !matches(list(statement.NotResource));
}

function conditionsHold(statement: PolicyStatement, context: RequestContext): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => conditionHolds(operator, keys, context));
}

/** How a `Principal` element names the principal: itself (or everyone), its account, or not at all. */
type PrincipalMatch = 'direct' | 'account' | undefined;

const ACCOUNT = /^(\d{12})$|^arn:[^:]+:iam::(\d{12}):root$/;

function principalMatch(element: unknown, principal: IamPrincipal): PrincipalMatch {
  if (element === '*') return 'direct';
  if (element === null || typeof element !== 'object' || Array.isArray(element)) {
    throw new UnsupportedPolicyError(`Principal ${JSON.stringify(element)} is not "*" or an object`);
  }
  let match: PrincipalMatch;
  for (const [type, value] of Object.entries(element as Record<string, unknown>)) {
    for (const id of list(value)) {
      if (type === 'AWS') {
        if (id === '*') return 'direct';
        const account = ACCOUNT.exec(id);
        if (account) {
          if (principal.kind === 'role' && (account[1] ?? account[2]) === principal.account) match ??= 'account';
        } else if (id.includes('*')) {
          throw new UnsupportedPolicyError(`a wildcard in an AWS principal (${id}) is not valid IAM`);
        } else if (principal.kind === 'role' && (id === principal.arn || id === principal.sessionArn)) {
          return 'direct';
        }
      } else if (type === 'Service') {
        if (principal.kind === 'service' && id === principal.arn) return 'direct';
      } else if (type !== 'Federated' && type !== 'CanonicalUser') {
        throw new UnsupportedPolicyError(`principal type ${type} is not modelled by the local run`);
      }
    }
  }
  return match;
}

/** How a resource policy statement applies to the principal (NotPrincipal: everyone it does not name). */
function statementPrincipal(statement: PolicyStatement, principal: IamPrincipal): PrincipalMatch {
  if (statement.Principal !== undefined) return principalMatch(statement.Principal, principal);
  return principalMatch(statement.NotPrincipal, principal) === undefined ? 'direct' : undefined;
}

function applies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return actionMatches(statement, request.action) && resourceMatches(statement, request) && conditionsHold(statement, request.context);
}

/** Decides one request of `principal` (see the module comment for the logic). */
export function evaluate(principal: IamPrincipal, request: AuthorizationRequest, resourcePolicy?: ResourcePolicy): Decision {
  const identity = principal.kind === 'role' ? (principal.statements ?? []) : [];
  for (const s of identity) validateStatement(s, 'identity');
  for (const s of resourcePolicy?.statements ?? []) validateStatement(s, 'resource');

  const identityMatching = identity.filter((s) => applies(s, request));
  const resourceMatching = (resourcePolicy?.statements ?? [])
    .map((s) => ({ s, how: statementPrincipal(s, principal) }))
    .filter(({ s, how }) => how !== undefined && applies(s, request));

  const identityDeny = identityMatching.find((s) => s.Effect === 'Deny');
  if (identityDeny) return { allowed: false, reason: 'explicit-deny', policy: 'identity', statement: identityDeny };
  const resourceDeny = resourceMatching.find(({ s }) => s.Effect === 'Deny');
  if (resourceDeny) return { allowed: false, reason: 'explicit-deny', policy: 'resource', statement: resourceDeny.s };

  const identityAllow = identityMatching.find((s) => s.Effect === 'Allow');
  const direct = resourceMatching.find(({ s, how }) => s.Effect === 'Allow' && how === 'direct')?.s;
  const delegated = resourceMatching.find(({ s, how }) => s.Effect === 'Allow' && how === 'account')?.s;

  if (resourcePolicy?.kind === 'key') {
    if (direct) return { allowed: true, reason: 'allow', policy: 'resource', statement: direct };
    if (!delegated) return { allowed: false, reason: 'implicit-deny', policy: 'resource' };
    return identityAllow ? { allowed: true, reason: 'allow', policy: 'identity', statement: identityAllow } : { allowed: false, reason: 'implicit-deny', policy: 'identity' };
  }
  const sameAccount = request.resourceAccount === undefined || request.resourceAccount === principal.account;
  if (principal.kind === 'service' || !sameAccount) {
    const resourceAllows = direct ?? (principal.kind === 'role' ? delegated : undefined);
    if (!resourceAllows) return { allowed: false, reason: 'implicit-deny', policy: 'resource' };
    if (principal.kind === 'role' && !identityAllow) return { allowed: false, reason: 'implicit-deny', policy: 'identity' };
    return { allowed: true, reason: 'allow', policy: 'resource', statement: resourceAllows };
  }
  if (identityAllow) return { allowed: true, reason: 'allow', policy: 'identity', statement: identityAllow };
  if (direct) return { allowed: true, reason: 'allow', policy: 'resource', statement: direct };
  return { allowed: false, reason: 'implicit-deny', policy: 'identity' };
}

/**
 * The end of AWS's AccessDenied message for a decision: `with an explicit deny in a
 * resource-based policy`, `because no identity-based policy allows the s3:PutObject action`.
 */
export function denialReason(decision: Decision, action: string): string {
  const policy = decision.policy === 'identity' ? 'identity-based policy' : 'resource-based policy';
  return decision.reason === 'explicit-deny' ? `with an explicit deny in ${decision.policy === 'identity' ? 'an' : 'a'} ${policy}` : `because no ${policy} allows the ${action} action`;
}

/** The statements of a policy document (`Statement` may be one object or a list). */
export function statementsOf(document: unknown, where: string): PolicyStatement[] {
  const statement = (document as { Statement?: unknown } | undefined)?.Statement;
  if (statement === undefined) throw new UnsupportedPolicyError(`${where}: the policy document has no Statement`);
  return (Array.isArray(statement) ? statement : [statement]) as PolicyStatement[];
}
