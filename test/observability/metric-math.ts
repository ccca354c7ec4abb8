import { MetricDataQuery, queriesOf, render } from './fixtures';

/**
 * A small evaluator of the synthesized CloudWatch alarms against synthetic metric series, for the
 * subset of metric math the library's alarms use: numbers, identifiers, `+ - * /`, `>`, `IF`,
 * `FILL` (constant) and `MAX([..])`; statistics `Sum`, `Maximum`, `Minimum` and `PR(:x)`. Each query is evaluated once
 * over the window that ends at the evaluation time (the alarms evaluate one period).
 */

/** One EMF line: the values a stage published at `time` (seconds), by metric name. */
export interface Sample {
  readonly time: number;
  readonly values: Readonly<Record<string, number | readonly number[]>>;
  /**
   * The dimensions the values were published with (CloudWatch keeps each set apart: a query
   * matches a sample only when its dimensions are exactly these).
   * @default - any: the sample matches every query of its metric names
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Whether a sample was published with exactly the dimensions of the query (or names none). */
function sameDimensions(sample: Sample, query: MetricDataQuery): boolean {
  if (sample.dimensions === undefined) return true;
  const wanted = query.MetricStat!.Metric.Dimensions;
  const given = Object.entries(sample.dimensions);
  return given.length === wanted.length && wanted.every((d) => sample.dimensions![d.Name] === d.Value);
}

/** How `FILL` treats a query with no data point at all in its window. */
export interface EvaluationOptions {
  /**
   * True: `FILL` yields its constant (a series that exists but is empty in the window);
   * false: no data point at all, so the alarm falls back to its `TreatMissingData`.
   */
  readonly fillEmptyWindow: boolean;
}

type Value = number | undefined;

/** The value a metric stat of `samples` has over the window `(end - period, end]`, or undefined without data. */
function statOf(query: MetricDataQuery, samples: readonly Sample[], end: number): Value {
  const stat = query.MetricStat!;
  const values = samples
    .filter((s) => s.time > end - stat.Period && s.time <= end && sameDimensions(s, query))
    .flatMap((s) => {
      const v = s.values[stat.Metric.MetricName];
      return v === undefined ? [] : Array.isArray(v) ? v : [v as number];
    });
  if (values.length === 0) return undefined;
  if (stat.Stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat.Stat === 'Maximum') return Math.max(...values);
  if (stat.Stat === 'Minimum') return Math.min(...values);
  const rank = /^PR\(:(\d+(?:\.\d+)?)\)$/.exec(stat.Stat);
  if (rank) return (100 * values.filter((v) => v <= Number(rank[1])).length) / values.length;
  throw new Error(`statistic ${stat.Stat} not supported by the test evaluator`);
}

/** Evaluates one metric-math expression; `lookup` resolves the ids it names. */
function evaluateExpression(expression: string, lookup: (id: string) => Value, options: EvaluationOptions): Value {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),[\]>]/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (expected !== undefined && t !== expected) throw new Error(`expected ${expected} at ${i} in ${expression}, got ${t}`);
    return t;
  };
  const lift = (a: Value, b: Value, f: (x: number, y: number) => number): Value => (a === undefined || b === undefined ? undefined : f(a, b));
  const comparison = (): Value => {
    const left = sum();
    if (peek() !== '>') return left;
    take('>');
    return lift(left, sum(), (a, b) => (a > b ? 1 : 0));
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const r = product();
      v = lift(v, r, (a, b) => (op === '+' ? a + b : a - b));
    }
    return v;
  };
  const product = (): Value => {
    let v = atom();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      const r = atom();
      v = lift(v, r, (a, b) => (op === '*' ? a * b : a / b));
    }
    return v;
  };
  const args = (): Value[] => {
    take('(');
    const list = [comparison()];
    while (peek() === ',') {
      take(',');
      list.push(comparison());
    }
    take(')');
    return list;
  };
  const atom = (): Value => {
    const t = take();
    if (t === '(') {
      const v = comparison();
      take(')');
      return v;
    }
    if (/^\d/.test(t)) return Number(t);
    if (t === 'IF') {
      const [cond, yes, no] = args();
      return cond === undefined ? undefined : cond !== 0 ? yes : no;
    }
    if (t === 'FILL') {
      const [series, constant] = args();
      return series ?? (options.fillEmptyWindow ? constant : undefined);
    }
    if (t === 'MAX') {
      take('(');
      take('[');
      const list = [comparison()];
      while (peek() === ',') {
        take(',');
        list.push(comparison());
      }
      take(']');
      take(')');
      return list.some((v) => v === undefined) ? undefined : Math.max(...(list as number[]));
    }
    return lookup(t);
  };
  const value = comparison();
  if (i !== tokens.length) throw new Error(`unparsed input in ${expression}`);
  return value;
}

/** The value the alarm compares at `end`: its returned query, evaluated over the samples. */
export function alarmValue(alarmProps: Record<string, unknown>, samples: readonly Sample[], end: number, options: EvaluationOptions): Value {
  const queries = queriesOf(alarmProps);
  const cache = new Map<string, Value>();
  const valueOf = (id: string): Value => {
    if (cache.has(id)) return cache.get(id);
    const q = queries[id];
    if (!q) throw new Error(`no query ${id}`);
    const v = q.MetricStat ? statOf(q, samples, end) : evaluateExpression(q.Expression!, valueOf, options);
    cache.set(id, v);
    return v;
  };
  const returned = Object.values(queries).find((q) => q.ReturnData === true);
  if (!returned) throw new Error('no returned query');
  return valueOf(returned.Id);
}

/**
 * Whether an alarm is in ALARM at `end` (missing data per its TreatMissingData): a metric-math
 * alarm, or a single-metric alarm (`MetricName`, `Dimensions`, `Statistic`, `Period`) evaluated
 * over its last period.
 */
export function alarmFires(alarmProps: Record<string, unknown>, samples: readonly Sample[], end: number, options: EvaluationOptions): boolean {
  const value = alarmProps.Metrics
    ? alarmValue(alarmProps, samples, end, options)
    : statOf(
        {
          Id: 'm',
          MetricStat: {
            Metric: alarmProps as unknown as NonNullable<MetricDataQuery['MetricStat']>['Metric'],
            Period: alarmProps.Period as number,
            Stat: alarmProps.Statistic as string,
          },
        },
        samples,
        end,
      );
  if (value === undefined) return alarmProps.TreatMissingData === 'breaching';
  const threshold = alarmProps.Threshold as number;
  switch (alarmProps.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    default:
      throw new Error(`comparison ${String(alarmProps.ComparisonOperator)} not supported by the test evaluator`);
  }
}

/**
 * Whether a composite alarm's rule holds, given the state of each alarm it names (by logical id):
 * `ALARM("<arn>")` terms joined by AND and OR, with parentheses.
 */
export function compositeFires(compositeProps: Record<string, unknown>, inAlarm: (logicalId: string) => boolean): boolean {
  const rule = render(compositeProps.AlarmRule);
  const tokens = rule.match(/ALARM\("\{[^.}]+\.Arn\}"\)|AND|OR|\(|\)/g) ?? [];
  let i = 0;
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = term();
    while (tokens[i] === 'AND') {
      i++;
      v = term() && v;
    }
    return v;
  };
  const term = (): boolean => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') throw new Error(`unbalanced rule ${rule}`);
      return v;
    }
    const id = /^ALARM\("\{([^.}]+)\.Arn\}"\)$/.exec(t ?? '');
    if (!id) throw new Error(`unsupported term ${t} in ${rule}`);
    return inAlarm(id[1]);
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`unparsed rule ${rule}`);
  return v;
}
