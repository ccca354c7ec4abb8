/**
 * An in-process stand-in for SSM Parameter Store (there is no SSM emulator among the local ones),
 * for the state machines' `aws-sdk:ssm:*` tasks: seeded from the template's `AWS::SSM::Parameter`
 * resources, answering `GetParameter`, `GetParameters`, `PutParameter` and `DeleteParameter` with
 * the service's response shapes and error names. Nothing is stored on disk.
 */

/** A parameter as the stand-in holds it. */
export interface StoredParameter {
  readonly name: string;
  readonly type: 'String' | 'StringList' | 'SecureString';
  readonly value: string;
  readonly version: number;
  readonly lastModifiedDate: Date;
}

/** An error of the SSM API (its `name` is the service's exception name). */
export class ParameterStoreError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const TYPES = ['String', 'StringList', 'SecureString'] as const;

/** Parameters of one account and region. */
export class LocalParameterStore {
  /** Requests served, by operation. */
  public readonly calls: Record<string, number> = {};
  private readonly parameters = new Map<string, StoredParameter>();
  private readonly seeded = new Map<string, string>();

  constructor(
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** Creates a parameter as CloudFormation would (version 1). */
  public seed(name: string, type: string, value: string): void {
    const t = TYPES.find((x) => x === type) ?? 'String';
    this.parameters.set(name, { name, type: t, value, version: 1, lastModifiedDate: new Date() });
    this.seeded.set(name, value);
  }

  /** Parameters whose value differs from the seeded one (or that the run created). */
  public changed(): StoredParameter[] {
    return [...this.parameters.values()].filter((p) => this.seeded.get(p.name) !== p.value);
  }

  /** The current value of a parameter, if it exists. */
  public valueOf(nameOrArn: string): string | undefined {
    return this.parameters.get(this.nameOf(nameOrArn))?.value;
  }

  /** The ARN of a parameter (`arn:aws:ssm:<region>:<account>:parameter/<name>`). */
  public arnOf(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  /** `GetParameter`: `{ Parameter }`; `ParameterNotFound` when it does not exist. */
  public getParameter(input: { Name?: unknown; WithDecryption?: unknown }): { Parameter: Record<string, unknown> } {
    this.count('GetParameter');
    const parameter = this.parameters.get(this.nameOf(this.required(input.Name, 'Name')));
    if (!parameter) throw new ParameterStoreError('ParameterNotFound', `Parameter ${String(input.Name)} not found.`);
    return { Parameter: this.describe(parameter) };
  }

  /** `GetParameters`: the parameters found, and the names that were not. */
  public getParameters(input: { Names?: unknown; WithDecryption?: unknown }): { Parameters: Array<Record<string, unknown>>; InvalidParameters: string[] } {
    this.count('GetParameters');
    if (!Array.isArray(input.Names) || input.Names.length === 0) throw new ParameterStoreError('ValidationException', 'Names must be a non-empty list.');
    const found: Array<Record<string, unknown>> = [];
    const invalid: string[] = [];
    for (const name of input.Names.map(String)) {
      const parameter = this.parameters.get(this.nameOf(name));
      if (parameter) found.push(this.describe(parameter));
      else invalid.push(name);
    }
    return { Parameters: found, InvalidParameters: invalid };
  }

  /** `PutParameter`: `{ Version, Tier }`; `ParameterAlreadyExists` unless `Overwrite` is true. */
  public putParameter(input: { Name?: unknown; Value?: unknown; Type?: unknown; Overwrite?: unknown }): { Version: number; Tier: string } {
    this.count('PutParameter');
    const name = this.nameOf(this.required(input.Name, 'Name'));
    const value = this.required(input.Value, 'Value');
    const existing = this.parameters.get(name);
    if (existing && input.Overwrite !== true) {
      throw new ParameterStoreError('ParameterAlreadyExists', `The parameter ${name} already exists. To overwrite it, set Overwrite to true.`);
    }
    const type = input.Type === undefined ? (existing?.type ?? 'String') : TYPES.find((t) => t === input.Type);
    if (!type) throw new ParameterStoreError('ValidationException', `Type must be one of ${TYPES.join(', ')}, not ${String(input.Type)}.`);
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { name, type, value, version, lastModifiedDate: new Date() });
    return { Version: version, Tier: 'Standard' };
  }

  /** `DeleteParameter`: `{}`; `ParameterNotFound` when it does not exist. */
  public deleteParameter(input: { Name?: unknown }): Record<string, never> {
    this.count('DeleteParameter');
    const name = this.nameOf(this.required(input.Name, 'Name'));
    if (!this.parameters.delete(name)) throw new ParameterStoreError('ParameterNotFound', `Parameter ${name} not found.`);
    return {};
  }

  private describe(p: StoredParameter): Record<string, unknown> {
    return {
      Name: p.name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: p.lastModifiedDate.toISOString(),
      ARN: this.arnOf(p.name),
      DataType: 'text',
    };
  }

  /** A name from a name or an ARN (`...:parameter/a/b` names `/a/b`; `...:parameter/x` names `x`). */
  private nameOf(nameOrArn: string): string {
    const arn = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(nameOrArn);
    if (!arn) return nameOrArn;
    const path = arn[1];
    return this.parameters.has(path) ? path : path.slice(1);
  }

  private required(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') throw new ParameterStoreError('ValidationException', `${field} is required (a non-empty string).`);
    return value;
  }

  private count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
  }
}
