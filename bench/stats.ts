/** Percentile of a sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  ok?: boolean;
}

const fmt = (n: number, unit: string) =>
  `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)} ${unit}`;

/** A row comparing a measured value with its baseline; `max` is the target ratio, if any. */
export function row(measure: string, value: number, baseline: number, unit: string, max?: number): Row {
  const ratio = value / baseline;
  return {
    measure,
    value: fmt(value, unit),
    baseline: fmt(baseline, unit),
    ratio: `${ratio.toFixed(2)}×`,
    target: max === undefined ? '' : `≤ ${max.toFixed(2)}×`,
    ok: max === undefined ? undefined : ratio <= max,
  };
}

/** A row against an absolute limit (bundle size), next to a reference that has no target. */
export function limitRow(measure: string, value: number, reference: number, unit: string, max: number): Row {
  return {
    measure,
    value: fmt(value, unit),
    baseline: fmt(reference, unit),
    ratio: `${(value / reference).toFixed(2)}×`,
    target: `≤ ${max} ${unit}`,
    ok: value <= max,
  };
}

export function markdown(rows: Row[]): string {
  const lines = ['| measure | value | baseline | ratio | target |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const target = r.target ? `${r.target} ${r.ok ? '✅' : '❌'}` : '';
    lines.push(`| ${r.measure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${target} |`);
  }
  return lines.join('\n');
}

/** Times `fn` `n` times, alternating with `base` so drift affects both alike; returns ms samples. */
export async function interleaved(
  n: number,
  fn: (i: number) => Promise<unknown>,
  base: (i: number) => Promise<unknown>,
) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const [f, out] of (i % 2
      ? [
          [base, b],
          [fn, a],
        ]
      : [
          [fn, a],
          [base, b],
        ]) as [typeof fn, number[]][]) {
      const t = performance.now();
      await f(i);
      out.push(performance.now() - t);
    }
  }
  return { subject: a, baseline: b };
}

/** Named steps, each adding one layer of work to a raw call. */
export type Ladder = [string, (i: number) => Promise<unknown>][];

/**
 * One p50 row per step, each interleaved with a run of its own of the baseline; `base` gets the
 * step's index too, so a baseline that must not repeat itself (SQS dedup ids) can keep apart.
 */
export async function stepRows(
  n: number,
  label: (step: string) => string,
  ladder: Ladder,
  base: (i: number, step: number) => Promise<unknown>,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [k, [name, fn]] of ladder.entries()) {
    const { subject, baseline } = await interleaved(n, fn, (i) => base(i, k));
    rows.push(row(label(name), percentile(subject, 50), percentile(baseline, 50), 'ms'));
  }
  return rows;
}

/** A measured value with nothing to compare it to. */
export const info = (measure: string, value: string): Row => ({
  measure,
  value,
  baseline: '',
  ratio: '',
  target: '',
});

/** A row against an absolute target, with no baseline. */
export function targetRow(measure: string, value: number, unit: string, max: number, min = false): Row {
  return {
    measure,
    value: fmt(value, unit),
    baseline: '',
    ratio: '',
    target: `${min ? '≥' : '≤'} ${max} ${unit}`,
    ok: min ? value >= max : value <= max,
  };
}
