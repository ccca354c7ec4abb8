/**
 * How long the cost publisher's schedule input can get once CloudFormation resolves the names in
 * it, checked at synth: EventBridge refuses a rule target whose `Input` is over 8,192 characters,
 * which would otherwise fail the deploy, not the synth.
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';

/** The most characters EventBridge takes as a rule target's `Input` (AWS::Events::Rule Target). */
export const EVENTBRIDGE_INPUT_MAX_LENGTH = 8192;

/**
 * A name (or ARN) the request holds, as the bound of its resolved length: its exact text when it
 * is known at synth, else the longest the service allows, or the CloudFormation-generated name
 * (stack name, logical id and a 13-character suffix) when that is shorter.
 */
export interface NameLength {
  /** The resource the name is of (needed when the template gives no name). */
  readonly resource?: CfnResource;
  /** The name given in the template (a plain string, or a token), if any. */
  readonly explicitName: unknown;
  /** The longest name the service allows. */
  readonly serviceMax: number;
  /** Fixed text around the name in the resolved value (an ARN's prefix). @default 0 */
  readonly prefixLength?: number;
}

/** The longest an ARN prefix gets: `arn:aws-iso-b:states:ap-southeast-5:123456789012:stateMachine:`. */
export const LONGEST_ARN_PREFIX = 'arn:'.length + 'aws-iso-b'.length + 1 + 20 + 1 + 20 + 1 + 12 + 1 + 'stateMachine:'.length;

/** The longest `name` can be once resolved. */
export function resolvedNameBound(name: NameLength): number {
  const prefix = name.prefixLength ?? 0;
  // The L2s set the name property to a token resolving to nothing when no name is given.
  const given = name.resource && Token.isUnresolved(name.explicitName) ? Stack.of(name.resource).resolve(name.explicitName) : name.explicitName;
  if (typeof given === 'string' && !Token.isUnresolved(given)) return prefix + given.length;
  if (given !== undefined || name.resource === undefined) return prefix + name.serviceMax;
  const stack = Stack.of(name.resource);
  const logicalId = stack.resolve(name.resource.logicalId) as string;
  return prefix + Math.min(name.serviceMax, stack.stackName.length + 1 + logicalId.length + 1 + 13);
}

/**
 * The longest `request` can be as JSON once resolved: every token in it stands for a name of
 * `names` (by the token's text); a token not found there is counted as `fallback` characters.
 */
export function resolvedJsonBound(request: unknown, names: ReadonlyMap<string, NameLength>, fallback = 2048): number {
  let bounds = 0;
  // Each token is written as "" (its quotes stay in the text) and counted by its bound.
  const text = JSON.stringify(request, (_key, value: unknown) => {
    if (typeof value !== 'string' || !Token.isUnresolved(value)) return value;
    const name = names.get(value);
    bounds += name ? resolvedNameBound(name) : fallback;
    return '';
  });
  return text.length + bounds;
}
