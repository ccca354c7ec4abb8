import type { RuntimeConfig } from './config';
import { parseRecordBody } from './parse-record';
import { partitionFor } from './partition';
import type { SourceRecord } from './source-records';
import type { PipelineRecord, SourcePosition, TransformModule } from './transform-contract';

/** Why a record was quarantined. */
export type QuarantineReason = 'MALFORMED_JSON' | 'NOT_AN_OBJECT' | 'MISSING_ID' | 'TRANSFORM_ERROR' | 'INVALID_OUTPUT';

/** A record that failed deterministically and goes to the quarantine bucket. */
export interface QuarantinedRecord {
  readonly itemId: string;
  readonly recordId?: string;
  readonly reason: QuarantineReason;
  readonly error: string;
  readonly source: SourcePosition;
  readonly receivedAt: string;
  /** The input as delivered (parsed when it was JSON, else the raw body). */
  readonly input: unknown;
}

/** Curated output of one input record. */
export interface CuratedOutput {
  readonly itemId: string;
  readonly recordId: string;
  readonly partition: string;
  readonly source: SourcePosition;
  readonly records: PipelineRecord[];
  /** The records serialized as JSON, one line each (serialized here, so a bad output is quarantined). */
  readonly lines: string[];
}

/** What one batch produced, before anything is written. */
export interface BatchOutcome {
  readonly curated: CuratedOutput[];
  readonly quarantined: QuarantinedRecord[];
  /** Item ids of records the transform dropped on purpose (returned null or an empty array). */
  readonly dropped: string[];
}

/**
 * Parses and transforms every record of a batch. Never throws for a bad record: malformed input
 * and transform errors are deterministic failures and are returned as quarantined.
 */
export async function processBatch(
  records: SourceRecord[],
  module: TransformModule,
  config: RuntimeConfig,
): Promise<BatchOutcome> {
  const curated: CuratedOutput[] = [];
  const quarantined: QuarantinedRecord[] = [];
  const dropped: string[] = [];

  for (const source of records) {
    const receivedAt = new Date(source.receivedAtMs).toISOString();
    const base = { itemId: source.itemId, source: source.position, receivedAt };
    const parsed = parseRecordBody(source.body);
    if (!parsed.ok) {
      quarantined.push({ ...base, reason: parsed.reason, error: parsed.message, input: source.body });
      continue;
    }
    const rawId = parsed.record[config.idField];
    if ((typeof rawId !== 'string' && typeof rawId !== 'number') || rawId === '') {
      quarantined.push({
        ...base,
        reason: 'MISSING_ID',
        error: `field ${JSON.stringify(config.idField)} must be a non-empty string or a number`,
        input: parsed.record,
      });
      continue;
    }
    const recordId = String(rawId);
    let result: unknown;
    try {
      result = await module.transform(parsed.record, {
        pipeline: config.pipeline,
        stage: config.stage,
        recordId,
        source: source.position,
        receivedAt,
      });
    } catch (error) {
      quarantined.push({ ...base, recordId, reason: 'TRANSFORM_ERROR', error: errorMessage(error), input: parsed.record });
      continue;
    }
    if (result === null || result === undefined) {
      dropped.push(source.itemId);
      continue;
    }
    const outputs = Array.isArray(result) ? result : [result];
    if (outputs.length === 0) {
      dropped.push(source.itemId);
      continue;
    }
    if (!outputs.every(isPlainObject)) {
      quarantined.push({
        ...base,
        recordId,
        reason: 'INVALID_OUTPUT',
        error: 'transform must return an object, an array of objects, or null',
        input: parsed.record,
      });
      continue;
    }
    let lines: string[];
    try {
      lines = outputs.map((o) => JSON.stringify(o));
    } catch (error) {
      quarantined.push({
        ...base,
        recordId,
        reason: 'INVALID_OUTPUT',
        error: `transform output is not JSON-serializable: ${errorMessage(error)}`,
        input: parsed.record,
      });
      continue;
    }
    curated.push({
      itemId: source.itemId,
      recordId,
      partition: partitionFor(parsed.record[config.eventTimeField], source.receivedAtMs),
      source: source.position,
      records: outputs as PipelineRecord[],
      lines,
    });
  }
  return { curated, quarantined, dropped };
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
