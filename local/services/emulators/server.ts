/**
 * Pieces shared by the emulator modules: the fixed region and credentials every emulator accepts,
 * the handle each `start*` function returns, and listen/close helpers for plain `http.Server`s.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Region every emulator client is configured with (the emulators put it into ARNs). */
export const EMULATOR_REGION = 'us-east-1';

/** Dummy credentials: the emulators accept any signature, but the SDK insists on signing. */
/** (Frozen: give SDK clients a copy, the SDK writes into its credentials objects.) */
export const EMULATOR_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = Object.freeze({
  accessKeyId: 'test',
  secretAccessKey: 'test',
});

/**
 * SDK attempts per call against an emulator. Local servers do not throttle, so one retry is enough
 * to ride out a dropped keep-alive socket, and a real failure surfaces at once instead of after
 * the SDK's back-off.
 */
export const EMULATOR_MAX_ATTEMPTS = 2;

/** Where an emulator should listen. */
export interface ListenOptions {
  /** Interface to bind; `127.0.0.1` by default. */
  readonly host: string;
  /** TCP port; `0` asks the OS for a free one (the default). */
  readonly port: number;
}

/** A started emulator process-local server. */
export interface RunningEmulator {
  /** Base URL to give SDK clients as `endpoint`, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** The port actually bound. */
  readonly port: number;
  /** Closes the server and every open connection. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Formats the error thrown when an emulator cannot start, naming it and where it tried to listen. */
export function startError(label: string, where: ListenOptions, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`Failed to start the ${label} emulator on ${where.host}:${where.port}: ${reason}`, { cause });
}

/**
 * Listens on `where` and resolves with a {@link RunningEmulator} whose `stop()` closes the server
 * (through the server's own `close`, which dynalite and kinesalite wrap to close their in-memory
 * store) and destroys every socket, including keep-alive ones held by SDK clients.
 */
export async function listenHttp(server: Server, label: string, where: ListenOptions): Promise<RunningEmulator> {
  const sockets = new Set<Socket>();
  let stopping: Promise<void> | undefined;
  server.on('connection', (socket: Socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(startError(label, where, error));
    server.once('error', onError);
    server.listen(where.port, where.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw startError(label, where, new Error(`unexpected server address ${String(address)}`));
  }
  const port = address.port;
  return {
    endpoint: `http://${hostForUrl(where.host)}:${port}`,
    port,
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return stopping;
    },
  };
}

/** Host part of an endpoint URL for a bind address (wildcards become loopback, IPv6 gets brackets). */
export function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
