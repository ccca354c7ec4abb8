import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { createPiiHasher, type PiiHasher } from './pii-masking';
import { retryWithinBudget } from './time-budget';

let cached: Promise<PiiHasher> | undefined;

/** How the secret is fetched. */
export interface PiiSecretOptions {
  /** The client. @default a SecretsManagerClient with `clientConfig` */
  readonly client?: SecretsManagerClient;
  /** Timeouts and retry strategy of the default client (see aws-clients.ts). @default the SDK's */
  readonly clientConfig?: SecretsManagerClientConfig;
  /**
   * Milliseconds left for retrying a failed fetch in this invocation (see `invocationBudget`): a
   * Secrets Manager outage is retried with backoff until then. None: one attempt (after the SDK's).
   */
  readonly remainingMs?: () => number;
  /** Waits between retries (tests). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The PII hasher keyed with the pipeline's secret, fetched once per container (the key never
 * appears in logs or outputs). A failed fetch is retried with backoff within the invocation's
 * budget (`options.remainingMs`), then thrown; it is not cached, so the next invocation tries again.
 * A secret that is missing or too short is a configuration error and is not retried.
 * The Secrets Manager client is loaded on first use: it is needed once per container, and
 * loading it at init would add to every cold start.
 */
export function piiHasherFromSecret(secretArn: string, options: PiiSecretOptions | SecretsManagerClient = {}): Promise<PiiHasher> {
  const opts: PiiSecretOptions = 'send' in options ? { client: options as SecretsManagerClient } : options;
  if (!cached) {
    cached = Promise.resolve()
      .then(() => {
        // A plain require (not import()): resolved like the handler's other SDK modules (CommonJS
        // paths), and only when a pipeline hashes PII.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sdk = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
        const client = opts.client ?? new sdk.SecretsManagerClient(opts.clientConfig ?? {});
        const fetch = () => client.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
        return opts.remainingMs ? retryWithinBudget(fetch, { remainingMs: opts.remainingMs, sleep: opts.sleep }) : fetch();
      })
      .then((out) => {
        const key = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('base64') : '');
        if (key.length < 16) throw new Error('the PII hashing secret is missing or shorter than 16 characters');
        return createPiiHasher(key);
      })
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
  }
  return cached;
}

/** Forgets the cached key (tests). */
export function resetPiiHasherCache(): void {
  cached = undefined;
}
