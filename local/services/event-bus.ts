/**
 * A local EventBridge: buses with rules, `PutEvents` wrapping each entry in the EventBridge
 * envelope, real event-pattern matching ({@link matchesEventPattern}), and delivery to each
 * matching rule's targets (`Input`, `InputPath` or `InputTransformer`), with the target's
 * dead-letter queue when delivery fails.
 */
import { randomUUID } from 'node:crypto';
import { matchesEventPattern, validateEventPattern, type EventPattern } from './event-pattern';

export { matchesEventPattern, validateEventPattern, type EventPattern } from './event-pattern';

/** EventBridge's limit on one PutEvents entry (and on a whole call): 256 KiB. */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;

/** The default bus every account has (S3 object-created events go there). */
export const DEFAULT_BUS = 'default';

/** An event as EventBridge delivers it to targets. */
export interface EventBridgeEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/** One `PutEvents` entry. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** A JSON object, as a string. */
  readonly Detail: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
  readonly Time?: Date;
}

/** Where a rule sends a matching event. */
export interface BusTarget {
  readonly id: string;
  /** Delivers the (possibly transformed) event; throws when delivery fails. */
  deliver(payload: string): Promise<void>;
  /** Receives an event whose delivery failed, with the error (the target's DeadLetterConfig). */
  deadLetter?(payload: string, error: Error): Promise<void>;
  /** A JSONPath (`$` or `$.a.b`) selecting what is delivered. */
  readonly inputPath?: string;
  /** A constant JSON text delivered instead of the event. */
  readonly input?: string;
  /** Variables taken from the event by path, put into a template ({@link applyInputTransformer}). */
  readonly inputTransformer?: InputTransformer;
}

/** A target's `InputTransformer`. */
export interface InputTransformer {
  /** Variable name → JSONPath in the event (`$.detail.a.b`). */
  readonly inputPathsMap: Record<string, string>;
  /** The text delivered, with `<variable>` placeholders. */
  readonly inputTemplate: string;
}

/** A rule on a bus. */
export interface BusRule {
  readonly name: string;
  readonly eventBusName: string;
  readonly eventPattern: EventPattern;
  readonly targets: BusTarget[];
}

/** What one PutEvents call did. */
export interface PutEventsResult {
  readonly entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
  readonly failedEntryCount: number;
  /** Deliveries to targets (an event matching two rules counts twice). */
  readonly delivered: number;
  /** Events sent to a target's dead-letter queue. */
  readonly deadLettered: number;
  /** Accepted events that matched no rule (EventBridge drops them silently). */
  readonly unmatched: number;
}

/** The account and region of a bus, a rule or a caller. */
export interface BusEnvironment {
  readonly account: string;
  readonly region: string;
}

/**
 * Buses and rules of any number of accounts and regions (each stack's own): a bus is its
 * account, region and name, every account and region has its `default` bus, and an event carries
 * the account of the caller that put it and the region of its bus, as EventBridge's do (so rules
 * matching `account` or `region` match the events of their own stack).
 */
export class LocalEventBridge {
  private readonly rules: Array<{ key: string; rule: BusRule }> = [];
  private readonly buses = new Set<string>();
  private readonly environment: BusEnvironment;

  /** `account` and `region`: the environment of calls that name none. */
  constructor(account: string, region: string) {
    this.environment = { account, region };
  }

  /** Creates a bus (in `environment`, by default the constructor's). */
  public createEventBus(name: string, environment: BusEnvironment = this.environment): void {
    this.buses.add(busKey(environment, name));
  }

  /** Adds a rule (in `environment`); throws when its bus does not exist or its pattern is invalid. */
  public putRule(rule: BusRule, environment: BusEnvironment = this.environment): void {
    const key = busKey(environment, rule.eventBusName);
    if (!this.hasBus(key, rule.eventBusName)) throw new Error(`Rule ${rule.name}: event bus "${rule.eventBusName}" does not exist`);
    validateEventPattern(rule.eventPattern);
    this.rules.push({ key, rule });
  }

  /** The rules on a bus (of `environment`). */
  public rulesOf(eventBusName: string, environment: BusEnvironment = this.environment): readonly BusRule[] {
    const key = busKey(environment, eventBusName);
    return this.rules.filter((r) => r.key === key).map((r) => r.rule);
  }

  /**
   * `PutEvents` called from `caller` (an account and region; by default the constructor's):
   * validates each entry, then delivers it to the targets of every matching rule. An entry's
   * `EventBusName` is a bus of the caller's environment, or an ARN naming the bus's own.
   */
  public async putEvents(entries: readonly PutEventsEntry[], caller: BusEnvironment = this.environment): Promise<PutEventsResult> {
    const result = { entries: [] as PutEventsResult['entries'], failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: 0 };
    const busOf = new Map<EventBridgeEnvelope, string>();
    const accepted: EventBridgeEnvelope[] = [];
    for (const entry of entries) {
      const busName = busNameOf(entry.EventBusName);
      const busEnvironment = busEnvironmentOf(entry.EventBusName) ?? caller;
      const key = busKey(busEnvironment, busName);
      const problem = this.validate(entry, key, busName);
      if (problem) {
        result.entries.push(problem);
        result.failedEntryCount++;
        continue;
      }
      const event: EventBridgeEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: caller.account,
        time: (entry.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: busEnvironment.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail) as unknown,
      };
      result.entries.push({ EventId: event.id });
      accepted.push(event);
      busOf.set(event, key);
    }
    // The entries of one call are delivered concurrently, as EventBridge does (no ordering).
    await Promise.all(
      accepted.map(async (event) => {
        const key = busOf.get(event) as string;
        const matching = this.rules.filter((r) => r.key === key && matchesEventPattern(event, r.rule.eventPattern)).map((r) => r.rule);
        if (matching.length === 0) result.unmatched++;
        for (const rule of matching) {
          for (const target of rule.targets) {
            const payload =
              target.input ??
              (target.inputTransformer
                ? applyInputTransformer(event, target.inputTransformer, rule.name)
                : JSON.stringify(selectPath(event, target.inputPath)));
            try {
              await deliverWithRetry(target, payload);
              result.delivered++;
            } catch (error) {
              if (!target.deadLetter) throw error;
              await target.deadLetter(payload, error as Error);
              result.deadLettered++;
            }
          }
        }
      }),
    );
    return result;
  }

  private hasBus(key: string, busName: string): boolean {
    return busName === DEFAULT_BUS || this.buses.has(key);
  }

  private validate(entry: PutEventsEntry, key: string, busName: string): PutEventsResult['entries'][number] | undefined {
    if (!this.hasBus(key, busName)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    if (!entry.Source || !entry.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required.' };
    const size = Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail ?? '');
    if (size > MAX_EVENT_ENTRY_BYTES) {
      return { ErrorCode: 'EntryTooLarge', ErrorMessage: `Entry of ${size} bytes exceeds the ${MAX_EVENT_ENTRY_BYTES}-byte limit.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    }
    return undefined;
  }
}

/** A bus name from a `PutEvents` EventBusName (a name or an ARN; absent: the default bus). */
export function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return DEFAULT_BUS;
  const arn = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1] : nameOrArn;
}

/** The account and region of a bus ARN (`undefined` for a name). */
export function busEnvironmentOf(nameOrArn: string | undefined): BusEnvironment | undefined {
  const arn = nameOrArn && /^arn:[^:]+:events:([^:]+):(\d{12}):event-bus\/.+$/.exec(nameOrArn);
  return arn ? { account: arn[2], region: arn[1] } : undefined;
}

function busKey(environment: BusEnvironment, name: string): string {
  return `${environment.account}/${environment.region}/${name}`;
}

async function deliverWithRetry(target: BusTarget, payload: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await target.deliver(payload);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * What an `InputTransformer` delivers, as EventBridge builds it: each `<variable>` of the template
 * is replaced by the value its path selects in the event, as JSON (a string quoted, a missing
 * path `null`), or — inside a string of the template — as the string's escaped text. The
 * predefined `<aws.events.rule-name>`, `<aws.events.event.ingestion-time>` and
 * `<aws.events.event.json>` (the whole event) are known too.
 */
export function applyInputTransformer(event: EventBridgeEnvelope, transformer: InputTransformer, ruleName = ''): string {
  const values = new Map<string, unknown>([
    ['aws.events.rule-name', ruleName],
    ['aws.events.event.ingestion-time', event.time],
    ['aws.events.event.json', event],
  ]);
  for (const [name, path] of Object.entries(transformer.inputPathsMap)) values.set(name, selectPath(event, path));
  const template = transformer.inputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const placeholder = c === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && values.has(placeholder[1])) {
      const value = values.get(placeholder[1]);
      if (!inString) out += value === undefined ? 'null' : JSON.stringify(value);
      else if (value !== undefined) out += JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1);
      i += placeholder[0].length - 1;
      continue;
    }
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}

/** The value at a simple JSONPath (`$`, `$.detail`, `$.detail.a`). */
function selectPath(event: unknown, path: string | undefined): unknown {
  if (!path || path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`Unsupported InputPath ${path}`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), event);
}
