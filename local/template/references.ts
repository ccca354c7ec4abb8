/**
 * Physical values of a template's resources on the emulators (names, URLs, ARNs), so `Ref` and
 * `Fn::GetAtt` in environment variables, event source mappings, redrive policies and rule targets
 * resolve to the emulated resources.
 */
import type { Template } from './cloud-assembly';
import { createHash } from 'node:crypto';
import { resolveIntrinsics, resolveToString, type ReferenceLookup } from './intrinsics';
import { physicalName, type LocalResources } from './template-resources';

/** The account of an environment-agnostic stack locally (and of the emulators' own ARNs). */
export const LOCAL_ACCOUNT = '000000000000';

/** The region of an environment-agnostic stack locally (the emulators' region). */
export const LOCAL_REGION = 'us-east-1';

/** An account and region. */
export interface AwsEnvironment {
  readonly account: string;
  readonly region: string;
}

/**
 * The account and region a stack runs in locally: its own (`env` of the stack, as the cloud
 * assembly's `aws://<account>/<region>`), each part {@link LOCAL_ACCOUNT} / {@link LOCAL_REGION}
 * when the stack is environment-agnostic.
 */
export function environmentOf(stack: { readonly environment: string }): AwsEnvironment {
  const match = /^aws:\/\/([^/]*)\/(.*)$/.exec(stack.environment);
  const account = match && /^\d{12}$/.test(match[1]) ? match[1] : LOCAL_ACCOUNT;
  const region = match && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(match[2]) ? match[2] : LOCAL_REGION;
  return { account, region };
}

/** Options of {@link LocalReferences}. */
export interface LocalReferencesOptions {
  readonly region: string;
  /** The stack's account. @default LOCAL_ACCOUNT */
  readonly account?: string;
  /** Queue URLs by logical id, as the SQS emulator returned them. */
  readonly queueUrls?: ReadonlyMap<string, string>;
}

/** What a physical ARN or name refers to. */
export interface ResolvedTarget {
  readonly kind: 'bucket' | 'queue' | 'stream' | 'table' | 'eventBus' | 'secret' | 'function' | 'stateMachine' | 'parameter';
  readonly logicalId: string;
}

/** `Ref` / `Fn::GetAtt` answers for a stack's resources, as emulated locally. */
export class LocalReferences implements ReferenceLookup {
  /** The stack's account: `AWS::AccountId`, and the account of every ARN. */
  public readonly account: string;
  /** The stack's region: `AWS::Region`, and the region of every regional ARN. */
  public readonly region: string;
  private readonly kinds = new Map<string, { kind: ResolvedTarget['kind']; name: string }>();

  constructor(
    private readonly template: Template,
    private readonly resources: LocalResources,
    private readonly options: LocalReferencesOptions,
  ) {
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.region = options.region;
    const add = (kind: ResolvedTarget['kind'], list: ReadonlyArray<{ logicalId: string; name: string }>) => {
      for (const r of list) this.kinds.set(r.logicalId, { kind, name: r.name });
    };
    add('bucket', resources.buckets);
    add('queue', resources.queues);
    add('stream', resources.streams);
    add('table', resources.tables);
    add('eventBus', resources.eventBuses);
    add('secret', resources.secrets);
    add('function', resources.functions);
    add('stateMachine', resources.stateMachines);
    add('parameter', resources.parameters);
  }

  /** The ARN of a resource the local run emulates. */
  public arnOf(logicalId: string): string {
    return this.getAtt(logicalId, 'Arn');
  }

  /** Resolves a template value (intrinsics included) to a literal. */
  public resolve(value: unknown): unknown {
    return resolveIntrinsics(value, this);
  }

  /** Resolves a template value to a string. */
  public resolveString(value: unknown): string {
    return resolveToString(value, this);
  }

  /**
   * Finds the emulated resource a template value refers to: by `Ref`/`Fn::GetAtt` logical id, or
   * by the resolved ARN, URL or name (a function name may carry a `:qualifier`).
   */
  public target(value: unknown): ResolvedTarget | undefined {
    const direct = directLogicalId(value);
    if (direct && this.kinds.has(direct)) return { kind: this.kinds.get(direct)!.kind, logicalId: direct };
    let text: string;
    try {
      text = this.resolveString(value);
    } catch {
      return undefined;
    }
    for (const [logicalId, { kind, name }] of this.kinds) {
      const candidates = [name, this.ref(logicalId), this.arnOf(logicalId)];
      if (candidates.includes(text)) return { kind, logicalId };
      if (kind === 'function' && candidates.some((c) => text.startsWith(`${c}:`))) return { kind, logicalId };
    }
    return undefined;
  }

  public ref(id: string): string {
    const { account, region } = this;
    switch (id) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.resources.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${region}:${account}:stack/${this.resources.stackName}/local`;
    }
    const known = this.kinds.get(id);
    if (known?.kind === 'queue') return this.options.queueUrls?.get(id) ?? known.name;
    // Ref of a secret or a state machine is its ARN; of a parameter, its name.
    if (known?.kind === 'secret' || known?.kind === 'stateMachine') return this.arnOf(id);
    if (known) return known.name;
    const resource = this.template.Resources[id];
    if (resource?.Type === 'AWS::Lambda::Alias' || resource?.Type === 'AWS::Lambda::Version') return this.getAtt(id, 'Arn');
    if (!resource) throw new Error(`Ref to unknown resource or parameter "${id}"`);
    const iam = this.iamReference(id, resource);
    if (iam) return iam.ref;
    return id;
  }

  /**
   * Names and ARNs of the IAM and KMS resources and rules a template declares (not emulated, but
   * policies name them): a role's name and `arn:aws:iam::<account>:role/<path><name>`, a key's id
   * and `arn:aws:kms:<region>:<account>:key/<id>`, a customer managed policy's ARN, a rule's
   * `arn:aws:events:<region>:<account>:rule/[<bus>/]<name>` (its Ref `<bus>|<name>` on a custom bus), an
   * event source mapping's UUID and `arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`.
   */
  private iamReference(id: string, resource: { Type: string; Properties?: Record<string, unknown> }): { ref: string; attributes: Record<string, string> } | undefined {
    const { account, region } = this;
    const p = (resource.Properties ?? {}) as Record<string, unknown>;
    const literal = (v: unknown) => (typeof v === 'string' ? v : undefined);
    switch (resource.Type) {
      case 'AWS::IAM::Role': {
        const name = literal(p.RoleName) ?? physicalName(this.resources.stackName, id, 64, false);
        const rolePath = literal(p.Path) ?? '/';
        const hash = createHash('sha256').update(`${account}/${this.resources.stackName}/${id}`).digest('hex').toUpperCase();
        return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role${rolePath}${name}`, RoleId: `AROA${hash.slice(0, 17)}` } };
      }
      case 'AWS::KMS::Key': {
        const h = createHash('sha256').update(`${account}/${region}/${this.resources.stackName}/${id}`).digest('hex');
        const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
        return { ref: keyId, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${keyId}`, KeyId: keyId } };
      }
      case 'AWS::KMS::Alias': {
        const name = literal(p.AliasName) ?? `alias/${id}`;
        return { ref: name, attributes: {} };
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = literal(p.ManagedPolicyName) ?? physicalName(this.resources.stackName, id, 128, false);
        const arn = `arn:aws:iam::${account}:policy${literal(p.Path) ?? '/'}${name}`;
        return { ref: arn, attributes: { PolicyArn: arn } };
      }
      case 'AWS::Lambda::EventSourceMapping': {
        // Ref is the mapping's UUID (Lambda assigns it; stable per stack and logical id here).
        const h = createHash('sha256').update(`${account}/${region}/${this.resources.stackName}/${id}`).digest('hex');
        const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
        return { ref: uuid, attributes: { Id: uuid, EventSourceMappingArn: `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}` } };
      }
      case 'AWS::Events::Rule': {
        const rule = this.resources.rules.find((r) => r.logicalId === id);
        const name = rule?.name ?? literal(p.Name) ?? physicalName(this.resources.stackName, id, 64, false);
        const bus = p.EventBusName === undefined ? undefined : this.resolveString(p.EventBusName).replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');
        const custom = bus !== undefined && bus !== 'default';
        return { ref: custom ? `${bus}|${name}` : name, attributes: { Arn: `arn:aws:events:${region}:${account}:rule/${custom ? `${bus}/` : ''}${name}` } };
      }
    }
    return undefined;
  }

  public getAtt(id: string, attribute: string): string {
    const { account, region } = this;
    const known = this.kinds.get(id);
    const arnPrefix = (service: string) => `arn:aws:${service}:${region}:${account}`;
    if (known) {
      const { kind, name } = known;
      const arns: Record<ResolvedTarget['kind'], string> = {
        bucket: `arn:aws:s3:::${name}`,
        queue: `${arnPrefix('sqs')}:${name}`,
        stream: `${arnPrefix('kinesis')}:stream/${name}`,
        table: `${arnPrefix('dynamodb')}:table/${name}`,
        eventBus: `${arnPrefix('events')}:event-bus/${name}`,
        secret: `${arnPrefix('secretsmanager')}:secret:${name}-local0`,
        function: `${arnPrefix('lambda')}:function:${name}`,
        stateMachine: `${arnPrefix('states')}:stateMachine:${name}`,
        parameter: `${arnPrefix('ssm')}:parameter/${name.replace(/^\//, '')}`,
      };
      switch (attribute) {
        case 'Arn':
          return arns[kind];
        case 'QueueName':
        case 'Name':
        case 'BucketName':
          return name;
        case 'QueueUrl':
          return this.ref(id);
        case 'StreamArn':
          return `${arns[kind]}/stream/local`;
        case 'DomainName':
        case 'RegionalDomainName':
          return `${name}.s3.${region}.amazonaws.com`;
      }
      throw new Error(`Fn::GetAtt ${id}.${attribute} is not emulated`);
    }
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Fn::GetAtt of unknown resource "${id}"`);
    const p = (resource.Properties ?? {}) as Record<string, unknown>;
    if (resource.Type === 'AWS::Lambda::Alias') {
      if (attribute === 'Arn' || attribute === 'AliasArn') return `${this.getAtt(this.functionOf(p.FunctionName), 'Arn')}:${String(p.Name)}`;
    }
    if (resource.Type === 'AWS::Lambda::Version') {
      if (attribute === 'Version') return '1';
      if (attribute === 'Arn') return `${this.getAtt(this.functionOf(p.FunctionName), 'Arn')}:1`;
    }
    const iam = this.iamReference(id, resource);
    if (iam?.attributes[attribute] !== undefined) return iam.attributes[attribute];
    if (attribute === 'Arn') return `${arnPrefix('local')}:${id}`;
    return `${id}.${attribute}`;
  }

  private functionOf(value: unknown): string {
    const id = directLogicalId(value);
    if (id && this.kinds.get(id)?.kind === 'function') return id;
    const target = this.target(value);
    if (target?.kind !== 'function') throw new Error(`Cannot find the function of ${JSON.stringify(value)}`);
    return target.logicalId;
  }
}

function directLogicalId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  }
  return undefined;
}
