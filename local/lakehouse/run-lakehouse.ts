/**
 * What a local run needs of the lakehouse, without loading DuckDB unless the app has Glue tables:
 * starting the current tables, the buckets whose created objects S3 announces on EventBridge, and
 * the state machines with Athena tasks that a schedule starts (run once at the end of a run, as
 * their schedule would).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BusEnvironment } from '../services/event-bus';
import { allStates, classifyResource, type Json } from '../services/state-machine';
import type { ProvisionedStack } from '../run/provision';
import type { PreparedStateMachine } from '../run/workflows';
import type { LocalLakehouse } from './local-lakehouse';

/**
 * The current tables of a run: the Glue tables of `stacks` on DuckDB under `directory`, or
 * undefined when the app has none (DuckDB is then not loaded). `keep`: open the last run's tables
 * as they are (a reprocess run).
 */
export async function startLakehouse(stacks: readonly ProvisionedStack[], s3: S3Client, directory: string, keep = false): Promise<LocalLakehouse | undefined> {
  const hasGlueTables = stacks.some((s) => Object.values(s.stack.template.Resources ?? {}).some((r) => r.Type === 'AWS::Glue::Table'));
  if (!hasGlueTables) return undefined;
  const { LocalLakehouse } = await import('./local-lakehouse');
  return LocalLakehouse.start({
    stacks: stacks.map((s) => ({ name: s.stack.name, resources: s.stack.template.Resources, resolve: (value) => s.refs.resolveString(value) })),
    s3,
    directory,
    keep,
  });
}

/** Buckets with EventBridge notifications on, by name, with their stack's account and region. */
export function eventBridgeBuckets(stacks: readonly ProvisionedStack[]): Map<string, BusEnvironment> {
  const buckets = new Map<string, BusEnvironment>();
  for (const s of stacks) for (const b of s.resources.buckets) if (b.eventBridgeEnabled) buckets.set(b.name, { account: s.refs.account, region: s.refs.region });
  return buckets;
}

/** A state machine a schedule starts, and the input its rule gives it. */
export interface ScheduledRun {
  readonly arn: string;
  readonly path: string;
  readonly input: string;
  /** Construct paths of the schedule rules that start it. */
  readonly schedules: string[];
}

/**
 * The state machines with Athena tasks (the current table's merge and maintenance) that an
 * enabled EventBridge schedule starts, with the rule target's constant input (`{}` without one).
 */
export function scheduledAthenaRuns(prepared: readonly PreparedStateMachine[]): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  for (const p of prepared) {
    if (!p.definition || !hasAthenaTasks(p.definition)) continue;
    const arn = p.stack.refs.arnOf(p.resource.logicalId);
    for (const [logicalId, resource] of Object.entries(p.stack.stack.template.Resources ?? {})) {
      const props = (resource.Properties ?? {}) as { ScheduleExpression?: unknown; State?: unknown; Targets?: Array<{ Arn?: unknown; Input?: unknown }> };
      if (resource.Type !== 'AWS::Events::Rule' || props.ScheduleExpression === undefined || props.State === 'DISABLED') continue;
      const schedule = p.stack.resources.rules.find((r) => r.logicalId === logicalId)?.path ?? logicalId;
      for (const target of props.Targets ?? []) {
        const found = p.stack.refs.target(target.Arn);
        if (found?.kind !== 'stateMachine' || found.logicalId !== p.resource.logicalId) continue;
        const input = target.Input === undefined ? '{}' : p.stack.refs.resolveString(target.Input);
        const run = runs.find((r) => r.arn === arn);
        if (!run) runs.push({ arn, path: p.resource.path, input, schedules: [schedule] });
        else if (!run.schedules.includes(schedule)) run.schedules.push(schedule);
      }
    }
  }
  return runs;
}

function hasAthenaTasks(definition: Json): boolean {
  return allStates(definition).some(({ state }) => {
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') return false;
    const task = classifyResource(state.Resource);
    return typeof task !== 'string' && task.kind === 'athena';
  });
}

/**
 * The run's notes with the schedules of `runs` described as they behave: provisioning notes every
 * schedule rule as not run (schedules do not fire locally), but the run starts these state machines
 * once at its end (`when`: or after each input), as their schedules would. Each such note is
 * replaced by one that says so.
 */
export function notesWithScheduledRuns(notes: readonly string[], runs: readonly ScheduledRun[], when = 'once at its end'): string[] {
  const startedBy = new Map(runs.flatMap((r) => r.schedules.map((schedule) => [schedule, r.path] as const)));
  return notes.map((note) => {
    const schedule = note.match(SCHEDULE_NOT_RUN)?.[1];
    const machine = schedule === undefined ? undefined : startedBy.get(schedule);
    return machine === undefined ? note : `${schedule}: the schedule does not fire locally; the run starts ${machine} ${when}, as the schedule would`;
  });
}

/** A provisioning note of a schedule rule (local/run/provision.ts), capturing the rule's path. */
const SCHEDULE_NOT_RUN = /^(.+): scheduled rules are not run locally$/;
