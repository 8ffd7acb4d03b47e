// Side-by-side measurement for `make bench`: the ceiling and the service (tracing off, tracing on)
// are loaded in rotating slices (A B C, B C A, C A B, ...) rather than one after the other, so a change in the machine's speed
// during the run (this VM's speed moved by up to 2x within a minute) falls on both alike. These
// helpers combine the slices of one server and pair the slices of the two.
import type { LoadResult } from './load-generators.js';

export interface Slice extends LoadResult {
  /** Wall-clock seconds the slice took. */
  seconds: number;
  /** CPU seconds the server used during the slice. */
  cpuSeconds: number;
}

export interface Combined extends LoadResult {
  /** Share of one core the server used over all its slices (1 = saturated). */
  cpuShare: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/**
 * One server's slices as one result: requests/s over the whole measured time, the median of the
 * slices' p50 and the worst slice's p99 (percentiles of separate runs cannot be merged exactly,
 * so p99 errs on the high side), errors summed.
 */
export function combineSlices(slices: readonly Slice[]): Combined {
  if (slices.length === 0) throw new Error('combineSlices: no slices to combine');
  const requests = slices.reduce((sum, s) => sum + s.requests, 0);
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const cpu = slices.reduce((sum, s) => sum + s.cpuSeconds, 0);
  return {
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms: median(slices.map((s) => s.p50Ms)),
    p99Ms: Math.max(...slices.map((s) => s.p99Ms)),
    errors: slices.reduce((sum, s) => sum + s.errors, 0),
    cpuShare: cpu / seconds,
  };
}

/** Throughput ratio service / ceiling of each pair of neighbouring slices, in run order. */
export function sliceRatios(ceiling: readonly Slice[], service: readonly Slice[]): number[] {
  if (ceiling.length !== service.length) {
    throw new Error(
      `sliceRatios: ${ceiling.length} ceiling slices but ${service.length} service slices`,
    );
  }
  return ceiling.map((c, i) => (service[i]?.requestsPerSecond ?? Number.NaN) / c.requestsPerSecond);
}

/**
 * The order of the servers in round `index`: the list rotated by one each round (for two servers,
 * alternating), so a steady drift of the machine's speed favours none of them.
 */
export function sliceOrder<T>(index: number, ...servers: T[]): T[] {
  const shift = index % Math.max(servers.length, 1);
  return [...servers.slice(shift), ...servers.slice(0, shift)];
}
