// Prometheus' histogram_quantile() over classic buckets, as promql/quantile.go's bucketQuantile
// computes it (prometheus/prometheus, v2.53 and v3 alike): buckets sorted by upper bound, the
// rank q * count located in the first bucket whose cumulative count reaches it, and the value
// interpolated linearly inside that bucket, from 0 for the lowest bucket; a quantile in the +Inf
// bucket is the highest finite bound. Tests use it to judge what dashboards and alerts would read.
import type { Sample } from './prometheus-text.js';

export interface Bucket {
  /** The `le` bound; Infinity for "+Inf". */
  le: number;
  /** Cumulative count, as exposed. */
  count: number;
}

export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const last = sorted.at(-1);
  if (sorted.length < 2 || last === undefined || last.le !== Infinity) return NaN;
  // ensureMonotonic: a decreasing count is raised to the running maximum.
  let max = 0;
  const cumulative = sorted.map((bucket) => {
    max = Math.max(max, bucket.count);
    return { le: bucket.le, count: max };
  });
  const observations = last.count;
  if (observations === 0) return NaN;
  const rank = q * observations;
  let b = cumulative.findIndex((bucket) => bucket.count >= rank);
  if (b === -1 || b > cumulative.length - 2) b = cumulative.length - 1;
  if (b === cumulative.length - 1) return cumulative[cumulative.length - 2]?.le ?? NaN;
  const end = cumulative[b];
  if (end === undefined) return NaN;
  if (b === 0 && end.le <= 0) return end.le;
  const previous = b > 0 ? cumulative[b - 1] : undefined;
  const start = previous?.le ?? 0;
  const below = previous?.count ?? 0;
  return start + (end.le - start) * ((rank - below) / (end.count - below));
}

/** The bucket a value falls in: index of the first bound >= value (a value on a bound is in it). */
export function bucketIndex(value: number, bounds: readonly number[]): number {
  const index = bounds.findIndex((bound) => value <= bound);
  return index === -1 ? bounds.length : index;
}

/** The cumulative buckets of one histogram series in parsed exposition samples. */
export function bucketsOf(
  samples: readonly Sample[],
  bucketMetric: string,
  matches: (labels: Record<string, string>) => boolean = () => true,
): Bucket[] {
  return samples
    .filter((sample) => sample.name === bucketMetric && matches(sample.labels))
    .map((sample) => ({
      le: sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le),
      count: sample.value,
    }));
}
