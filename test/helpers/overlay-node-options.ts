// V8 flags in an environment's NODE_OPTIONS (scripts/lib/environments.ts reads them from its
// overlay), so the memory tests check the limits that environment runs with.

/** The value of `--flag=N` in a NODE_OPTIONS string, or undefined. */
export function numericFlag(nodeOptions: string, flag: string): number | undefined {
  const match = new RegExp(`(?:^|\\s)${flag}=(\\d+)(?:\\s|$)`).exec(nodeOptions);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
