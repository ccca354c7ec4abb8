import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Where a physical name must be unique. */
export enum NameScope {
  /** Unique in the account, whatever the region (AWS Budgets budgets, CloudWatch dashboards). */
  ACCOUNT = 'account',
  /** Unique in the account and region (SSM parameters, metric dimensions, Glue databases, ...). */
  REGION = 'region',
}

/** Names claimed in each app (by the root of the construct tree): key → path of the construct that claimed it. */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims `name` (of the kind `what`) for `scope` within its app, and returns the path of the
 * construct that claimed it before, or undefined when it is free. Stacks whose account (or
 * region, for {@link NameScope.REGION}) differ do not collide; an unresolved account or region
 * (an environment-agnostic stack) is taken to be the same as any other unresolved one. A name
 * holding a token is not checked.
 *
 * This sees only the constructs of one app: the same name deployed by another app into the same
 * account (and region) still collides, at deploy time.
 */
export function claimUniqueName(scope: IConstruct, what: string, name: string, where: NameScope): string | undefined {
  if (Token.isUnresolved(name)) return undefined;
  const stack = Stack.of(scope);
  const account = Token.isUnresolved(stack.account) ? '<any account>' : stack.account;
  const region = where === NameScope.ACCOUNT ? '' : Token.isUnresolved(stack.region) ? '<any region>' : stack.region;
  const key = JSON.stringify([what, account, region, name]);
  const root = scope.node.root;
  let names = claims.get(root);
  if (!names) claims.set(root, (names = new Map()));
  const previous = names.get(key);
  if (previous !== undefined && previous !== scope.node.path) return previous;
  names.set(key, scope.node.path);
  return undefined;
}
