import { Template } from 'aws-cdk-lib/assertions';
import { AlarmRouting } from '../../lib/observability/alarm-routing';
import { PipelineSlos, PipelineSlosProps } from '../../lib/observability/pipeline-slos';
import { testStack } from '../support/cdk';
import { logicalId, propsOf } from './fixtures';
import { alarmFires, compositeFires, EvaluationOptions, Sample } from './metric-math';

/**
 * The synthesized freshness SLI evaluated against the metric series a stage publishes: one EMF
 * line per invocation (counts, and the lag of each curated record).
 */

const MINUTE = 60;
const HOUR = 60 * MINUTE;

function synth(props: Partial<PipelineSlosProps> = {}) {
  const stack = testStack();
  const routing = new AlarmRouting(stack, 'Routing');
  const slos = new PipelineSlos(stack, 'Slos', { pipelineName: 'orders', routing, ...props });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  /** Whether the freshness composite of this severity fires at `end` for these samples. */
  const fires = (severity: 'Page' | 'Ticket', samples: readonly Sample[], end: number, options: EvaluationOptions) =>
    compositeFires(propsOf(template, slos.node.findChild(`Freshness${severity}`)), (id) => alarmFires(resources[id].Properties, samples, end, options));
  return { slos, template, fires };
}

/** A stream invocation every minute from `from` to `to` (seconds), each curating records with these lags. */
function streaming(from: number, to: number, lags: number[]): Sample[] {
  const samples: Sample[] = [];
  for (let t = from; t <= to; t += MINUTE) {
    samples.push({ time: t, values: { RecordsIn: lags.length, RecordsOut: lags.length, FreshnessLagSeconds: lags } });
  }
  return samples;
}

// Both readings of an empty window: FILL yields its constant, or there is no data point at all.
const READINGS: Array<[string, EvaluationOptions]> = [
  ['FILL fills the empty window', { fillEmptyWindow: true }],
  ['no data point (TreatMissingData)', { fillEmptyWindow: false }],
];

describe.each(READINGS)('freshness SLI of a streaming stage (%s)', (_reading, options) => {
  const { fires } = synth();
  const stallAt = 8 * HOUR;
  const stalled = streaming(MINUTE, stallAt, [5, 20, 45]);

  test('a healthy stream burns nothing', () => {
    expect(fires('Page', stalled, stallAt, options)).toBe(false);
    expect(fires('Ticket', stalled, stallAt, options)).toBe(false);
  });

  test('a stream that stopped pages once a whole hour is silent', () => {
    expect(fires('Page', stalled, stallAt + 30 * MINUTE, options)).toBe(false);
    expect(fires('Page', stalled, stallAt + HOUR + 5 * MINUTE, options)).toBe(true);
  });

  test('a stream that stopped for a day also burns the ticket budget', () => {
    expect(fires('Ticket', stalled, stallAt + 25 * HOUR, options)).toBe(true);
  });

  test('a stream curating every record late pages', () => {
    const late = streaming(MINUTE, 2 * HOUR, [400, 600, 900]);
    expect(fires('Page', late, 2 * HOUR, options)).toBe(true);
  });
});

describe('freshness SLI with silenceIsStale false (a stage without a continuous source)', () => {
  const { fires, slos } = synth({ silenceIsStale: false });

  test('silence burns nothing', () => {
    const stalled = streaming(MINUTE, 8 * HOUR, [5, 20, 45]);
    for (const options of READINGS.map(([, o]) => o)) {
      expect(fires('Page', stalled, 8 * HOUR + 2 * HOUR, options)).toBe(false);
      expect(fires('Ticket', stalled, 8 * HOUR + 25 * HOUR, options)).toBe(false);
    }
    expect(slos.freshRatio.expression).toBe('FILL(rank, 100) / 100');
  });
});

describe('freshness SLI template', () => {
  const { slos, template } = synth();
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const components = ['Long', 'Short'].flatMap((w) => [0, 1, 2].map((i) => resources[logicalId(slos.node.findChild(`FreshnessBurn${i}${w}`))].Properties));

  test('silence counts as stale: the fresh share fills with 0 and every component treats missing data as breaching', () => {
    expect(slos.freshRatio.expression).toBe('FILL(rank, 0) / 100');
    expect(components).toHaveLength(6);
    for (const p of components) {
      expect(p.TreatMissingData).toBe('breaching');
      const expressions = (p.Metrics as Array<{ Expression?: string }>).map((m) => m.Expression).filter(Boolean);
      expect(expressions).toContain('FILL(rank, 0) / 100');
    }
  });

  test('the composites say a stalled source burns the budget', () => {
    expect(propsOf(template, slos.node.findChild('FreshnessPage')).AlarmDescription).toContain('or nothing reaching curated at all (a stalled source)');
  });
});
