import { Template } from 'aws-cdk-lib/assertions';
import { TEST_ENV } from '../../support/cdk';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const { account, region } = TEST_ENV;

/** A placeholder for `Ref` / `Fn::GetAtt` of a resource, shaped like what CloudFormation returns. */
function placeholder(resources: Record<string, Json>, logicalId: string, attribute?: string, names: Record<string, string> = {}): string {
  if (!attribute && names[logicalId]) return names[logicalId];
  if (logicalId === 'AWS::Partition') return 'aws';
  if (logicalId === 'AWS::Region') return region;
  if (logicalId === 'AWS::AccountId') return account;
  if (logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
  const resource = resources[logicalId];
  const type = resource?.Type as string | undefined;
  const props = (resource?.Properties ?? {}) as Json;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${account}:function:${logicalId}`;
    case 'AWS::Lambda::Alias':
      return `arn:aws:lambda:${region}:${account}:function:${logicalId}:live`;
    case 'AWS::Lambda::Version':
      return attribute === 'Version' ? '1' : `arn:aws:lambda:${region}:${account}:function:${logicalId}:1`;
    case 'AWS::SSM::Parameter':
      return attribute ? `arn:aws:ssm:${region}:${account}:parameter${props.Name as string}` : (props.Name as string);
    case 'AWS::SQS::Queue':
      return attribute === 'Arn' ? `arn:aws:sqs:${region}:${account}:${logicalId}` : `https://sqs.${region}.amazonaws.com/${account}/${logicalId}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${account}:event-bus/${logicalId}`;
    case 'AWS::S3::Bucket':
      return attribute === 'Arn' ? `arn:aws:s3:::${logicalId.toLowerCase()}` : logicalId.toLowerCase();
    default:
      throw new Error(`no placeholder for ${logicalId} (${type ?? 'unknown'}) ${attribute ?? ''}`);
  }
}

function resolve(resources: Record<string, Json>, value: unknown, names: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if ('Ref' in v) return placeholder(resources, v.Ref as string, undefined, names);
  if ('Fn::GetAtt' in v) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    return placeholder(resources, id, attribute, names);
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(resources, p, names)).join(sep);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/**
 * The ASL of every state machine of a template, with placeholder ARNs for its references;
 * `names` gives the value of `Ref` for chosen logical ids (e.g. a bucket's name).
 */
export function stateMachineDefinitions(template: Template, names: Record<string, string> = {}): Record<string, Json> {
  const json = template.toJSON() as { Resources: Record<string, Json> };
  const out: Record<string, Json> = {};
  for (const [id, r] of Object.entries(json.Resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const props = r.Properties as Json;
    out[id] = JSON.parse(resolve(json.Resources, props.DefinitionString, names)) as Json;
  }
  return out;
}

/** Every state of a definition, nested Map and Parallel states included, by name. */
export function allStates(definition: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  const walk = (states: Record<string, Json>) => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
      if (processor) walk(processor.States as Record<string, Json>);
      for (const branch of (state.Branches as Json[] | undefined) ?? []) walk(branch.States as Record<string, Json>);
    }
  };
  walk(definition.States as Record<string, Json>);
  return out;
}
