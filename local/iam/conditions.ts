/**
 * IAM condition operators, evaluated as AWS documents them: string, numeric, date, boolean,
 * binary, IP address, ARN and `Null` operators; `...IfExists`; the `ForAnyValue:` and
 * `ForAllValues:` set operators for multivalued keys. A key the request does not have makes a
 * positive operator false and a negated one (`StringNotEquals`, `ArnNotLike`, ...) true; `IfExists`
 * makes any operator true for a missing key. Policy variables in condition values are replaced by
 * the request's values. An operator not listed here throws {@link UnsupportedPolicyError}: a
 * policy the local run cannot read is never read as allowing or denying.
 */
import { literalWildcards, substituteVariables, wildcardMatch } from './wildcard';

/** A policy construct the evaluator does not model (it fails loudly instead of guessing). */
export class UnsupportedPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPolicyError';
  }
}

/** A request's condition keys (names compared case-insensitively), each with one or more values. */
export class RequestContext {
  private readonly values = new Map<string, readonly string[]>();

  constructor(entries: Readonly<Record<string, string | readonly string[] | undefined>> = {}) {
    for (const [key, value] of Object.entries(entries)) this.set(key, value);
  }

  /** Sets a key (undefined removes it); returns this. */
  public set(key: string, value: string | readonly string[] | undefined): this {
    if (value === undefined) this.values.delete(key.toLowerCase());
    else this.values.set(key.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
    return this;
  }

  /** The values of a key (undefined when the request does not have it). */
  public get(key: string): readonly string[] | undefined {
    return this.values.get(key.toLowerCase());
  }

  /** The single value of a key, for policy variables. */
  public first(key: string): string | undefined {
    return this.get(key)?.[0];
  }

  /** A copy with `more` keys set over these. */
  public with(more: Readonly<Record<string, string | readonly string[] | undefined>>): RequestContext {
    const copy = new RequestContext();
    for (const [k, v] of this.values) copy.values.set(k, v);
    for (const [k, v] of Object.entries(more)) copy.set(k, v);
    return copy;
  }

  /** The keys and values, for messages and tests. */
  public toJSON(): Record<string, readonly string[]> {
    return Object.fromEntries(this.values);
  }
}

type Compare = (conditionValue: string, requestValue: string) => boolean;

const BASE: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (c, r) => c === r, negated: false },
  StringNotEquals: { compare: (c, r) => c === r, negated: true },
  StringEqualsIgnoreCase: { compare: (c, r) => c.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (c, r) => c.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (c, r) => literalWildcards(c, r), negated: false },
  StringNotLike: { compare: (c, r) => literalWildcards(c, r), negated: true },
  NumericEquals: { compare: numeric((c, r) => r === c), negated: false },
  NumericNotEquals: { compare: numeric((c, r) => r === c), negated: true },
  NumericLessThan: { compare: numeric((c, r) => r < c), negated: false },
  NumericLessThanEquals: { compare: numeric((c, r) => r <= c), negated: false },
  NumericGreaterThan: { compare: numeric((c, r) => r > c), negated: false },
  NumericGreaterThanEquals: { compare: numeric((c, r) => r >= c), negated: false },
  DateEquals: { compare: date((c, r) => r === c), negated: false },
  DateNotEquals: { compare: date((c, r) => r === c), negated: true },
  DateLessThan: { compare: date((c, r) => r < c), negated: false },
  DateLessThanEquals: { compare: date((c, r) => r <= c), negated: false },
  DateGreaterThan: { compare: date((c, r) => r > c), negated: false },
  DateGreaterThanEquals: { compare: date((c, r) => r >= c), negated: false },
  Bool: { compare: (c, r) => c.toLowerCase() === r.toLowerCase(), negated: false },
  BinaryEquals: { compare: (c, r) => c === r, negated: false },
  IpAddress: { compare: (c, r) => inCidr(r, c), negated: false },
  NotIpAddress: { compare: (c, r) => inCidr(r, c), negated: true },
  ArnEquals: { compare: arnMatch, negated: false },
  ArnLike: { compare: arnMatch, negated: false },
  ArnNotEquals: { compare: arnMatch, negated: true },
  ArnNotLike: { compare: arnMatch, negated: true },
};

/** The operators the evaluator knows (before `IfExists` and the set prefixes). */
export const CONDITION_OPERATORS: readonly string[] = [...Object.keys(BASE), 'Null'];

/** Values of a condition as strings (IAM compares text: `1.2`, `true`). */
function conditionValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new UnsupportedPolicyError(`${where}: condition value ${JSON.stringify(v)} is not a string, number or boolean`);
  });
}

/**
 * Whether one condition operator block (`{ "StringEquals": { key: values } }`'s inner object)
 * holds for the request: every key must hold.
 */
export function conditionHolds(operator: string, keys: unknown, context: RequestContext): boolean {
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) throw new UnsupportedPolicyError(`condition ${operator}: expected an object of keys`);
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  let name = operator;
  const prefix = /^(ForAnyValue|ForAllValues):(.+)$/.exec(operator);
  if (prefix) {
    set = prefix[1] as 'ForAnyValue' | 'ForAllValues';
    name = prefix[2];
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  if (name === 'Null') {
    if (ifExists || set) throw new UnsupportedPolicyError(`condition operator ${operator} is not valid`);
    return Object.entries(keys as Record<string, unknown>).every(([key, value]) => {
      const absent = context.get(key) === undefined || context.get(key)!.length === 0;
      return conditionValues(value, `Null ${key}`).some((v) => (v.toLowerCase() === 'true') === absent);
    });
  }
  const base = BASE[name];
  if (!base) throw new UnsupportedPolicyError(`condition operator ${operator} is not modelled by the local run (known: ${CONDITION_OPERATORS.join(', ')}, with IfExists, ForAnyValue:, ForAllValues:)`);
  return Object.entries(keys as Record<string, unknown>).every(([key, raw]) => {
    const values = conditionValues(raw, `${operator} ${key}`).flatMap((v) => {
      const substituted = substituteVariables(v, (variable) => context.first(variable));
      return substituted === undefined ? [] : [substituted];
    });
    const actual = context.get(key);
    // One request value against the condition's values: positive operators need a match, negated ones none.
    const single = (r: string) => (base.negated ? !values.some((c) => base.compare(c, r)) : values.some((c) => base.compare(c, r)));
    if (set === 'ForAnyValue') return actual !== undefined && actual.some(single);
    if (set === 'ForAllValues') return actual === undefined || actual.every(single);
    if (actual === undefined || actual.length === 0) return ifExists || base.negated;
    return base.negated ? actual.every(single) : actual.some(single);
  });
}

function numeric(test: (condition: number, request: number) => boolean): Compare {
  return (c, r) => {
    const [cn, rn] = [Number(c), Number(r)];
    return Number.isFinite(cn) && Number.isFinite(rn) && test(cn, rn);
  };
}

function date(test: (condition: number, request: number) => boolean): Compare {
  const time = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));
  return (c, r) => {
    const [ct, rt] = [time(c), time(r)];
    return Number.isFinite(ct) && Number.isFinite(rt) && test(ct, rt);
  };
}

/** ARN conditions compare the six colon-separated parts one by one, each with wildcards. */
function arnMatch(pattern: string, arn: string): boolean {
  const split = (text: string) => {
    const parts = text.split(':');
    return parts.length < 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const [p, a] = [split(pattern), split(arn)];
  if (p.length === 1 && pattern.includes('*')) return wildcardMatch(pattern, arn);
  return p.length === a.length && p.every((part, i) => literalWildcards(part, a[i]));
}

function inCidr(ip: string, cidr: string): boolean {
  const toNumber = (address: string) => {
    const parts = address.split('.').map(Number);
    return parts.length === 4 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? parts.reduce((n, part) => n * 256 + part, 0) : undefined;
  };
  const [base, bits] = cidr.split('/');
  const [a, b] = [toNumber(ip), toNumber(base)];
  if (a === undefined || b === undefined) {
    if (ip.includes(':') || base.includes(':')) throw new UnsupportedPolicyError(`IpAddress with IPv6 (${cidr}) is not modelled by the local run`);
    return false;
  }
  const size = bits === undefined ? 32 : Number(bits);
  const block = 2 ** (32 - size);
  return Math.floor(a / block) === Math.floor(b / block);
}
