/**
 * IAM's pattern matching: `*` matches any run of characters (none included), `?` any one
 * character, anything else itself. Policy variables (`${aws:PrincipalAccount}`) are replaced by the
 * request's value first; `${*}`, `${?}` and `${$}` stand for the literal characters.
 */

const compiled = new Map<string, RegExp>();

/** Whether `value` matches `pattern` (`*` and `?` wildcards); case-insensitive when asked (actions). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
    compiled.set(key, regex);
  }
  return regex.test(value);
}

/** Literal characters a policy variable may stand for. */
const ESCAPES: Record<string, string> = { '*': '\uE000', '?': '\uE001', $: '$' };

/**
 * `text` with each `${key}` replaced by the request's value of the condition key (keys compared
 * case-insensitively, as IAM does); `undefined` when a variable names a key the request does not
 * have (the element then matches nothing, as on AWS). `${*}`/`${?}` become literal characters:
 * they are returned as private-use characters, so {@link wildcardMatch} must not see them as wildcards (see
 * {@link literalWildcards}).
 */
export function substituteVariables(text: string, lookup: (key: string) => string | undefined): string | undefined {
  if (!text.includes('${')) return text;
  let missing = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name in ESCAPES) return ESCAPES[name];
    const value = lookup(name);
    if (value === undefined) {
      missing = true;
      return '';
    }
    return value;
  });
  return missing ? undefined : out;
}

/** Matches a pattern produced by {@link substituteVariables}, its escaped `*` and `?` taken literally. */
export function literalWildcards(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes(ESCAPES['*']) && !pattern.includes(ESCAPES['?'])) return wildcardMatch(pattern, value, ignoreCase);
  const parts = pattern.split(/([\uE000\uE001])/);
  const source = parts
    .map((part) =>
      part === ESCAPES['*'] ? '\\*' : part === ESCAPES['?'] ? '\\?' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]'),
    )
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}
