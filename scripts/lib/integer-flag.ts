// Reading a whole-number option (a flag or an environment variable) within bounds, with the
// one-line error every script prints: what was given, for which name, and what is allowed.

interface IntegerBounds {
  readonly min: number;
  readonly max: number;
  /** Used when the text is missing or empty; without it, a missing value is an error. */
  readonly fallback?: number;
}

/** A value the user gave is invalid; scripts print its message and exit 2 (usage error). */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/**
 * `text` as an integer from `min` to `max`. Only plain decimal digits count: Number() would
 * also accept "", " 1", "1e3" and "0x10", none of which a person means as a count.
 */
export function integerFlag(name: string, text: string | undefined, bounds: IntegerBounds): number {
  if ((text === undefined || text === '') && bounds.fallback !== undefined) return bounds.fallback;
  const value = /^-?\d+$/.test(text ?? '') ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new FlagError(
      `${name}=${JSON.stringify(text ?? '')} is invalid: expected a whole number from ${bounds.min} to ${bounds.max}`,
    );
  }
  return value;
}
