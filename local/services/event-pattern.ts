/**
 * EventBridge event-pattern matching, as the EventBridge service does it, for the patterns CDK
 * emits: exact values (strings, numbers, booleans, null), `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (values, `prefix`, `suffix`, `equals-ignore-case`,
 * `wildcard`), `exists`, `numeric` ranges, `cidr` (IPv4), `wildcard`, nested objects and `$or`.
 *
 * Semantics: every field of the pattern must match; a field matches when any of its matchers
 * matches; when the event's value is an array, one matching element is enough. Values are
 * case-sensitive and typed (the pattern `"5"` does not match the number 5).
 */

/** An EventBridge event pattern (as in a rule's `EventPattern`). */
export type EventPattern = Record<string, unknown>;

/** True when `event` (the full EventBridge envelope) matches `pattern`. */
export function matchesEventPattern(event: unknown, pattern: EventPattern): boolean {
  return matchObject(event, pattern, '');
}

/** Throws when `pattern` uses something {@link matchesEventPattern} does not understand. */
export function validateEventPattern(pattern: EventPattern): void {
  collect(pattern, '');
  function collect(p: unknown, at: string): void {
    if (!isObject(p)) throw new Error(`Invalid event pattern at "${at || '$'}": expected an object`);
    for (const [key, sub] of Object.entries(p)) {
      if (key === '$or') {
        if (!Array.isArray(sub)) throw new Error(`Invalid event pattern at "${at}.$or": expected an array`);
        sub.forEach((s, i) => collect(s, `${at}.$or[${i}]`));
      } else if (Array.isArray(sub)) {
        for (const m of sub) if (isObject(m)) validateMatcher(m, `${at}.${key}`);
      } else collect(sub, `${at}.${key}`);
    }
  }
}

function validateMatcher(m: Record<string, unknown>, path: string): void {
  if ('exists' in m) {
    if (typeof m.exists !== 'boolean') throw new Error(`Invalid event pattern at "${path}": exists needs true or false`);
    return;
  }
  if ('anything-but' in m) {
    const operand = m['anything-but'];
    if (isObject(operand) && !('equals-ignore-case' in operand)) operatorMatches(operand, 'x', `${path}.anything-but`);
    return;
  }
  operatorMatches(m, 'x', path);
}

function matchObject(value: unknown, pattern: EventPattern, at: string): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new Error(`Invalid event pattern at "${at}.$or": expected an array`);
      if (!sub.some((p) => matchObject(value, p as EventPattern, at))) return false;
      continue;
    }
    const field = isObject(value) ? value[key] : undefined;
    const path = `${at}.${key}`;
    if (Array.isArray(sub)) {
      if (!matchLeaf(field, sub, path)) return false;
    } else if (isObject(sub)) {
      const matched = Array.isArray(field) ? field.some((f) => matchObject(f, sub, path)) : matchObject(field, sub, path);
      if (!matched) return false;
    } else {
      throw new Error(`Invalid event pattern at "${path}": expected an array of matchers or an object, got ${JSON.stringify(sub)}`);
    }
  }
  return true;
}

function matchLeaf(field: unknown, matchers: unknown[], path: string): boolean {
  const values = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return matchers.some((m) => {
    if (!isObject(m)) return values.some((v) => equalsLiteral(m, v));
    if ('exists' in m) return m.exists === true ? values.length > 0 && !isObject(field) : field === undefined;
    if ('anything-but' in m) return values.some((v) => !isObject(v) && !anythingButExcludes(m['anything-but'], v, path));
    return values.some((v) => operatorMatches(m, v, path));
  });
}

function equalsLiteral(expected: unknown, value: unknown): boolean {
  if (typeof expected === 'number' && typeof value === 'number') return expected === value;
  return expected === value;
}

/** True when the `anything-but` operand excludes `value`. */
function anythingButExcludes(operand: unknown, value: unknown, path: string): boolean {
  if (Array.isArray(operand)) return operand.some((o) => equalsLiteral(o, value));
  if (isObject(operand)) {
    if ('equals-ignore-case' in operand) {
      const list = ([] as unknown[]).concat(operand['equals-ignore-case']);
      return typeof value === 'string' && list.some((o) => typeof o === 'string' && o.toLowerCase() === value.toLowerCase());
    }
    return operatorMatches(operand, value, `${path}.anything-but`);
  }
  return equalsLiteral(operand, value);
}

function operatorMatches(m: Record<string, unknown>, value: unknown, path: string): boolean {
  const keys = Object.keys(m);
  if (keys.length !== 1) throw new Error(`Invalid event pattern at "${path}": a matcher has exactly one operator, got ${JSON.stringify(m)}`);
  const [op] = keys;
  const operand = m[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const ignoreCase = isObject(operand) && 'equals-ignore-case' in operand;
      const text = ignoreCase ? (operand as Record<string, unknown>)['equals-ignore-case'] : operand;
      if (typeof text !== 'string') throw new Error(`Invalid event pattern at "${path}": ${op} needs a string`);
      if (typeof value !== 'string') return false;
      const [v, t] = ignoreCase ? [value.toLowerCase(), text.toLowerCase()] : [value, text];
      return op === 'prefix' ? v.startsWith(t) : v.endsWith(t);
    }
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new Error(`Invalid event pattern at "${path}": equals-ignore-case needs a string`);
      return typeof value === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'numeric':
      return numericMatches(operand, value, path);
    case 'cidr':
      return cidrMatches(operand, value, path);
    case 'wildcard':
      if (typeof operand !== 'string') throw new Error(`Invalid event pattern at "${path}": wildcard needs a string`);
      return typeof value === 'string' && wildcardRegExp(operand).test(value);
    default:
      throw new Error(`Invalid event pattern at "${path}": unknown operator "${op}"`);
  }
}

function numericMatches(operand: unknown, value: unknown, path: string): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`Invalid event pattern at "${path}": numeric needs [operator, number, ...]`);
  }
  const checks: Array<(v: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [op, n] = [operand[i], operand[i + 1]];
    if (typeof n !== 'number') throw new Error(`Invalid event pattern at "${path}": numeric operand ${JSON.stringify(n)} is not a number`);
    const compare: Record<string, (v: number) => boolean> = {
      '=': (v) => v === n,
      '<': (v) => v < n,
      '<=': (v) => v <= n,
      '>': (v) => v > n,
      '>=': (v) => v >= n,
    };
    if (!compare[String(op)]) throw new Error(`Invalid event pattern at "${path}": unknown numeric operator ${JSON.stringify(op)}`);
    checks.push(compare[String(op)]);
  }
  return typeof value === 'number' && checks.every((c) => c(value));
}

function cidrMatches(operand: unknown, value: unknown, path: string): boolean {
  const match = typeof operand === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(operand) : null;
  if (!match) throw new Error(`Invalid event pattern at "${path}": cidr needs an IPv4 block like "10.0.0.0/24"`);
  const network = ipv4(match[1]);
  const bits = Number(match[2]);
  const address = typeof value === 'string' ? ipv4(value) : undefined;
  if (network === undefined || address === undefined || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (address & mask) >>> 0 === (network & mask) >>> 0;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function wildcardRegExp(pattern: string): RegExp {
  const source = pattern
    .split(/(\\\*|\*)/)
    .map((part) => (part === '*' ? '.*' : part === '\\*' ? '\\*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
