/**
 * The stack outputs the CLI works from: read from CloudFormation (`--stack`) or from the file
 * `cdk deploy --outputs-file` writes (`--outputs`), grouped by pipeline, and read once into a
 * {@link PipelineOutputs} the commands use.
 *
 * CDK output keys carry the construct path and a hash: `OrdersBufferDlqUrl9BA9DAB0` is the output
 * `BufferDlqUrl` of the construct `Orders`. Every `EtlPipeline` emits the outputs of
 * {@link PIPELINE_OUTPUT} under its construct path (and `<DLQ id>Url` per DLQ), so the part
 * before a known name is the pipeline's prefix; its `PipelineName` output says the `pipelineName`
 * it was given, which `--pipeline` matches.
 */
import { readFileSync } from 'node:fs';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DLQ_ID, DLQ_OUTPUT_SUFFIX, PIPELINE_OUTPUT, dlqOutputId, type PipelineOutputField } from '../lib/contract/stack-outputs';
import { CliError, EXIT } from './errors';

/** Output key → value of one stack. */
export type StackOutputs = Readonly<Record<string, string>>;

/** A field of {@link PipelineOutputs} read from one named output (the contract's output ids, lib/contract/stack-outputs.ts). */
export type OutputField = PipelineOutputField;

/** Outputs every pipeline with outputs has: a prefix with one of them is a pipeline. */
const ALWAYS_EMITTED: readonly OutputField[] = ['pipelineName', 'rawBucketName', 'transformFunctionName'];

/** What a DLQ holds, from its output's name: the DLQ ids `EtlPipeline`'s constructs give. */
export type DlqKind = 'buffer' | 'delivery' | 'workflow' | 'stream' | 'merge' | 'other';

/** A DLQ output of a pipeline (`<DLQ id>Url`, the id ending in `Dlq` and an optional number). */
export interface DlqOutput {
  /** The output key (`OrdersBufferDlqUrl9BA9DAB0`). */
  readonly key: string;
  /** The output's name within the pipeline (`BufferDlqUrl`). */
  readonly name: string;
  readonly url: string;
  readonly kind: DlqKind;
}

/** One pipeline's outputs, read once: each known output by field, its DLQs, and the raw map. */
export type PipelineOutputs = { readonly [F in OutputField]?: string } & {
  /** The logical-id prefix of its outputs (`Orders`); '' when the outputs carry none. */
  readonly prefix: string;
  /** How messages name the pipeline: its `pipelineName`, else its prefix, else "the stack". */
  readonly label: string;
  readonly dlqs: readonly DlqOutput[];
  /** Output key of each field present. */
  readonly keys: { readonly [F in OutputField]?: string };
  /**
   * The pipeline's outputs and the stack's outputs of no pipeline, key → value: where `--queue`
   * and `--to` output names are looked up.
   */
  readonly outputs: StackOutputs;
};

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

const FIELD_OF_NAME = new Map<string, OutputField>(Object.entries(PIPELINE_OUTPUT).map(([field, name]) => [name, field as OutputField]));
/** A DLQ's output: its construct id ends in `Dlq` and an optional number (`BufferDlq`, `KinesisDlq1`). */
const DLQ_NAME = new RegExp(`Dlq\\d*${DLQ_OUTPUT_SUFFIX}$`);
const STREAM_DLQ_NAME = new RegExp(`${DLQ_ID.kinesisPrefix}\\d+${DLQ_OUTPUT_SUFFIX}$`);

/** The kind of a DLQ by its output's name (within the pipeline; a whole logical name when there is no prefix). */
function dlqKind(name: string): DlqKind {
  if (name.endsWith(dlqOutputId(DLQ_ID.buffer))) return 'buffer';
  if (name.endsWith(dlqOutputId(DLQ_ID.delivery))) return 'delivery';
  if (name.endsWith(dlqOutputId(DLQ_ID.merge))) return 'merge';
  if (STREAM_DLQ_NAME.test(name)) return 'stream';
  if (name === dlqOutputId(DLQ_ID.workflow)) return 'workflow';
  return 'other';
}

/**
 * The stack's pipelines: prefixes of an output every pipeline emits ({@link ALWAYS_EMITTED});
 * when no output has one (a hand-written outputs file), prefixes of any known output. Each output
 * belongs to the longest prefix it starts with (`Orders` and `OrdersEu` are two pipelines);
 * outputs of no pipeline are returned apart.
 */
export function pipelinesOf(outputs: StackOutputs): { pipelines: PipelineOutputs[]; others: StackOutputs } {
  const prefixesOf = (fields: readonly OutputField[]) => {
    const found = new Set<string>();
    for (const key of Object.keys(outputs)) {
      const logical = logicalName(key);
      for (const field of fields) {
        const name = PIPELINE_OUTPUT[field];
        if (logical.endsWith(name)) found.add(logical.slice(0, -name.length));
      }
    }
    return found;
  };
  let prefixes = prefixesOf(ALWAYS_EMITTED);
  if (prefixes.size === 0) prefixes = prefixesOf(Object.keys(PIPELINE_OUTPUT) as OutputField[]);
  const longestFirst = [...prefixes].sort((a, b) => b.length - a.length || a.localeCompare(b));
  const owned = new Map<string, Record<string, string>>(longestFirst.map((p) => [p, {}]));
  const others: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const prefix = longestFirst.find((p) => logicalName(key).startsWith(p));
    if (prefix === undefined) others[key] = value;
    else (owned.get(prefix) as Record<string, string>)[key] = value;
  }
  const pipelines = [...owned.entries()]
    .map(([prefix, own]) => pipelineOf(prefix, own, others))
    .sort((a, b) => a.label.localeCompare(b.label));
  return { pipelines, others };
}

/** Reads one pipeline's outputs (`own`, all under `prefix`) into its typed object. */
function pipelineOf(prefix: string, own: StackOutputs, others: StackOutputs): PipelineOutputs {
  const fields: { [F in OutputField]?: string } = {};
  const keys: { [F in OutputField]?: string } = {};
  const dlqs: DlqOutput[] = [];
  for (const [key, value] of Object.entries(own)) {
    const name = logicalName(key).slice(prefix.length);
    const field = FIELD_OF_NAME.get(name);
    if (field !== undefined) {
      if (keys[field] !== undefined) throw new CliError(`outputs ${keys[field]} and ${key} both name ${name} of pipeline ${prefix || '(no prefix)'}`, EXIT.usage);
      fields[field] = value;
      keys[field] = key;
    } else if (DLQ_NAME.test(name)) {
      dlqs.push({ key, name, url: value, kind: dlqKind(name) });
    }
  }
  const label = fields.pipelineName ?? (prefix || 'the stack');
  return { ...fields, prefix, label, keys, dlqs, outputs: { ...others, ...own } };
}

/** How an error lists pipelines: `orders (outputs Orders…)`. */
function describe(p: PipelineOutputs): string {
  return p.pipelineName !== undefined ? `${p.pipelineName} (outputs ${p.prefix}…)` : `${p.prefix} (outputs ${p.prefix}…; no PipelineName output)`;
}

/**
 * The outputs of the pipeline the CLI works on: the one named `pipeline` (its `pipelineName`, or
 * the construct path prefix of its outputs), else the only one. Several pipelines and no
 * `pipeline` is an error listing them. A stack whose outputs name no pipeline gives an empty one
 * (commands then say which output they miss).
 */
export function selectPipeline(outputs: StackOutputs, pipeline?: string): PipelineOutputs {
  const { pipelines, others } = pipelinesOf(outputs);
  if (pipeline !== undefined) {
    const chosen = pipelines.filter((p) => p.pipelineName === pipeline);
    const byPrefix = pipelines.filter((p) => p.prefix === pipeline);
    const found = chosen.length > 0 ? chosen : byPrefix;
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new CliError(`several pipelines are named ${pipeline}: ${found.map(describe).join(', ')}; pass --pipeline <prefix> to choose one`, EXIT.usage);
    throw new CliError(
      `the stack has no pipeline ${pipeline}; ${pipelines.length === 0 ? 'its outputs name no pipeline' : `pipelines: ${pipelines.map(describe).join(', ')}`}`,
      EXIT.usage,
    );
  }
  if (pipelines.length === 1) return pipelines[0];
  if (pipelines.length > 1) {
    throw new CliError(`the stack has ${pipelines.length} pipelines: ${pipelines.map(describe).join(', ')}; choose one with --pipeline <name>`, EXIT.usage);
  }
  return pipelineOf('', others, {});
}

/** How messages name where outputs were looked for: `pipeline orders`, or `the stack`. */
export function scopeOf(pipeline: PipelineOutputs): string {
  return pipeline.prefix || pipeline.pipelineName !== undefined ? `pipeline ${pipeline.label}` : 'the stack';
}

/** The pipeline's output `field`, or an error naming the output, what needs it, and the outputs there are. */
export function requireOutput(pipeline: PipelineOutputs, field: OutputField, why: string): string {
  const value = pipeline[field];
  if (value === undefined) {
    throw new CliError(`${scopeOf(pipeline)} has no output ${PIPELINE_OUTPUT[field]} (needed ${why}); outputs: ${Object.keys(pipeline.outputs).join(', ') || 'none'}`, EXIT.usage);
  }
  return value;
}
