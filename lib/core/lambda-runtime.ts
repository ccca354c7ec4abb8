import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Lambda Node.js runtime names with a version: `nodejs24.x` → 24. */
const NODE_RUNTIME_NAME = /^nodejs(\d+)\.x$/;

/** The oldest Node.js major the library's Lambda code supports (its `engines` field). */
export const MIN_NODE_MAJOR = 20;

/**
 * The newest Node.js runtime among `known` (by default every runtime the installed aws-cdk-lib
 * defines, `lambda.Runtime.ALL`): the highest `nodejsNN.x`. This is the rule cdk-nag's
 * AwsSolutions-L1 and Serverless-LambdaLatestVersion apply, so the library's functions pass them
 * on every aws-cdk-lib version, and move to a new runtime when aws-cdk-lib learns of it.
 */
export function latestNodeRuntime(known: readonly lambda.Runtime[] = lambda.Runtime.ALL): lambda.Runtime {
  let latest: { runtime: lambda.Runtime; major: number } | undefined;
  for (const runtime of known) {
    const major = nodeMajor(runtime);
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || major === undefined) continue;
    // Among runtimes of the same name, the fixed one (Runtime.NODEJS_24_X, not NODEJS_LATEST).
    if (!latest || major > latest.major || (major === latest.major && latest.runtime.isVariable && !runtime.isVariable)) {
      latest = { runtime, major };
    }
  }
  if (!latest) throw new Error('cdk-serverless-etl: the installed aws-cdk-lib defines no nodejsNN.x Lambda runtime');
  return latest.runtime;
}

/** The Node.js major version of a `nodejsNN.x` runtime; undefined for anything else. */
export function nodeMajor(runtime: lambda.Runtime): number | undefined {
  const match = NODE_RUNTIME_NAME.exec(runtime.name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Why `runtime` cannot run the library's Lambda code, as a prop problem (`<prop> is <name>; ...`),
 * or undefined when it can: a `nodejsNN.x` runtime from Node.js 20 on.
 */
export function nodeRuntimeProblem(prop: string, runtime: lambda.Runtime | undefined): string | undefined {
  if (runtime === undefined) return undefined;
  const major = nodeMajor(runtime);
  if (runtime.family === lambda.RuntimeFamily.NODEJS && major !== undefined && major >= MIN_NODE_MAJOR) return undefined;
  return (
    `${prop} is ${runtime.name}; it must be a Node.js runtime from nodejs${MIN_NODE_MAJOR}.x to ` +
    `${latestNodeRuntime().name} (the library's Lambda code is JavaScript for Node.js ${MIN_NODE_MAJOR} or newer)`
  );
}

/** The esbuild `target` for code that runs on `runtime` (`nodejs24.x` → `node24`). */
export function esbuildTarget(runtime: lambda.Runtime): string {
  const major = nodeMajor(runtime);
  if (major === undefined) throw new Error(`cdk-serverless-etl: ${runtime.name} is not a nodejsNN.x runtime`);
  return `node${major}`;
}
