/**
 * `start --pipeline <name>`: which pipeline of the app the input goes to. A pipeline is known by
 * its transform function (the one whose environment names the pipeline); the stream, bus rule and
 * batch route the input uses must sit under the same construct as that function.
 */
import { RUNTIME_ENV } from '../../lib/contract/environment';
import type { ProvisionedStack } from './provision';
import type { StartedFunction } from './wiring';

/** One pipeline found in the app. */
export interface PipelineCandidate {
  readonly name: string;
  readonly stack: ProvisionedStack;
  /** Construct path (without the stack) of the construct holding the transform: '' at the stack's root. */
  readonly prefix: string;
}

/** The pipelines of the started functions: one per transform function, in the order found. */
export function pipelinesOf(functions: readonly StartedFunction[]): PipelineCandidate[] {
  return functions
    .filter((f) => typeof f.variables[RUNTIME_ENV.pipeline] === 'string' && f.variables[RUNTIME_ENV.curatedBucket] !== undefined)
    .map((f) => ({ name: f.variables[RUNTIME_ENV.pipeline], stack: f.stack, prefix: f.fn.path.split('/').slice(0, -2).join('/') }));
}

/**
 * The pipeline `wanted` names (its pipelineName, or its construct path), or undefined when none was
 * asked for. Throws naming the pipelines there are when `wanted` matches none (or several).
 */
export function choosePipeline(candidates: readonly PipelineCandidate[], wanted: string | undefined): PipelineCandidate | undefined {
  if (wanted === undefined) return undefined;
  const byName = candidates.filter((c) => c.name === wanted);
  const matches = byName.length > 0 ? byName : candidates.filter((c) => c.prefix === wanted);
  if (matches.length === 1) return matches[0];
  const known = candidates.map((c) => `${c.name} (${c.prefix || 'stack root'})`).join(', ') || 'none';
  throw new Error(`--pipeline ${wanted} ${matches.length === 0 ? 'matches no pipeline' : 'matches several pipelines'}; the app has: ${known}`);
}

/** Whether the resource at `path` in `stack` belongs to the pipeline (everything does when none was chosen). */
export function belongsTo(pipeline: PipelineCandidate | undefined, stack: ProvisionedStack, path: string): boolean {
  if (!pipeline) return true;
  return stack === pipeline.stack && (pipeline.prefix === '' || path === pipeline.prefix || path.startsWith(`${pipeline.prefix}/`));
}
