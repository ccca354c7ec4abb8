import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createPiiHasher, type PiiHasher } from './pii-masking';

let cached: Promise<PiiHasher> | undefined;

/**
 * The PII hasher keyed with the pipeline's secret, fetched once per container (the key never
 * appears in logs or outputs). A failed fetch is not cached, so the next invocation tries again.
 * The Secrets Manager client is loaded on first use: it is needed once per container, and
 * loading it at init would add to every cold start.
 */
export function piiHasherFromSecret(secretArn: string, client?: SecretsManagerClient): Promise<PiiHasher> {
  if (!cached) {
    cached = Promise.resolve()
      .then(() => {
        // A plain require (not import()): resolved like the handler's other SDK modules (CommonJS
        // paths), and only when a pipeline hashes PII.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sdk = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
        return (client ?? new sdk.SecretsManagerClient({})).send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
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
