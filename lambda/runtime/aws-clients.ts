import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Attempts of one SDK call (the first and its retries), with the SDK's standard retry strategy. */
export const SDK_MAX_ATTEMPTS = 3;
/** Longest wait for a TCP/TLS connection to an AWS endpoint. */
export const SDK_MAX_CONNECTION_TIMEOUT_MS = 3_000;
/** Longest wait for one request's response (and longest silence of its socket). */
export const SDK_MAX_REQUEST_TIMEOUT_MS = 10_000;
/** Shortest request timeout, however short the function's timeout. */
export const SDK_MIN_REQUEST_TIMEOUT_MS = 1_000;

/** Timeouts and retry strategy of one runtime SDK client. */
export interface RuntimeClientConfig {
  readonly maxAttempts: number;
  readonly retryMode: 'standard';
  readonly requestHandler: NodeHttpHandler;
}

/**
 * The configuration of every SDK client the runtime creates: a hung call fails after its request
 * timeout and is retried (standard retry mode: exponential backoff with jitter, retry quota),
 * instead of running into the function's timeout. Sized against that timeout: all
 * {@link SDK_MAX_ATTEMPTS} attempts of one call, each lasting its full connection and request
 * timeouts, take at most about half of it (each timeout is a tenth of the function's timeout, at
 * most 3 s to connect and 10 s per request, at least 1 s per request), so the invocation still has
 * time to report its batch item failures.
 * @param functionTimeoutSeconds the function's timeout (`FUNCTION_TIMEOUT_SECONDS`)
 */
export function runtimeClientConfig(functionTimeoutSeconds: number): RuntimeClientConfig {
  const { connectionTimeout, requestTimeout } = sdkTimeouts(functionTimeoutSeconds);
  return {
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout,
      requestTimeout,
      // Newer handlers only warn past requestTimeout unless told to throw; older ones apply it to
      // the socket's idle time. socketTimeout bounds a stalled response body either way.
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    }),
  };
}

/** The connection and request timeouts (ms) of the runtime's clients for a function timeout. */
export function sdkTimeouts(functionTimeoutSeconds: number): { connectionTimeout: number; requestTimeout: number } {
  const tenth = (functionTimeoutSeconds * 1000) / 10;
  return {
    requestTimeout: Math.round(Math.min(SDK_MAX_REQUEST_TIMEOUT_MS, Math.max(SDK_MIN_REQUEST_TIMEOUT_MS, tenth))),
    connectionTimeout: Math.round(Math.min(SDK_MAX_CONNECTION_TIMEOUT_MS, Math.max(500, tenth / 2))),
  };
}
