/**
 * IAM for test doubles that answer as AWS does, on the local run's evaluator (`local/iam`): a
 * role's statements as a synthesized template gives them ({@link roleStatements}), template values
 * resolved as the local run resolves them ({@link templateResolver}), and {@link authorize} for one
 * request of that role in its own account (explicit Deny wins, then any Allow, else an implicit
 * deny; constructs the evaluator does not model throw).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { Template as TemplateJson } from '../../../local/template/cloud-assembly';
import { readAppPolicies } from '../../../local/iam/app-policies';
import { evaluate, RequestContext, type PolicyStatement } from '../../../local/iam/policy';
import { LocalReferences } from '../../../local/template/references';
import { readLocalResources } from '../../../local/template/template-resources';
import { TEST_ENV } from '../../support/cdk';

export type { PolicyStatement } from '../../../local/iam/policy';

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

/** Evaluates a role's identity policy statements for one request (same account, no resource policy). */
export function authorize(statements: readonly PolicyStatement[], request: AuthorizationRequest): AuthorizationDecision {
  const principal = { kind: 'role' as const, arn: `arn:aws:iam::${TEST_ENV.account}:role/test`, account: TEST_ENV.account, statements };
  const decision = evaluate(principal, { action: request.action, resource: request.resource, context: new RequestContext(request.context ?? {}) });
  return { allowed: decision.allowed, reason: decision.reason, statement: decision.statement };
}

/** The template's references as the local run resolves them, in the test stacks' account and region. */
function referencesOf(template: Template): { json: TemplateJson; refs: LocalReferences; resources: ReturnType<typeof readLocalResources> } {
  const json = template.toJSON() as TemplateJson;
  const resources = readLocalResources(json, 'TestStack');
  return { json, resources, refs: new LocalReferences(json, resources, { account: TEST_ENV.account, region: TEST_ENV.region }) };
}

/** Resolves template values (intrinsics included) to literals, as the local run does. */
export function templateResolver(template: Template): (value: unknown) => unknown {
  const { refs } = referencesOf(template);
  return (value) => refs.resolve(value);
}

/** The identity-based statements of a role of the template (inline, attached and known managed policies). */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  const { json, refs, resources } = referencesOf(template);
  if (json.Resources[roleLogicalId]?.Type !== 'AWS::IAM::Role') throw new Error(`iam-policy: ${roleLogicalId} is not a role of the template`);
  const policies = readAppPolicies([{ name: 'TestStack', template: json, resources, refs }]);
  const role = policies.roles.get(refs.getAtt(roleLogicalId, 'Arn'));
  if (!role || role.problems.length > 0) throw new Error(`iam-policy: the policies of ${roleLogicalId} cannot be read: ${role?.problems.join('; ')}`);
  return role.statements;
}
