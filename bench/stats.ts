/** Summary statistics of benchmark samples. Pure code: no IO, no clock. */

/** Median, p95 and friends of a set of samples (all in the samples' unit). */
export interface Summary {
  readonly n: number;
  readonly median: number;
  /** Nearest-rank 95th percentile: an observed value; with fewer than 20 samples it is the maximum. */
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** Samples sorted ascending, ignoring anything that is not a finite number. */
function sorted(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100): the smallest sample such that at least p % of
 * the samples are ≤ it. Always one of the samples; NaN for no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const s = sorted(values);
  if (s.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1] as number;
}

/** The median: the middle sample, or the mean of the two middle ones; NaN for no samples. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The 95th percentile (nearest rank). */
export function p95(values: readonly number[]): number {
  return percentile(values, 95);
}

/** n, median, p95, min, max and mean of `values`; undefined when there is no finite sample. */
export function summarize(values: readonly number[]): Summary | undefined {
  const s = sorted(values);
  if (s.length === 0) return undefined;
  return {
    n: s.length,
    median: median(s),
    p95: p95(s),
    min: s[0] as number,
    max: s[s.length - 1] as number,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** `value / floor`, rounded to 2 decimals; undefined when either is missing or the floor is 0. */
export function ratio(value: number | undefined, floor: number | undefined): number | undefined {
  if (value === undefined || floor === undefined || !Number.isFinite(value) || !Number.isFinite(floor) || floor <= 0) return undefined;
  return Math.round((value / floor) * 100) / 100;
}

/** How a measured figure compares with its goal. */
export type Verdict =
  | { readonly met: true; readonly text: string }
  | { readonly met: false; readonly text: string; readonly missedBy: number; readonly missedByPercent: number };

/**
 * Compares `value` with `goal`: `at-most` goals are met when value ≤ goal, `at-least` goals when
 * value ≥ goal. A miss says by how much (in the value's unit, formatted by `format`) and by what share of the goal.
 */
export function verdict(value: number, goal: number, kind: 'at-most' | 'at-least', format: (v: number) => string = String): Verdict {
  const met = kind === 'at-most' ? value <= goal : value >= goal;
  if (met) return { met: true, text: 'met' };
  const missedBy = Math.abs(value - goal);
  const missedByPercent = goal === 0 ? Number.POSITIVE_INFINITY : Math.round((missedBy / goal) * 100);
  return { met: false, missedBy, missedByPercent, text: `missed by ${format(missedBy)} (${missedByPercent} %)` };
}
