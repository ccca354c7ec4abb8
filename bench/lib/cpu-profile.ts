/**
 * A CPU profile of some async work, taken in-process with the inspector (V8's sampling profiler),
 * summarised as self time by category: where a handler's time goes, for the report's findings.
 */
import { Session } from 'node:inspector/promises';

/** One category of the summary and its share of the sampled (non-idle) time. */
export interface ProfileShare {
  readonly category: string;
  readonly share: number;
}

/** V8's profile, as far as the summary reads it. */
export interface CpuProfileLike {
  readonly nodes: ReadonlyArray<{ id: number; callFrame: { functionName: string; url: string } }>;
  readonly samples: readonly number[];
}

/** The category a sampled frame's self time counts toward. */
export function categoryOf(functionName: string, url: string): string | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(root)') return 'V8 and native (program)';
  if (/@smithy|@aws-sdk/.test(url)) return 'AWS SDK client (middleware, signing, serialization)';
  if (/schema-validators|[/\\]ajv/.test(url)) return 'schema validation';
  if (/@aws-lambda-powertools/.test(url)) return 'Powertools logger';
  const runtime = /lambda[/\\]runtime[/\\]([\w-]+)/.exec(url);
  if (runtime) return `runtime: ${runtime[1]}.ts`;
  if (/examples[/\\]clickstream/.test(url)) return 'the clickstream transform';
  if (/bench[/\\]lib[/\\]aws-stub/.test(url)) return 'benchmark stub (answering the HTTP request)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).replace(/^internal\//, '')}`;
  if (url === '' && functionName === 'writeSync') return 'native: zlib (gzip)';
  if (url === '') return `native: ${functionName || '(anonymous)'}`;
  return 'other JavaScript';
}

/** Self-time shares by category, largest first, the rest folded into "other" after `top`. */
export function summarise(profile: CpuProfileLike, top = 10): ProfileShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const counts = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id);
    const category = frame ? categoryOf(frame.functionName, frame.url) : undefined;
    if (!category) continue;
    counts.set(category, (counts.get(category) ?? 0) + 1);
    total++;
  }
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([category, n]) => ({ category, share: Math.round((n / Math.max(1, total)) * 1000) / 1000 }));
  if (sorted.length <= top) return sorted;
  const rest = sorted.slice(top).reduce((s, x) => s + x.share, 0);
  return [...sorted.slice(0, top), { category: 'other', share: Math.round(rest * 1000) / 1000 }];
}

/** Runs `work` under the sampling profiler and summarises where its CPU time went. */
export async function profileOf(work: () => Promise<unknown>): Promise<ProfileShare[]> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await work();
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfileLike };
    return summarise(profile);
  } finally {
    session.disconnect();
  }
}
