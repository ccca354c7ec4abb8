import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createPiiHasher } from '../../../lambda/runtime/pii-masking';
import { piiHasherFromSecret, resetPiiHasherCache } from '../../../lambda/runtime/pii-secret';

const smMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:clickstream-pii-AbCdEf';
const SECRET = 'k3y-0f-at-least-16-characters';

beforeEach(() => {
  smMock.reset();
  resetPiiHasherCache();
});

afterAll(() => {
  smMock.restore();
  resetPiiHasherCache();
});

describe('piiHasherFromSecret', () => {
  it('keys the hasher with the secret string', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const hasher = await piiHasherFromSecret(ARN, client);
    expect(hasher('user-101')).toBe(createPiiHasher(SECRET)('user-101'));
    expect(smMock.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: ARN });
  });

  it('fetches the secret once per container and caches the hasher', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const [a, b] = await Promise.all([piiHasherFromSecret(ARN, client), piiHasherFromSecret(ARN, client)]);
    const c = await piiHasherFromSecret(ARN, client);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a failed fetch: the next call tries again', async () => {
    smMock.on(GetSecretValueCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ SecretString: SECRET });
    await expect(piiHasherFromSecret(ARN, client)).rejects.toThrow('ThrottlingException');
    const hasher = await piiHasherFromSecret(ARN, client);
    expect(hasher('x')).toBe(createPiiHasher(SECRET)('x'));
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it.each([
    ['a short secret', { SecretString: 'too-short' }],
    ['an empty secret', { SecretString: '' }],
    ['no secret value', {}],
  ])('rejects %s without caching it', async (_label, output) => {
    smMock.on(GetSecretValueCommand).resolvesOnce(output).resolves({ SecretString: SECRET });
    await expect(piiHasherFromSecret(ARN, client)).rejects.toThrow('the PII hashing secret is missing or shorter than 16 characters');
    await expect(piiHasherFromSecret(ARN, client)).resolves.toEqual(expect.any(Function));
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('accepts a binary secret (keyed with its base64 text)', async () => {
    const bytes = Buffer.from('0123456789abcdef0123');
    smMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array(bytes) });
    const hasher = await piiHasherFromSecret(ARN, client);
    expect(hasher('user-101')).toBe(createPiiHasher(bytes.toString('base64'))('user-101'));
  });

  it('never returns the key itself in what it hashes', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const hasher = await piiHasherFromSecret(ARN, client);
    expect(hasher(SECRET)).not.toContain(SECRET);
  });
});
