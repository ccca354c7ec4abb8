/**
 * The local front door: one HTTP endpoint per service between the local functions and the
 * emulators, where every request is seen as AWS would see it (service, operation, caller) before
 * it reaches an emulator. Interceptors run in order: an authorizer answers AccessDenied, a fault
 * injector answers throttling or holds a call, and whatever none of them answers is passed on to
 * the emulator unchanged (and its answer back). Functions get these endpoints and their own
 * credentials (see {@link CallerRegistry}); the runner's own clients keep talking to the emulators.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FrontDoorResponse } from './aws-error';
import { parseAwsRequest, type AwsRequest, type FrontDoorService } from './aws-request';
import type { Caller, CallerRegistry } from './callers';

export type { FrontDoorResponse } from './aws-error';

/** What an interceptor is told besides the request. */
export interface InterceptContext {
  /** The registered caller, or undefined for the run's own clients. */
  readonly caller?: Caller;
  /** Aborted when the client gives up on the request (its socket closes): stop holding it. */
  readonly signal: AbortSignal;
}

/** A step every request passes through. */
export interface FrontDoorInterceptor {
  /** Name for the report (e.g. `iam`, `faults`). */
  readonly name: string;
  /**
   * Before the request goes on: return a response to answer it here (the emulator never sees it),
   * or undefined to pass it on. May wait (a slow or hung call).
   */
  beforeRequest?(request: AwsRequest, context: InterceptContext): FrontDoorResponse | undefined | Promise<FrontDoorResponse | undefined>;
  /** With the emulator's answer: return a response to replace it, or undefined to keep it. */
  afterResponse?(request: AwsRequest, response: FrontDoorResponse, context: InterceptContext): FrontDoorResponse | undefined | Promise<FrontDoorResponse | undefined>;
}

/** Options of {@link startFrontDoor}. */
export interface FrontDoorOptions {
  /** The endpoint each service is passed on to (the emulator's, or a stand-in's). */
  readonly upstreams: Readonly<Partial<Record<FrontDoorService, string>>>;
  readonly callers: CallerRegistry;
  readonly interceptors?: readonly FrontDoorInterceptor[];
}

/** A running front door. */
export interface FrontDoor {
  /** The front door's endpoint for each service. */
  readonly endpoints: Readonly<Partial<Record<FrontDoorService, string>>>;
  /**
   * `AWS_ENDPOINT_URL_<SERVICE>` for each service, pointing at the front door (give these to the
   * functions in place of the emulators').
   */
  readonly env: Readonly<Record<string, string>>;
  /** Requests seen, by caller label (`run` for unregistered callers) and `service:Operation`. */
  readonly calls: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Adds an interceptor after the ones given at start. */
  use(interceptor: FrontDoorInterceptor): void;
  /** Closes every endpoint and connection. Idempotent. */
  stop(): Promise<void>;
}

const ENDPOINT_VARIABLE: Record<FrontDoorService, string> = {
  s3: 'AWS_ENDPOINT_URL_S3',
  sqs: 'AWS_ENDPOINT_URL_SQS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  kinesis: 'AWS_ENDPOINT_URL_KINESIS',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/** Starts one endpoint per upstream service on 127.0.0.1 (ports picked by the OS). */
export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const interceptors = [...(options.interceptors ?? [])];
  const calls = new Map<string, Map<string, number>>();
  const agent = new http.Agent({ keepAlive: true });
  const servers: Array<{ server: http.Server; sockets: Set<Socket> }> = [];
  const endpoints: Partial<Record<FrontDoorService, string>> = {};
  const env: Record<string, string> = {};
  try {
    for (const [service, upstream] of Object.entries(options.upstreams) as Array<[FrontDoorService, string]>) {
      const server = http.createServer((req, res) => {
        handle(service, upstream, req, res).catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`front door: ${(error as Error).message}`);
        });
      });
      const sockets = new Set<Socket>();
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push({ server, sockets });
      endpoints[service] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      env[ENDPOINT_VARIABLE[service]] = endpoints[service];
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  async function handle(service: FrontDoorService, upstream: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const request = parseAwsRequest(service, req.method ?? 'GET', req.url ?? '/', req.headers, body);
    const caller = options.callers.callerOf(request.accessKeyId);
    count(caller?.label ?? 'run', `${service}:${request.operation}`);
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const context: InterceptContext = { caller, signal: aborted.signal };
    for (const interceptor of interceptors) {
      const answer = await interceptor.beforeRequest?.(request, context);
      if (aborted.signal.aborted) return;
      if (answer) return send(res, answer);
    }
    let response = await forward(upstream, req, body);
    for (const interceptor of interceptors) {
      const replaced = await interceptor.afterResponse?.(request, response, context);
      if (aborted.signal.aborted) return;
      if (replaced) response = replaced;
    }
    send(res, response);
  }

  function forward(upstream: string, req: http.IncomingMessage, body: Buffer): Promise<FrontDoorResponse> {
    const target = new URL(req.url ?? '/', upstream);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      const out = http.request(target, { method: req.method, headers, agent }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('error', reject);
        answer.on('end', () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: answer.statusCode ?? 500, headers: responseHeaders, body: Buffer.concat(parts) });
        });
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  function send(res: http.ServerResponse, response: FrontDoorResponse): void {
    if (response.resetConnection) {
      res.socket?.destroy();
      return;
    }
    const payload = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
    const headers: Record<string, string> = { ...response.headers };
    // A HEAD answer keeps the emulator's content-length (the object's size, not the empty body's).
    if (!(res.req.method === 'HEAD' && headers['content-length'] !== undefined)) headers['content-length'] = String(payload.length);
    res.writeHead(response.status, headers);
    res.end(res.req.method === 'HEAD' ? undefined : payload);
  }

  function count(label: string, key: string): void {
    const byOperation = calls.get(label) ?? new Map<string, number>();
    byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
    calls.set(label, byOperation);
  }

  let stopping: Promise<void> | undefined;
  function closeAll(): Promise<void> {
    stopping ??= (async () => {
      await Promise.all(
        servers.map(
          ({ server, sockets }) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              for (const socket of sockets) socket.destroy();
            }),
        ),
      );
      agent.destroy();
    })();
    return stopping;
  }

  return {
    endpoints: Object.freeze(endpoints),
    env: Object.freeze(env),
    calls,
    use: (interceptor) => void interceptors.push(interceptor),
    stop: closeAll,
  };
}
