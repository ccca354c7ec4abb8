import type { AssemblyStack, Template, TemplateResource } from '../template/cloud-assembly';

/** A named thing in a template, shown by its construct path. */
export interface SummaryItem {
  readonly logicalId: string;
  /** Construct path without the stack name (e.g. `Pipeline/StreamIngest/Stream`). */
  readonly path: string;
  /** Short human description of its settings. */
  readonly detail: string;
}

/** What a stack would deploy, read from its synthesized template. */
export interface DeploySummary {
  readonly stackName: string;
  readonly environment: string;
  readonly resourceCount: number;
  readonly resourcesByType: Array<{ type: string; count: number }>;
  readonly inputs: SummaryItem[];
  readonly functions: SummaryItem[];
  readonly deadLetterQueues: SummaryItem[];
  readonly alarms: SummaryItem[];
  readonly outputs: Array<{ name: string; value: string; description: string }>;
}

/** Summarizes one synthesized stack: resources by type, inputs, functions, DLQs, alarms, outputs. */
export function summarizeStack(stack: AssemblyStack): DeploySummary {
  const { template } = stack;
  const resources = Object.entries(template.Resources ?? {});
  const counts = new Map<string, number>();
  for (const [, r] of resources) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  const describe = (v: unknown) => describeValue(v, template, stack.name);
  const item = (logicalId: string, detail: string): SummaryItem => ({
    logicalId,
    path: constructPath(template.Resources[logicalId], logicalId, stack.name),
    detail,
  });

  const inputs: SummaryItem[] = [];
  const functions: SummaryItem[] = [];
  const alarms: SummaryItem[] = [];
  for (const [id, r] of resources) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Kinesis::Stream') {
      const mode = (p.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode ?? 'PROVISIONED';
      const encrypted = (p.StreamEncryption as { EncryptionType?: string } | undefined)?.EncryptionType === 'KMS';
      inputs.push(item(id, `Kinesis stream, ${mode}, retention ${p.RetentionPeriodHours ?? 24} h${encrypted ? ', KMS' : ''}`));
    } else if (r.Type === 'AWS::Events::EventBus') {
      inputs.push(item(id, `EventBridge bus ${describe(p.Name)}${p.KmsKeyIdentifier ? ', KMS' : ''}`));
    } else if (r.Type === 'AWS::S3::Bucket' && eventBridgeEnabled(p)) {
      inputs.push(item(id, 'S3 bucket, object-created events to EventBridge'));
    } else if (r.Type === 'AWS::Lambda::Function') {
      functions.push(
        item(id, `${p.Runtime ?? 'custom'} ${((p.Architectures as string[]) ?? ['x86_64'])[0]}, ${p.MemorySize ?? 128} MB, timeout ${p.Timeout ?? 3} s`),
      );
    } else if (r.Type === 'AWS::CloudWatch::Alarm') {
      const actions = ((p.AlarmActions as unknown[]) ?? []).length;
      const metric = p.MetricName ? `${p.Namespace}/${p.MetricName} ${comparison(p.ComparisonOperator)} ${p.Threshold}` : 'metric math';
      alarms.push(item(id, `${metric}, ${actions} action${actions === 1 ? '' : 's'}`));
    } else if (r.Type === 'AWS::CloudWatch::CompositeAlarm') {
      alarms.push(item(id, `composite, ${((p.AlarmActions as unknown[]) ?? []).length} actions`));
    }
  }

  const deadLetterQueues = [...deadLetterQueueIds(template, stack.name)].map(([id, feeds]) => {
    const retentionDays = Number(template.Resources[id].Properties?.MessageRetentionPeriod ?? 345600) / 86400;
    return item(id, `retention ${retentionDays} days, fed by ${feeds.join(', ')}`);
  });

  const outputs = Object.entries(template.Outputs ?? {}).map(([name, o]) => ({
    name,
    value: describe(o.Value),
    description: o.Description ?? '',
  }));

  return {
    stackName: stack.name,
    environment: stack.environment,
    resourceCount: resources.length,
    resourcesByType: [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    inputs,
    functions,
    deadLetterQueues,
    alarms,
    outputs,
  };
}

/** SQS queues that receive failures: redrive targets, ESM on-failure destinations, rule-target DLQs. */
function deadLetterQueueIds(template: Template, stackName: string): Map<string, string[]> {
  const pathOf = (id: string) => constructPath(template.Resources[id], id, stackName);
  const pathOfRef = (ref: unknown) => {
    const id = referencedLogicalId(ref);
    return id && template.Resources[id] ? pathOf(id) : 'an external source';
  };
  const found = new Map<string, string[]>();
  const add = (ref: unknown, feeder: string) => {
    const id = referencedLogicalId(ref);
    if (!id || template.Resources[id]?.Type !== 'AWS::SQS::Queue') return;
    found.set(id, [...(found.get(id) ?? []), feeder]);
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::SQS::Queue') {
      add((p.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn, `redrive of ${pathOf(id)}`);
    } else if (r.Type === 'AWS::Lambda::EventSourceMapping') {
      add((p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination, `on-failure of the event source mapping for ${pathOfRef(p.EventSourceArn)}`);
    } else if (r.Type === 'AWS::Events::Rule') {
      for (const t of (p.Targets as Array<{ DeadLetterConfig?: { Arn?: unknown } }>) ?? []) {
        add(t.DeadLetterConfig?.Arn, `undelivered events of ${pathOf(id)}`);
      }
    } else if (r.Type === 'AWS::Lambda::Function') {
      add((p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn, `async invokes of ${pathOf(id)}`);
    } else if (r.Type === 'AWS::Lambda::EventInvokeConfig') {
      add((p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination, `failed async invocations of ${pathOfRef(p.FunctionName)}`);
    }
  }
  return found;
}

function eventBridgeEnabled(props: Record<string, unknown>): boolean {
  const config = props.NotificationConfiguration as { EventBridgeConfiguration?: { EventBridgeEnabled?: boolean } } | undefined;
  return config?.EventBridgeConfiguration?.EventBridgeEnabled === true;
}

function referencedLogicalId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0];
  }
  return undefined;
}

function constructPath(resource: TemplateResource | undefined, logicalId: string, stackName: string): string {
  const raw = resource?.Metadata?.['aws:cdk:path'];
  if (typeof raw !== 'string') return logicalId;
  return raw.replace(new RegExp(`^${escapeRegExp(stackName)}/`), '').replace(/\/Resource$/, '');
}

/** Renders a template value readably: literals as-is, references as construct paths. */
export function describeValue(value: unknown, template: Template, stackName: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const id = referencedLogicalId(value);
  if (id) {
    const attr = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[1];
    const name = template.Resources[id] ? constructPath(template.Resources[id], id, stackName) : id;
    return `<${name}${attr ? `.${attr}` : ''}>`;
  }
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (Array.isArray(join)) return join[1].map((part) => describeValue(part, template, stackName)).join(join[0]);
  return JSON.stringify(value);
}

function comparison(operator: unknown): string {
  const symbols: Record<string, string> = {
    GreaterThanThreshold: '>',
    GreaterThanOrEqualToThreshold: '>=',
    LessThanThreshold: '<',
    LessThanOrEqualToThreshold: '<=',
  };
  return symbols[String(operator)] ?? String(operator);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
