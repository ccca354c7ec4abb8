/**
 * The app's resources as requests name them (a bucket name, a queue URL, a table or stream name,
 * a secret's name or ARN) with the ARN, account and region IAM sees, and the customer managed key
 * that encrypts each. A name the app does not declare still gets the ARN AWS would give it, in
 * the caller's account and region.
 */
import type { LocalReferences } from '../template/references';
import type { LocalResources } from '../template/template-resources';
import type { ResourceKey } from './app-policies';

/** A resource as IAM sees it. */
export interface DirectoryEntry {
  readonly arn: string;
  readonly account: string;
  readonly region: string;
}

/** A stack whose resources the directory learns (a provisioned stack). */
export interface DirectorySource {
  readonly resources: LocalResources;
  readonly refs: LocalReferences;
  /** Queue URLs by logical id, as the emulator returned them. */
  readonly queueUrls: ReadonlyMap<string, string>;
}

/** Where an unknown name is assumed to be: the caller's account and region. */
export interface CallerEnvironment {
  readonly account: string;
  readonly region: string;
}

/** Names and URLs of the app's resources, resolved to their ARNs. */
export class ResourceDirectory {
  private readonly buckets = new Map<string, DirectoryEntry>();
  private readonly queues = new Map<string, DirectoryEntry>();
  private readonly tables = new Map<string, DirectoryEntry>();
  private readonly streams = new Map<string, DirectoryEntry>();
  private readonly secrets = new Map<string, DirectoryEntry>();

  constructor(private readonly encryption: ReadonlyMap<string, ResourceKey> = new Map()) {}

  /** Learns a stack's buckets, queues (by URL and name), tables, streams and secrets. */
  public addStack(stack: DirectorySource): void {
    const { refs, resources } = stack;
    const entry = (logicalId: string): DirectoryEntry => ({ arn: refs.arnOf(logicalId), account: refs.account, region: refs.region });
    for (const b of resources.buckets) this.buckets.set(b.name, entry(b.logicalId));
    for (const q of resources.queues) {
      this.queues.set(q.name, entry(q.logicalId));
      const url = stack.queueUrls.get(q.logicalId);
      if (url) this.queues.set(url, entry(q.logicalId));
    }
    for (const t of resources.tables) this.tables.set(t.name, entry(t.logicalId));
    for (const s of resources.streams) {
      this.streams.set(s.name, entry(s.logicalId));
      this.streams.set(refs.arnOf(s.logicalId), entry(s.logicalId));
    }
    for (const s of resources.secrets) {
      const e = entry(s.logicalId);
      this.secrets.set(s.name, e);
      this.secrets.set(e.arn, e);
      // A partial ARN (without the random suffix) names the secret too.
      this.secrets.set(e.arn.replace(/-[A-Za-z0-9]{6}$/, ''), e);
    }
  }

  /** A bucket by name (its ARN has no region or account; the entry says whose it is). */
  public bucket(name: string, caller: CallerEnvironment): DirectoryEntry {
    return this.buckets.get(name) ?? { arn: `arn:aws:s3:::${name}`, ...caller };
  }

  /** A queue by URL, ARN or name. */
  public queue(id: string, caller: CallerEnvironment): DirectoryEntry {
    const arn = /^arn:[^:]+:sqs:([^:]*):(\d{12}):(.+)$/.exec(id);
    const name = arn ? arn[3] : id.slice(id.lastIndexOf('/') + 1);
    const known = this.queues.get(id) ?? this.queues.get(name);
    if (known) return known;
    return arn ? { arn: id, account: arn[2], region: arn[1] } : { arn: `arn:aws:sqs:${caller.region}:${caller.account}:${name}`, ...caller };
  }

  /** A table by name or ARN. */
  public table(nameOrArn: string, caller: CallerEnvironment): DirectoryEntry {
    const name = nameOrArn.replace(/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\//, '');
    return this.tables.get(name) ?? { arn: nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:dynamodb:${caller.region}:${caller.account}:table/${name}`, ...caller };
  }

  /** A stream by name or ARN. */
  public stream(nameOrArn: string, caller: CallerEnvironment): DirectoryEntry {
    return this.streams.get(nameOrArn) ?? { arn: nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:kinesis:${caller.region}:${caller.account}:stream/${nameOrArn}`, ...caller };
  }

  /** A secret by name, ARN or partial ARN. */
  public secret(id: string, caller: CallerEnvironment): DirectoryEntry {
    return this.secrets.get(id) ?? { arn: id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${caller.region}:${caller.account}:secret:${id}`, ...caller };
  }

  /** The customer managed key that encrypts a resource, by its ARN. */
  public keyOf(arn: string): ResourceKey | undefined {
    return this.encryption.get(arn);
  }
}
