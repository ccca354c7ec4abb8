/**
 * The Lambda control plane of the run's event source mappings: `GetEventSourceMapping` and
 * `UpdateEventSourceMapping` with `Enabled`, as the operations CLI (`pause`, `resume`) and a state
 * machine's `aws-sdk:lambda:updateEventSourceMapping` task call them. A disabled mapping is not
 * polled: its stream's records and its queue's messages stay where they are (a Kinesis mapping
 * keeps its checkpoint), and polling picks up from there when it is enabled again, as on AWS.
 *
 * AWS answers an update with the transition (`Disabling`, `Enabling`) and settles a few seconds
 * later, the batches in flight finishing first; here a drain stops before its next batch and the
 * state is settled at the next `GetEventSourceMapping`. Updating a mapping in a transition gives
 * `ResourceInUseException` on AWS; here there is never one to wait out.
 */

/** A mapping as `GetEventSourceMapping` describes it (the fields the local run knows). */
export interface EventSourceMappingDescription {
  readonly UUID: string;
  readonly EventSourceMappingArn: string;
  readonly EventSourceArn: string;
  readonly FunctionArn: string;
  readonly State: 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling';
  readonly LastModified: Date;
}

/** An error answered as the Lambda API does (`name` is its error code). */
export class LambdaApiError extends Error {
  constructor(name: 'ResourceNotFoundException' | 'InvalidParameterValueException', message: string) {
    super(message);
    this.name = name;
  }
}

interface MappingState {
  readonly uuid: string;
  readonly arn: string;
  readonly eventSourceArn: string;
  readonly functionArn: string;
  /** Construct path, for the report. */
  readonly path: string;
  enabled: boolean;
  /** The state an update answered, until the next read settles it. */
  transition?: 'Enabling' | 'Disabling';
  lastModified: Date;
}

/** The run's event source mappings by UUID, with whether each is enabled. */
export class LocalEventSourceMappings {
  private readonly mappings = new Map<string, MappingState>();
  /** Each update, in order: construct path and `Enabled`. */
  public readonly updates: Array<{ readonly path: string; readonly enabled: boolean }> = [];

  /** Adds a mapping as the template creates it (`Enabled` defaults to true). */
  public register(mapping: { uuid: string; arn: string; eventSourceArn: string; functionArn: string; path: string; enabled: boolean }): void {
    this.mappings.set(mapping.uuid, { ...mapping, lastModified: new Date() });
  }

  /** Whether the mapping polls its source (an unknown UUID: true, it is not controlled here). */
  public isEnabled(uuid: string): boolean {
    return this.mappings.get(uuid)?.enabled ?? true;
  }

  /** The ARN of a mapping (`arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`). */
  public arnOf(uuid: string): string | undefined {
    return this.mappings.get(uuid)?.arn;
  }

  /** `GetEventSourceMapping`: a transition an update answered is settled by now. */
  public get(uuid: unknown): EventSourceMappingDescription {
    const m = this.find(uuid);
    m.transition = undefined;
    return describe(m);
  }

  /** `UpdateEventSourceMapping` with `Enabled` (other settings are not changed locally): answers the transition. */
  public update(uuid: unknown, enabled: unknown): EventSourceMappingDescription {
    const m = this.find(uuid);
    if (enabled !== undefined && typeof enabled !== 'boolean') throw new LambdaApiError('InvalidParameterValueException', `Enabled must be a boolean, not ${JSON.stringify(enabled)}`);
    if (typeof enabled === 'boolean' && enabled !== m.enabled) {
      m.enabled = enabled;
      m.transition = enabled ? 'Enabling' : 'Disabling';
      m.lastModified = new Date();
      this.updates.push({ path: m.path, enabled });
    }
    return describe(m);
  }

  private find(uuid: unknown): MappingState {
    const m = typeof uuid === 'string' ? this.mappings.get(uuid) : undefined;
    if (!m) throw new LambdaApiError('ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda; Status Code: 404; Error Code: ResourceNotFoundException; UUID ${String(uuid)})`);
    return m;
  }
}

function describe(m: MappingState): EventSourceMappingDescription {
  return {
    UUID: m.uuid,
    EventSourceMappingArn: m.arn,
    EventSourceArn: m.eventSourceArn,
    FunctionArn: m.functionArn,
    State: m.transition ?? (m.enabled ? 'Enabled' : 'Disabled'),
    LastModified: m.lastModified,
  };
}
