/**
 * A small evaluator of IAM identity policies, for test doubles that answer as AWS does: explicit
 * Deny wins, then any Allow, else an implicit deny. Actions and resources match with `*` and `?`
 * wildcards (actions case-insensitively); conditions support the string operators (with
 * `IfExists`) our own policies use. Anything else (NotAction, NotResource, another operator)
 * throws, so a test never silently reads a policy it does not understand.
 *
 * It also reads a role's statements out of a synthesized template (see {@link roleStatements}).
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** A policy statement with literal values, as in a policy document. */
export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
  readonly NotAction?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly Sid?: string;
}

/** One request to authorize: the action, the resource ARN and the request's condition keys. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (e.g. `s3:prefix`); a key not given is absent. */
  readonly context?: Record<string, string>;
}

/** What the evaluation decided and which statement decided it. */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  readonly reason: 'explicit-deny' | 'allow' | 'implicit-deny';
  readonly statement?: PolicyStatement;
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, flags = ''): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, flags);
}

function conditionHolds(operator: string, key: string, values: string[], context: Record<string, string>): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const actual = context[key];
  if (actual === undefined) return ifExists || base.startsWith('StringNot');
  switch (base) {
    case 'StringEquals':
      return values.includes(actual);
    case 'StringNotEquals':
      return !values.includes(actual);
    case 'StringLike':
      return values.some((v) => wildcard(v).test(actual));
    case 'StringNotLike':
      return !values.some((v) => wildcard(v).test(actual));
    default:
      throw new Error(`iam-policy test double: condition operator ${operator} is not modelled`);
  }
}

function matches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  if (statement.NotAction !== undefined || statement.NotResource !== undefined || statement.Principal !== undefined) {
    throw new Error(`iam-policy test double: ${JSON.stringify(statement)} uses NotAction, NotResource or Principal, which are not modelled`);
  }
  if (!list(statement.Action).some((a) => wildcard(a, 'i').test(request.action))) return false;
  if (!list(statement.Resource).some((r) => wildcard(r).test(request.resource))) return false;
  const context = request.context ?? {};
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, list(values), context)),
  );
}

/** Evaluates identity policy statements for one request (same account, no resource policy). */
export function authorize(statements: readonly PolicyStatement[], request: AuthorizationRequest): AuthorizationDecision {
  const deny = statements.find((s) => s.Effect === 'Deny' && matches(s, request));
  if (deny) return { allowed: false, reason: 'explicit-deny', statement: deny };
  const allow = statements.find((s) => s.Effect === 'Allow' && matches(s, request));
  if (allow) return { allowed: true, reason: 'allow', statement: allow };
  return { allowed: false, reason: 'implicit-deny' };
}

/** Pseudo parameters of test stacks (test/support/cdk.ts TEST_ENV). */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Resolves template values to literals, with the intrinsics CDK emits for names and ARNs (`Ref`,
 * `Fn::GetAtt`, `Fn::Join`). A bucket's `Ref` is its `BucketName` and its `Arn`
 * `arn:aws:s3:::<BucketName>`; another resource's `Ref` is its logical id and its `Arn` a
 * recognisable stand-in (`arn:aws:<type>:eu-west-1:123456789012:<logical id>`).
 */
export function templateResolver(template: Template): (value: unknown) => unknown {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  const bucketName = (id: string) => {
    const resource = resources[id];
    if (resource?.Type !== 'AWS::S3::Bucket') return undefined;
    const name = resource.Properties?.BucketName;
    if (typeof name !== 'string') throw new Error(`iam-policy test double: bucket ${id} needs a literal BucketName`);
    return name;
  };
  const ref = (id: string) => PSEUDO[id] ?? bucketName(id) ?? id;
  const getAtt = (id: string, attribute: string) => {
    const bucket = bucketName(id);
    if (bucket !== undefined && attribute === 'Arn') return `arn:aws:s3:::${bucket}`;
    const type = (resources[id]?.Type ?? 'unknown').split('::')[1]?.toLowerCase();
    return attribute === 'Arn' ? `arn:aws:${type}:eu-west-1:123456789012:${id}` : `${id}.${attribute}`;
  };
  const resolve = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(resolve);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [name, args] = entries[0];
      if (name === 'Ref') return ref(String(args));
      if (name === 'Fn::GetAtt') return getAtt(String((args as unknown[])[0]), String((args as unknown[])[1]));
      if (name === 'Fn::Join') {
        const [separator, parts] = args as [string, unknown[]];
        return parts.map((p) => String(resolve(p))).join(separator);
      }
      if (name.startsWith('Fn::')) throw new Error(`iam-policy test double: ${name} is not resolved`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/**
 * The statements of every identity policy attached to a role of the template (`AWS::IAM::Policy`
 * resources naming it, and the role's inline policies), resolved by {@link templateResolver}.
 */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  const resolve = templateResolver(template);
  const documents: unknown[] = [];
  for (const resource of Object.values(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy' && (props.Roles as unknown[] | undefined)?.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) {
      documents.push(props.PolicyDocument);
    }
  }
  const role = resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`iam-policy test double: ${roleLogicalId} is not a role of the template`);
  for (const policy of (role.Properties?.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) documents.push(policy.PolicyDocument);
  return documents.flatMap((d) => (resolve(d) as { Statement: PolicyStatement[] }).Statement);
}
