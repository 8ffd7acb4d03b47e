// Formats "now" the way the original service did: "YYYY-MM-DD HH:MM:SS" at a fixed UTC offset.
// The text changes once a second, so the last answer is kept and reused within its second.
let cachedSecond = Number.NaN;
let cachedOffset = Number.NaN;
let cachedText = '';

export function formatLocalTimestamp(now: Date, offsetMinutes: number): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second !== cachedSecond || offsetMinutes !== cachedOffset) {
    const shifted = new Date(second * 1000 + offsetMinutes * 60_000);
    const iso = shifted.toISOString(); // 2026-11-27T01:02:03.000Z, already shifted
    cachedText = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    cachedSecond = second;
    cachedOffset = offsetMinutes;
  }
  return cachedText;
}
