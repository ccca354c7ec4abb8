import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../support/cdk';

/** The JSON Schema fixtures of the schema tests. */
export const FIXTURES = path.join(__dirname, 'fixtures');
/** The reference clickstream schema, version 1. */
export const CLICKSTREAM_V1 = path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json');
/** Version 2 of the clickstream schema, compatible with version 1 (adds optional fields, widens an enum). */
export const CLICKSTREAM_V2 = path.join(FIXTURES, 'clickstream-v2.json');
/** A version 2 that breaks version 1 (sessionId removed, page retyped, channel newly required). */
export const CLICKSTREAM_V2_BREAKING = path.join(FIXTURES, 'clickstream-v2-breaking.json');
/** The sample clickstream events (valid under version 1). */
export const SAMPLE_EVENTS = path.join(ROOT, 'examples', 'clickstream', 'sample-events.jsonl');

/** A fixture's path. */
export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Parses a JSON file. */
export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * The sample events that are JSON (the file also has a malformed line on purpose). Besides valid
 * events, it holds a schema-drifted event (`evt-0015`) and one without an `eventId`.
 */
export function sampleEvents(): Array<Record<string, unknown>> {
  return fs
    .readFileSync(SAMPLE_EVENTS, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
