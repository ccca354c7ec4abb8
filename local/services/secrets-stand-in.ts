/**
 * A local stand-in for AWS Secrets Manager (there is no Secrets Manager emulator among the local
 * ones): a tiny HTTP server on 127.0.0.1 that answers `GetSecretValue` (and `DescribeSecret`) in
 * the service's JSON protocol, so unmodified function code reaches it through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Secrets with `GenerateSecretString` get a random value per
 * run; nothing is stored on disk.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A secret the stand-in serves. */
export interface StandInSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
}

/** A running stand-in. */
export interface SecretsStandIn {
  /** Endpoint URL for SDK clients (`AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
  readonly endpoint: string;
  /** Requests served, by operation. */
  readonly calls: Readonly<Record<string, number>>;
  /** Closes the server and its connections. Idempotent. */
  stop(): Promise<void>;
}

/** A random secret like `GenerateSecretString` makes (letters and digits, plus punctuation unless excluded). */
export function generateSecretValue(length: number, excludePunctuation: boolean): string {
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${excludePunctuation ? '' : '!#$%&()*+,-./:;<=>?@[]^_{|}~'}`;
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** Starts the stand-in serving `secrets`. */
export async function startSecretsStandIn(secrets: readonly StandInSecret[]): Promise<SecretsStandIn> {
  const calls: Record<string, number> = {};
  const find = (id: unknown) => secrets.find((s) => s.arn === id || s.name === id || (typeof id === 'string' && s.arn.startsWith(`${id}-`)));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      calls[operation] = (calls[operation] ?? 0) + 1;
      let body: { SecretId?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
      } catch {
        return reply(res, 400, { __type: 'InvalidRequestException', message: 'The request body is not JSON.' });
      }
      const secret = find(body.SecretId);
      if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret') {
        return reply(res, 400, { __type: 'InvalidRequestException', message: `${operation || 'This operation'} is not supported by the local stand-in.` });
      }
      if (!secret) return reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      if (operation === 'DescribeSecret') return reply(res, 200, { ARN: secret.arn, Name: secret.name });
      return reply(res, 200, {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      });
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return stopping;
    },
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
