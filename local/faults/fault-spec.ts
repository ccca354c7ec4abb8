/**
 * The `--faults` spec of `start`: a comma-separated list of faults the local run injects into the
 * AWS calls the functions make (see fault-injector.ts). Grammar:
 *
 *   throttle:<service>[:<Operation>]:<amount>   the service's own throttling error
 *   5xx:<service>[:<Operation>]:<amount>        the service's internal error (HTTP 500)
 *   hang:<service>[:<Operation>]:<amount>       the call is held until the client gives up (its timeout)
 *   timeout-mid-batch[:<n>]                     the first n invocations that claimed records time out before writing their objects
 *   outage:<service>:<duration>[@<call>]        every call to the service fails (503 or a reset connection) for that long,
 *                                               from the call-th call the functions make to it (default the first)
 *
 * `<service>` is s3, dynamodb, sqs, kinesis or secretsmanager; `<Operation>` an API name of it
 * (PutObject, PutItem, GetSecretValue); `<amount>` a probability per call (`0.05` or `5%`) or a
 * count (`3x`: the first 3 matching calls); `<duration>` e.g. `500ms`, `2s`, `1m`.
 */
import type { FrontDoorService } from '../services/front-door/aws-request';

/** The kinds of fault. */
export const FAULT_KINDS = ['throttle', '5xx', 'hang', 'timeout-mid-batch', 'outage'] as const;

/** A kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The services faults can be injected into (those the front door stands before). */
export const FAULT_SERVICES: readonly FrontDoorService[] = ['s3', 'dynamodb', 'sqs', 'kinesis', 'secretsmanager'];

/** How often a per-call fault fires: with a probability per matching call, or on the first n. */
export type FaultRate = { readonly probability: number } | { readonly first: number };

/** A fault answered per call: throttling, an internal error, or a hung call. */
export interface CallFault {
  readonly kind: 'throttle' | '5xx' | 'hang';
  readonly service: FrontDoorService;
  /** Only this operation; every operation of the service when absent. */
  readonly operation?: string;
  readonly rate: FaultRate;
  /** The clause as written. */
  readonly text: string;
}

/** Invocations that time out after their idempotency claims are written, before their objects. */
export interface TimeoutMidBatchFault {
  readonly kind: 'timeout-mid-batch';
  /** How many invocations. */
  readonly count: number;
  readonly text: string;
}

/** A dependency outage: every call to the service fails for `durationMs`. */
export interface OutageFault {
  readonly kind: 'outage';
  readonly service: FrontDoorService;
  readonly durationMs: number;
  /** The outage begins with this call (1-based) the functions make to the service. */
  readonly fromCall: number;
  readonly text: string;
}

/** One fault of the spec. */
export type FaultClause = CallFault | TimeoutMidBatchFault | OutageFault;

/** A parsed `--faults` spec with its seed. */
export interface FaultPlan {
  /** The spec as given. */
  readonly spec: string;
  readonly seed: number;
  readonly clauses: readonly FaultClause[];
}

/** The seed when `--seed` is not given (so a faulted run is reproducible by default). */
export const DEFAULT_FAULT_SEED = 1;

const SERVICE_ALIASES: Record<string, FrontDoorService> = {
  s3: 's3',
  dynamodb: 'dynamodb',
  sqs: 'sqs',
  kinesis: 'kinesis',
  secretsmanager: 'secretsmanager',
  'secrets-manager': 'secretsmanager',
};

/** Parses a `--faults` spec; throws an error naming the clause and the part that is wrong. */
export function parseFaultSpec(spec: string, seed: number = DEFAULT_FAULT_SEED): FaultPlan {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number ≥ 0, not "${seed}"`);
  const texts = spec.split(',').map((t) => t.trim());
  if (spec.trim() === '') throw new Error('--faults is empty: give at least one fault, e.g. throttle:dynamodb:0.1');
  const clauses = texts.map((text, i) => {
    if (text === '') throw new Error(`--faults: fault ${i + 1} of "${spec}" is empty (two commas in a row, or one at the end?)`);
    try {
      return parseClause(text);
    } catch (error) {
      throw new Error(`--faults: "${text}": ${(error as Error).message}`, { cause: error });
    }
  });
  return { spec, seed, clauses };
}

function parseClause(text: string): FaultClause {
  const parts = text.split(':');
  const kind = parts[0].toLowerCase();
  if (kind === 'timeout-mid-batch') {
    if (parts.length > 2) throw new Error('expected timeout-mid-batch[:<count>]');
    return { kind, count: parts.length === 2 ? count(parts[1]) : 1, text };
  }
  if (kind === 'outage') {
    if (parts.length !== 3) throw new Error('expected outage:<service>:<duration>[@<call>], e.g. outage:dynamodb:2s@30');
    const [duration, from, ...rest] = parts[2].split('@');
    if (rest.length > 0) throw new Error(`"${parts[2]}" has more than one "@"`);
    return { kind, service: service(parts[1]), durationMs: durationMs(duration), fromCall: from === undefined ? 1 : callNumber(from), text };
  }
  if (kind === 'throttle' || kind === '5xx' || kind === 'hang') {
    if (parts.length !== 3 && parts.length !== 4) throw new Error(`expected ${kind}:<service>[:<Operation>]:<probability or count>, e.g. ${kind}:s3:PutObject:0.05`);
    const operation = parts.length === 4 ? operationName(parts[2]) : undefined;
    return { kind, service: service(parts[1]), ...(operation ? { operation } : {}), rate: rate(parts[parts.length - 1]), text };
  }
  throw new Error(`unknown fault "${parts[0]}" (one of ${FAULT_KINDS.join(', ')})`);
}

function service(name: string): FrontDoorService {
  const found = SERVICE_ALIASES[name.toLowerCase()];
  if (!found) throw new Error(`unknown service "${name}" (one of ${FAULT_SERVICES.join(', ')})`);
  return found;
}

function operationName(name: string): string {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`"${name}" is not an API operation name (e.g. PutObject, PutItem, GetSecretValue)`);
  return name;
}

function rate(text: string): FaultRate {
  const first = /^(\d+)x$/.exec(text);
  if (first) return { first: count(first[1]) };
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const probability = percent ? Number(percent[1]) / 100 : /^(\d+(?:\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!(probability > 0 && probability <= 1)) {
    throw new Error(`"${text}" is neither a probability (above 0, at most 1: 0.05 or 5%) nor a count of calls (3x)`);
  }
  return { probability };
}

function count(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new Error(`"${text}" is not a count (a whole number ≥ 1)`);
  return n;
}

function callNumber(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new Error(`"@${text}" must name the call the outage begins with (a whole number ≥ 1)`);
  return n;
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'] : NaN;
  if (!(ms >= 1 && ms <= 15 * 60_000)) throw new Error(`"${text}" is not a duration from 1ms to 15m (e.g. 500ms, 2s, 1m)`);
  return Math.round(ms);
}

/**
 * Checks that each operation named in `plan` is an operation of its service, as the AWS SDK for
 * JavaScript v3 knows them (its `<Operation>Command` classes); throws naming the first unknown one.
 */
export function checkFaultOperations(plan: FaultPlan): void {
  for (const clause of plan.clauses) {
    if (!('operation' in clause) || !clause.operation) continue;
    const commands = sdkCommands(clause.service);
    if (commands.has(clause.operation)) continue;
    const sameLetters = [...commands].find((c) => c.toLowerCase() === clause.operation?.toLowerCase());
    throw new Error(
      `--faults: "${clause.text}": ${clause.service} has no operation "${clause.operation}"` +
        (sameLetters ? ` (did you mean ${sameLetters}?)` : ' (operation names are the API names, e.g. PutObject, PutItem, GetSecretValue)'),
    );
  }
}

const SDK_PACKAGES: Record<FrontDoorService, string> = {
  s3: '@aws-sdk/client-s3',
  dynamodb: '@aws-sdk/client-dynamodb',
  sqs: '@aws-sdk/client-sqs',
  kinesis: '@aws-sdk/client-kinesis',
  secretsmanager: '@aws-sdk/client-secrets-manager',
};

function sdkCommands(service: FrontDoorService): Set<string> {
  // Loaded only when an operation of the service is named (a client package takes a moment to load).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(SDK_PACKAGES[service]) as Record<string, unknown>;
  return new Set(Object.keys(exports).filter((k) => k.endsWith('Command') && typeof exports[k] === 'function').map((k) => k.slice(0, -'Command'.length)));
}
