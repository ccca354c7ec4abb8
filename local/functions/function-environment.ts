/**
 * The environment a function runs with locally: its template variables resolved to the emulated
 * resources, the emulators' endpoints and credentials, and the variables Lambda itself sets.
 */
import type { LocalReferences } from '../template/references';
import type { LocalFunction } from '../template/template-resources';

/** Resolves a function's `Environment.Variables`; throws naming the variable that cannot be resolved. */
export function resolveEnvironment(fn: LocalFunction, refs: LocalReferences): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    try {
      env[name] = refs.resolveString(value);
    } catch (error) {
      throw new Error(`${fn.path}: cannot resolve environment variable ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return env;
}

/**
 * The complete environment of a local function: Lambda's own variables, then the emulators'
 * (endpoints, region, dummy credentials), then the function's resolved variables (a function
 * cannot override the endpoints: everything it calls must be local).
 */
export function functionEnvironment(
  fn: LocalFunction,
  resolved: Record<string, string>,
  emulatorEnv: Readonly<Record<string, string>>,
  taskRoot: string,
): Record<string, string> {
  const lambdaEnv: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: 'UTC',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const endpoints = Object.fromEntries(Object.entries(emulatorEnv).filter(([k]) => k.startsWith('AWS_ENDPOINT_URL')));
  return { ...lambdaEnv, ...emulatorEnv, ...resolved, ...endpoints };
}
