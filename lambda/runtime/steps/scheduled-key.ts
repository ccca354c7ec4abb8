import type { ResolveKeyInput } from '../../../lib/contract/workflow-steps';

/**
 * The `resolveKey` step, the key of a scheduled run: `{yyyy}`, `{MM}`, `{dd}`, `{HH}` and `{date}`
 * (`yyyy-MM-dd`) of `time - offsetSeconds`, in UTC. Unknown placeholders are an error (synth
 * already rejects them).
 */
export function resolveKey(input: ResolveKeyInput): string {
  const at = new Date(Date.parse(input.time) - (input.offsetSeconds ?? 0) * 1000);
  if (Number.isNaN(at.getTime())) throw new Error(`resolveKey: time ${JSON.stringify(input.time)} is not an ISO 8601 date`);
  const iso = at.toISOString();
  const parts: Record<string, string> = {
    yyyy: iso.slice(0, 4),
    MM: iso.slice(5, 7),
    dd: iso.slice(8, 10),
    HH: iso.slice(11, 13),
    date: iso.slice(0, 10),
  };
  return input.template.replace(/\{([^}]*)\}/g, (placeholder: string, name: string) => {
    // Own placeholders only: "{constructor}" or "{toString}" is unknown, not an inherited member.
    const value = Object.prototype.hasOwnProperty.call(parts, name) ? parts[name] : undefined;
    if (value === undefined) throw new Error(`resolveKey: unknown placeholder ${placeholder} in ${JSON.stringify(input.template)}`);
    return value;
  });
}
