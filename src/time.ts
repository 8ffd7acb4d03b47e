// Formats "now" the way the original service did: "YYYY-MM-DD HH:MM:SS" at a fixed UTC offset.
export function formatLocalTimestamp(now: Date, offsetMinutes: number): string {
  const shifted = new Date(now.getTime() + offsetMinutes * 60_000);
  const iso = shifted.toISOString(); // 2026-11-27T01:02:03.456Z, already shifted
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
