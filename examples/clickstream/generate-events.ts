/**
 * Deterministic generator of clickstream events as sources send them: mostly valid events with
 * PII, plus every kind of trouble a pipeline must survive. Used by the tests, the local run and
 * the benchmarks.
 */

/** What a generated line is, and so where it must end up. */
export type GeneratedKind = 'valid' | 'bot' | 'malformed' | 'schema-violation' | 'missing-id' | 'oversize' | 'duplicate';

/** One generated line. */
export interface GeneratedEvent {
  readonly kind: GeneratedKind;
  /** The line as a source sends it (not necessarily JSON). */
  readonly line: string;
  /** The event id, when the line has one. */
  readonly eventId?: string;
  /** The PII values in the line (userId, email, ip), which must never reach an output. */
  readonly pii: string[];
}

/** Share of each kind of trouble (the rest is valid). */
export interface GeneratorMix {
  readonly bot?: number;
  readonly malformed?: number;
  readonly schemaViolation?: number;
  readonly missingId?: number;
  readonly oversize?: number;
  readonly duplicate?: number;
}

/** Options for {@link generateClickstreamEvents}. */
export interface GeneratorOptions {
  readonly count: number;
  readonly seed?: number;
  readonly mix?: GeneratorMix;
  /** Size of the `properties.blob` of oversize events, in bytes. @default 300 KiB */
  readonly oversizeBytes?: number;
  /** Event time of the first event; later ones are spread over the next hours. */
  readonly start?: Date;
}

const DEFAULT_MIX: Required<GeneratorMix> = {
  bot: 0.04,
  malformed: 0.03,
  schemaViolation: 0.04,
  missingId: 0.01,
  oversize: 0.01,
  duplicate: 0.05,
};

const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase'];

/** Generates `count` lines, the same for the same seed. */
export function generateClickstreamEvents(options: GeneratorOptions): GeneratedEvent[] {
  const random = mulberry32(options.seed ?? 42);
  const mix = { ...DEFAULT_MIX, ...options.mix };
  const start = (options.start ?? new Date(Date.UTC(2026, 10, 24, 8, 0, 0))).getTime();
  const events: GeneratedEvent[] = [];
  const sent: GeneratedEvent[] = [];
  for (let i = 0; i < options.count; i++) {
    const roll = random();
    let threshold = 0;
    const pick = (share: number) => roll < (threshold += share);
    const eventId = `evt-${String(i).padStart(7, '0')}`;
    const userId = `user-${Math.floor(random() * 5000)}`;
    const email = `${userId}.${i}@mail.example.com`;
    const ip = `198.51.${Math.floor(random() * 255)}.${i % 255}`;
    const base = {
      eventId,
      eventTime: new Date(start + i * 1500).toISOString(),
      eventType: EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)],
      userId,
      sessionId: `sess-${Math.floor(i / 20)}`,
      page: { url: `https://shop.example.com/p/${Math.floor(random() * 900)}/`, referrer: 'https://search.example/?q=shoes' },
      email,
      ip,
      properties: { campaign: random() < 0.5 ? 'winter' : 'none' },
      schemaVersion: '1',
    };
    const pii = [userId, email, ip];
    if (pick(mix.duplicate) && sent.length > 0) {
      const original = sent[Math.floor(random() * sent.length)];
      events.push({ ...original, kind: 'duplicate' });
    } else if (pick(mix.bot)) {
      events.push({ kind: 'bot', eventId, line: JSON.stringify({ ...base, properties: { bot: true } }), pii });
    } else if (pick(mix.malformed)) {
      events.push({ kind: 'malformed', eventId, line: JSON.stringify(base).slice(0, -20), pii });
    } else if (pick(mix.schemaViolation)) {
      const broken = [{ ...base, eventType: 'scroll' }, { ...base, page: 'https://shop.example.com/' }, { ...base, sessionId: undefined }][i % 3];
      events.push({ kind: 'schema-violation', eventId, line: JSON.stringify(broken), pii });
    } else if (pick(mix.missingId)) {
      events.push({ kind: 'missing-id', line: JSON.stringify({ ...base, eventId: undefined }), pii });
    } else if (pick(mix.oversize)) {
      const event = { kind: 'oversize' as const, eventId, line: JSON.stringify({ ...base, properties: { blob: 'x'.repeat(options.oversizeBytes ?? 300 * 1024) } }), pii };
      events.push(event);
      sent.push(event);
    } else {
      const event = { kind: 'valid' as const, eventId, line: JSON.stringify(base), pii };
      events.push(event);
      sent.push(event);
    }
  }
  return events;
}

/** A small, fast, seedable PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
