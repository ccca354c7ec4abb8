/**
 * What the cloud assembly says about authorization, resolved to the local resources' ARNs (with
 * {@link LocalReferences}, so policies and requests name the same things):
 *
 * - principals: each role with its identity-based statements (inline `Policies`, the
 *   `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy` and `AWS::IAM::RolePolicy` resources attached
 *   to it, customer managed policies by ARN, and the AWS managed policies of
 *   {@link awsManagedPolicy}); which role each function, state machine and rule target uses;
 * - resource-based policies: `AWS::S3::BucketPolicy`, `AWS::SQS::QueuePolicy`,
 *   `AWS::SecretsManager::ResourcePolicy`, `AWS::Events::EventBusPolicy`, and each
 *   `AWS::KMS::Key`'s `KeyPolicy`;
 * - encryption with customer managed KMS keys: the key of each bucket (default encryption), queue,
 *   stream, secret and table.
 *
 * What cannot be read exactly (an AWS managed policy not in the table, a policy with an intrinsic
 * the local run cannot resolve, a key outside the app, a permissions boundary) is listed in
 * `notes`, and the roles it affects in {@link IamRole.problems}.
 */
import type { Template } from '../template/cloud-assembly';
import type { LocalReferences } from '../template/references';
import type { LocalResources } from '../template/template-resources';
import { awsManagedPolicy, awsManagedPolicyName } from './managed-policies';
import { statementsOf, UnsupportedPolicyError, validateStatement, type PolicyStatement } from './policy';

/** A stack as the model reads it. */
export interface PolicySource {
  readonly name: string;
  readonly template: Template;
  readonly resources: LocalResources;
  readonly refs: LocalReferences;
}

/** A role of the app and what its identity-based policies allow. */
export interface IamRole {
  readonly arn: string;
  readonly name: string;
  /** Construct path (without the stack name), or the logical id. */
  readonly path: string;
  readonly account: string;
  /** The region of its stack (where the resources it names without an ARN are). */
  readonly region: string;
  readonly statements: PolicyStatement[];
  /** Why the statements may be incomplete (an unknown managed policy, an unresolvable document). */
  readonly problems: string[];
}

/** A customer managed KMS key that encrypts a resource. */
export interface ResourceKey {
  readonly keyArn: string;
  /** S3 only: the bucket uses an S3 Bucket Key (the encryption context is the bucket's ARN). */
  readonly bucketKey?: boolean;
}

/** Everything the authorizer needs to know about an app's policies. */
export interface AppPolicies {
  /** Roles by ARN. */
  readonly roles: Map<string, IamRole>;
  /** The execution role ARN of each function, by the function's (unqualified) ARN. */
  readonly functionRoles: Map<string, string>;
  /** The role ARN of each state machine, by its ARN. */
  readonly stateMachineRoles: Map<string, string>;
  /** The `RoleArn` of each rule target, by `<rule ARN>|<target id>`. */
  readonly targetRoles: Map<string, string>;
  /** Resource-based policy statements, by the ARN of the bucket, queue, secret or bus. */
  readonly resourcePolicies: Map<string, PolicyStatement[]>;
  /** Key policies, by key ARN. */
  readonly keyPolicies: Map<string, PolicyStatement[]>;
  /** The customer managed key of each encrypted bucket, queue, stream, secret, table and bus, by the resource's ARN. */
  readonly encryption: Map<string, ResourceKey>;
  /** What could not be read exactly. */
  readonly notes: string[];
}

/** Reads the policies of every stack. */
export function readAppPolicies(stacks: readonly PolicySource[]): AppPolicies {
  const model: AppPolicies = {
    roles: new Map(),
    functionRoles: new Map(),
    stateMachineRoles: new Map(),
    targetRoles: new Map(),
    resourcePolicies: new Map(),
    keyPolicies: new Map(),
    encryption: new Map(),
    notes: [],
  };
  for (const stack of stacks) readStack(stack, model);
  return model;
}

function readStack(stack: PolicySource, model: AppPolicies): void {
  const { refs, template } = stack;
  const resources = Object.entries(template.Resources ?? {});
  const pathOf = (logicalId: string) => {
    const raw = template.Resources[logicalId]?.Metadata?.['aws:cdk:path'];
    return typeof raw === 'string' ? raw.replace(/^[^/]+\//, '').replace(/\/Resource$/, '') : logicalId;
  };
  const where = (logicalId: string) => `${stack.name}/${pathOf(logicalId)}`;
  /** A policy document's statements, resolved; undefined (with a note) when it cannot be. */
  const documentStatements = (document: unknown, logicalId: string, kind: 'identity' | 'resource'): PolicyStatement[] | undefined => {
    try {
      const statements = statementsOf(refs.resolve(document), where(logicalId));
      for (const s of statements) validateStatement(s, kind);
      return statements;
    } catch (error) {
      model.notes.push(`${where(logicalId)}: its policy is not evaluated: ${(error as Error).message}`);
      return undefined;
    }
  };
  const tryString = (value: unknown): string | undefined => {
    try {
      return refs.resolveString(value);
    } catch {
      return undefined;
    }
  };

  // Roles first: policies attach to them by name.
  const roleByName = new Map<string, IamRole>();
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const role: IamRole = { arn: refs.getAtt(logicalId, 'Arn'), name: refs.ref(logicalId), path: pathOf(logicalId), account: refs.account, region: refs.region, statements: [], problems: [] };
    const p = resource.Properties ?? {};
    for (const inline of (p.Policies as Array<{ PolicyDocument?: unknown; PolicyName?: unknown }> | undefined) ?? []) {
      const statements = documentStatements(inline.PolicyDocument, logicalId, 'identity');
      if (statements) role.statements.push(...statements);
      else role.problems.push(`inline policy ${String(inline.PolicyName)} cannot be read`);
    }
    for (const value of (p.ManagedPolicyArns as unknown[] | undefined) ?? []) {
      const arn = tryString(value);
      const managed = arn === undefined ? undefined : awsManagedPolicy(arn);
      if (managed) role.statements.push(...managed);
      else if (arn !== undefined && awsManagedPolicyName(arn) !== undefined) {
        role.problems.push(`AWS managed policy ${awsManagedPolicyName(arn)} is not known to the local run`);
        model.notes.push(`${where(logicalId)}: AWS managed policy ${arn} is not known to the local run: what it allows is not counted (calls it would allow are reported denied)`);
      } else if (!resources.some(([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && arn === refs.ref(id))) {
        role.problems.push(`managed policy ${arn ?? JSON.stringify(value)} is not in the app`);
        model.notes.push(`${where(logicalId)}: managed policy ${arn ?? JSON.stringify(value)} is not in the app: what it allows is not counted`);
      }
    }
    if (p.PermissionsBoundary !== undefined) model.notes.push(`${where(logicalId)}: its permissions boundary is not applied by the local run (it can only narrow what the role may do)`);
    model.roles.set(role.arn, role);
    roleByName.set(role.name, role);
  }
  const attach = (logicalId: string, roleNames: unknown, document: unknown) => {
    const names = ((roleNames as unknown[] | undefined) ?? []).map(tryString);
    const targets = names.flatMap((n) => (n !== undefined && roleByName.has(n) ? [roleByName.get(n)!] : []));
    if (targets.length === 0) return;
    const statements = documentStatements(document, logicalId, 'identity');
    for (const role of targets) {
      if (statements) role.statements.push(...statements);
      else role.problems.push(`policy ${pathOf(logicalId)} cannot be read`);
    }
  };

  for (const [logicalId, resource] of resources) {
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        attach(logicalId, p.Roles, p.PolicyDocument);
        break;
      case 'AWS::IAM::RolePolicy':
        attach(logicalId, [p.RoleName], p.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        for (const value of (p.ManagedPolicyArns as unknown[] | undefined) ?? []) {
          const arn = tryString(value);
          const managed = resources.find(([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && arn === refs.ref(id));
          if (managed) attach(managed[0], [{ Ref: logicalId }], managed[1].Properties?.PolicyDocument);
        }
        break;
      case 'AWS::Lambda::Function': {
        const role = tryString(p.Role);
        if (role !== undefined) model.functionRoles.set(refs.arnOf(logicalId), role);
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const role = tryString(p.RoleArn);
        if (role !== undefined) model.stateMachineRoles.set(refs.arnOf(logicalId), role);
        break;
      }
      case 'AWS::Events::Rule': {
        const ruleArn = refs.getAtt(logicalId, 'Arn');
        for (const target of (p.Targets as Array<{ Id?: unknown; RoleArn?: unknown }> | undefined) ?? []) {
          const role = target.RoleArn === undefined ? undefined : tryString(target.RoleArn);
          if (role !== undefined) model.targetRoles.set(`${ruleArn}|${String(target.Id)}`, role);
        }
        break;
      }
      case 'AWS::S3::BucketPolicy': {
        const bucket = tryString(p.Bucket);
        const statements = documentStatements(p.PolicyDocument, logicalId, 'resource');
        if (bucket !== undefined && statements) addPolicy(model.resourcePolicies, `arn:aws:s3:::${bucket}`, statements);
        break;
      }
      case 'AWS::SQS::QueuePolicy': {
        const statements = documentStatements(p.PolicyDocument, logicalId, 'resource');
        for (const queue of (p.Queues as unknown[] | undefined) ?? []) {
          const target = refs.target(queue);
          if (target?.kind === 'queue' && statements) addPolicy(model.resourcePolicies, refs.arnOf(target.logicalId), statements);
        }
        break;
      }
      case 'AWS::SecretsManager::ResourcePolicy': {
        const target = refs.target(p.SecretId);
        const statements = documentStatements(p.ResourcePolicy, logicalId, 'resource');
        if (target?.kind === 'secret' && statements) addPolicy(model.resourcePolicies, refs.arnOf(target.logicalId), statements);
        break;
      }
      case 'AWS::Events::EventBusPolicy': {
        const bus = tryString(p.EventBusName) ?? 'default';
        const busArn = bus.startsWith('arn:') ? bus : `arn:aws:events:${refs.region}:${refs.account}:event-bus/${bus}`;
        const statement = p.Statement ?? {
          Sid: p.StatementId,
          Effect: 'Allow',
          Action: p.Action,
          Principal: p.Principal === '*' ? '*' : { AWS: p.Principal },
          Resource: busArn,
          ...(p.Condition ? { Condition: legacyBusCondition(p.Condition) } : {}),
        };
        const statements = documentStatements({ Statement: [statement] }, logicalId, 'resource');
        if (statements) addPolicy(model.resourcePolicies, busArn, statements);
        break;
      }
      case 'AWS::KMS::Key': {
        const statements = p.KeyPolicy === undefined ? defaultKeyPolicy(refs.account) : documentStatements(p.KeyPolicy, logicalId, 'resource');
        // A key policy that cannot be read allows nothing: calls using the key are denied and reported.
        model.keyPolicies.set(refs.getAtt(logicalId, 'Arn'), statements ?? []);
        break;
      }
    }
  }
  readEncryption(stack, model, tryString);
}

function addPolicy(policies: Map<string, PolicyStatement[]>, arn: string, statements: PolicyStatement[]): void {
  policies.set(arn, [...(policies.get(arn) ?? []), ...statements]);
}

/** `AWS::Events::EventBusPolicy`'s legacy `Condition` (`{ Type, Key, Value }`) as a policy condition. */
function legacyBusCondition(condition: unknown): Record<string, unknown> {
  const c = condition as { Type?: string; Key?: string; Value?: string };
  if (!c.Type || !c.Key) throw new UnsupportedPolicyError(`EventBusPolicy Condition ${JSON.stringify(condition)} is not { Type, Key, Value }`);
  return { [c.Type]: { [c.Key]: c.Value } };
}

/** The key policy AWS gives a key created without one: the account's IAM policies decide. */
function defaultKeyPolicy(account: string): PolicyStatement[] {
  return [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }];
}

/**
 * The customer managed key of each encrypted resource. A key given by id, ARN, alias name or alias
 * ARN of the app resolves to the key's ARN; an AWS managed key (`alias/aws/...`, or none given)
 * needs no key permission from callers and is not recorded; a key outside the app is recorded
 * with AWS's default key policy assumed (noted).
 */
function readEncryption(stack: PolicySource, model: AppPolicies, tryString: (value: unknown) => string | undefined): void {
  const { refs, template } = stack;
  const keys = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::KMS::Key');
  const aliases = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::KMS::Alias');
  const keyArnOf = (value: unknown, what: string): string | undefined => {
    const text = tryString(value);
    if (text === undefined) return undefined;
    for (const [id] of keys) if (text === refs.getAtt(id, 'Arn') || text === refs.ref(id)) return refs.getAtt(id, 'Arn');
    for (const [id, alias] of aliases) {
      const name = refs.ref(id);
      if (text === name || text === `arn:aws:kms:${refs.region}:${refs.account}:${name}`) return keyArnOf(alias.Properties?.TargetKeyId, what);
    }
    if (/(^|:)alias\/aws\//.test(text)) return undefined;
    const arn = text.startsWith('arn:') ? text : `arn:aws:kms:${refs.region}:${refs.account}:key/${text}`;
    if (!model.keyPolicies.has(arn)) {
      model.keyPolicies.set(arn, defaultKeyPolicy(refs.account));
      model.notes.push(`${what}: its KMS key ${text} is not in the app; AWS's default key policy (the account's IAM policies decide) is assumed`);
    }
    return arn;
  };
  const set = (arn: string, key: string | undefined, extra: Partial<ResourceKey> = {}) => {
    if (key !== undefined) model.encryption.set(arn, { keyArn: key, ...extra });
  };
  for (const b of stack.resources.buckets) {
    const p = template.Resources[b.logicalId]?.Properties ?? {};
    const rule = (p.BucketEncryption as { ServerSideEncryptionConfiguration?: Array<Record<string, unknown>> } | undefined)?.ServerSideEncryptionConfiguration?.[0];
    const byDefault = rule?.ServerSideEncryptionByDefault as { SSEAlgorithm?: string; KMSMasterKeyID?: unknown } | undefined;
    if (byDefault?.SSEAlgorithm?.startsWith('aws:kms') && byDefault.KMSMasterKeyID !== undefined) {
      set(refs.arnOf(b.logicalId), keyArnOf(byDefault.KMSMasterKeyID, `${stack.name}/${b.path}`), { bucketKey: rule?.BucketKeyEnabled === true });
    }
  }
  for (const q of stack.resources.queues) {
    const p = template.Resources[q.logicalId]?.Properties ?? {};
    if (p.KmsMasterKeyId !== undefined) set(refs.arnOf(q.logicalId), keyArnOf(p.KmsMasterKeyId, `${stack.name}/${q.path}`));
  }
  for (const s of stack.resources.streams) {
    const e = template.Resources[s.logicalId]?.Properties?.StreamEncryption as { EncryptionType?: string; KeyId?: unknown } | undefined;
    if (e?.EncryptionType === 'KMS' && e.KeyId !== undefined) set(refs.arnOf(s.logicalId), keyArnOf(e.KeyId, `${stack.name}/${s.path}`));
  }
  for (const s of stack.resources.secrets) {
    const p = template.Resources[s.logicalId]?.Properties ?? {};
    if (p.KmsKeyId !== undefined) set(refs.arnOf(s.logicalId), keyArnOf(p.KmsKeyId, `${stack.name}/${s.path}`));
  }
  for (const t of stack.resources.tables) {
    const sse = template.Resources[t.logicalId]?.Properties?.SSESpecification as { KMSMasterKeyId?: unknown } | undefined;
    if (sse?.KMSMasterKeyId !== undefined) set(refs.arnOf(t.logicalId), keyArnOf(sse.KMSMasterKeyId, `${stack.name}/${t.path}`));
  }
  for (const bus of stack.resources.eventBuses) {
    const key = template.Resources[bus.logicalId]?.Properties?.KmsKeyIdentifier;
    if (key !== undefined) set(refs.arnOf(bus.logicalId), keyArnOf(key, `${stack.name}/${bus.path}`));
  }
}
