/**
 * Who is calling: each local function (and each other principal the run acts as) gets its own
 * access key id, put in its environment as `AWS_ACCESS_KEY_ID`; the front door reads the key id
 * from the request's SigV4 signature and finds the caller here. Requests signed with a key not
 * registered (the runner's own clients) are the run's administrator: nothing checks them.
 */

/** A principal requests are attributed to. */
export interface Caller {
  /** Stable id, e.g. the function's construct path. */
  readonly id: string;
  /** What the report calls it. */
  readonly label: string;
  /** The IAM role it runs as (a function's execution role ARN), when it has one. */
  readonly roleArn?: string;
  /** The role session's name (Lambda names it after the function). */
  readonly sessionName?: string;
  /**
   * The function's execution environment the calls come from (1, 2, ...: one per invocation in
   * flight), when the caller is one: each environment signs with a key of its own, so a call is
   * traced to the one invocation that made it.
   */
  readonly environment?: number;
}

/** The key of one signer: the caller, and its execution environment when it has one. */
export function signerOf(caller: Pick<Caller, 'id' | 'environment'>): string {
  return caller.environment === undefined ? caller.id : `${caller.id}#${caller.environment}`;
}

/** Credentials to give a caller's SDK clients. */
export interface CallerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The callers of one run, by access key id. */
export class CallerRegistry {
  private readonly byKey = new Map<string, Caller>();
  /** Credentials by signer ({@link signerOf}). */
  private readonly byId = new Map<string, CallerCredentials>();

  /** Registers `caller` (again: the same credentials) and returns the credentials it signs with. */
  public register(caller: Caller): CallerCredentials {
    const known = this.byId.get(signerOf(caller));
    if (known) return known;
    // AKIA + 16 characters, as an access key id looks; unique within the run.
    const accessKeyId = `AKIALOCAL${String(this.byKey.size + 1).padStart(11, '0')}`;
    const credentials = { accessKeyId, secretAccessKey: 'local-front-door' };
    this.byKey.set(accessKeyId, caller);
    this.byId.set(signerOf(caller), credentials);
    return credentials;
  }

  /** The caller that signs with `accessKeyId`; undefined for the run's own clients. */
  public callerOf(accessKeyId: string): Caller | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Every registered caller. */
  public callers(): Caller[] {
    return [...this.byKey.values()];
  }
}
