/**
 * The stack outputs the CLI works from: read from CloudFormation (`--stack`) or from the file
 * `cdk deploy --outputs-file` writes (`--outputs`), and looked up by logical name. CDK output keys
 * carry the construct path and a hash: `PipelineBufferDlqUrl9BA9DAB0` is the output `BufferDlqUrl`
 * of the construct `Pipeline`.
 */
import { readFileSync } from 'node:fs';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CliError, EXIT } from './context';

/** Output key → value of one stack. */
export type StackOutputs = Readonly<Record<string, string>>;

/** The key without CDK's 8-character hash suffix. */
export function logicalName(key: string): string {
  return key.replace(/[0-9A-F]{8}$/, '');
}

/**
 * Reads an outputs file (`{ "<stack>": { "<OutputKey>": "<value>" } }`). With several stacks in
 * it, `stack` picks one; with one, it is used.
 */
export function readOutputsFile(file: string, stack?: string): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read outputs file ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`outputs file ${file} is not an object of stacks ({ "<stack>": { "<OutputKey>": "<value>" } })`, EXIT.usage);
  }
  const stacks = parsed as Record<string, unknown>;
  const names = Object.keys(stacks);
  let name: string;
  if (stack !== undefined) {
    if (!(stack in stacks)) throw new CliError(`stack ${stack} is not in ${file} (it has: ${names.join(', ') || 'none'})`, EXIT.usage);
    name = stack;
  } else if (names.length === 1) {
    name = names[0];
  } else {
    throw new CliError(`${file} holds ${names.length} stacks (${names.join(', ') || 'none'}); choose one with --stack`, EXIT.usage);
  }
  const outputs = stacks[name];
  if (typeof outputs !== 'object' || outputs === null || Object.values(outputs).some((v) => typeof v !== 'string')) {
    throw new CliError(`outputs of stack ${name} in ${file} must be an object of strings`, EXIT.usage);
  }
  return outputs as StackOutputs;
}

/** Reads a deployed stack's outputs with CloudFormation DescribeStacks. */
export async function describeStackOutputs(cloudformation: CloudFormationClient, stack: string): Promise<StackOutputs> {
  const out = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
  const found = out.Stacks?.[0];
  if (!found) throw new CliError(`stack ${stack} not found`);
  const outputs: Record<string, string> = {};
  for (const o of found.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

/** Outputs whose logical name ends with `suffix` (e.g. `DlqUrl`), as `[key, value]`. */
export function findOutputs(outputs: StackOutputs, suffix: string): Array<[string, string]> {
  return Object.entries(outputs).filter(([key]) => key === suffix || logicalName(key).endsWith(suffix));
}

/**
 * The value of the output named `name` (an exact key, or a logical name such as `BufferDlqUrl`);
 * `undefined` when there is none; an error when several match.
 */
export function findOutput(outputs: StackOutputs, name: string): string | undefined {
  if (name in outputs) return outputs[name];
  const matches = findOutputs(outputs, name);
  if (matches.length > 1) {
    throw new CliError(`output ${name} is ambiguous: ${matches.map(([k]) => k).join(', ')}; give the full key`, EXIT.usage);
  }
  return matches[0]?.[1];
}

/** Like {@link findOutput}, but an error naming the output when it is missing. */
export function requireOutput(outputs: StackOutputs, name: string, why: string): string {
  const value = findOutput(outputs, name);
  if (value === undefined) {
    throw new CliError(`the stack has no output ${name} (needed ${why}); outputs: ${Object.keys(outputs).join(', ') || 'none'}`, EXIT.usage);
  }
  return value;
}
