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
    cached = import('@aws-sdk/client-secrets-manager')
      .then(({ GetSecretValueCommand, SecretsManagerClient: Client }) =>
        (client ?? new Client({})).send(new GetSecretValueCommand({ SecretId: secretArn })),
      )
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
