/**
 * Resolves CloudFormation intrinsic functions in template values to literals, for the local run:
 * `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub` and `Fn::If`-free values
 * (the subset CDK emits for environment variables, ARNs and event source mappings).
 */

/** Answers `Ref` and `Fn::GetAtt` for the resources and pseudo parameters of a template. */
export interface ReferenceLookup {
  /** The value of `{ Ref: id }` (a logical id or a pseudo parameter such as `AWS::Region`). */
  ref(id: string): string;
  /** The value of `{ 'Fn::GetAtt': [id, attribute] }`. */
  getAtt(id: string, attribute: string): string;
}

/**
 * Resolves `value` to a literal: strings, numbers and booleans as they are, arrays and objects
 * element by element, intrinsic functions through `lookup`. Throws on an intrinsic it does not
 * know, naming it.
 */
export function resolveIntrinsics(value: unknown, lookup: ReferenceLookup): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, lookup));
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    return resolveFunction(entries[0][0], entries[0][1], lookup);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, lookup)]));
}

/** {@link resolveIntrinsics}, then `String()` of the result (environment variables are strings). */
export function resolveToString(value: unknown, lookup: ReferenceLookup): string {
  const resolved = resolveIntrinsics(value, lookup);
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

function resolveFunction(name: string, args: unknown, lookup: ReferenceLookup): unknown {
  const str = (v: unknown) => resolveToString(v, lookup);
  switch (name) {
    case 'Ref':
      return lookup.ref(String(args));
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(args) ? args : String(args).split(/\.(.*)/);
      return lookup.getAtt(String(id), str(attribute));
    }
    case 'Fn::Join': {
      const [separator, parts] = args as [string, unknown];
      const list = resolveIntrinsics(parts, lookup) as unknown[];
      return list.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = args as [unknown, unknown];
      const items = resolveIntrinsics(list, lookup) as unknown[];
      const i = Number(resolveIntrinsics(index, lookup));
      if (!Array.isArray(items) || i < 0 || i >= items.length) throw new Error(`Fn::Select index ${i} out of range`);
      return items[i];
    }
    case 'Fn::Split': {
      const [separator, source] = args as [string, unknown];
      return str(source).split(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(args) ? (args as [string, Record<string, unknown>]) : [String(args), {}];
      return template.replace(/\$\{([^}!][^}]*)\}/g, (_, expr: string) => {
        if (variables && expr in variables) return str(variables[expr]);
        const [id, ...attribute] = expr.split('.');
        return attribute.length > 0 ? lookup.getAtt(id, attribute.join('.')) : lookup.ref(id);
      });
    }
    case 'Fn::Base64':
      return Buffer.from(str(args)).toString('base64');
    default:
      throw new Error(`The local run cannot resolve ${name} (${JSON.stringify(args).slice(0, 120)})`);
  }
}
