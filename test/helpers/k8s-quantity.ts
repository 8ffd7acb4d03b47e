// Kubernetes memory quantities ("256Mi", "128M") as bytes, for assertions that relate one
// setting to another (heap limit to memory limit).
const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
const DECIMAL_SUFFIXES: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

/** Bytes in a memory quantity such as "256Mi" or "128M". */
export function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match?.[1]) throw new Error(`"${quantity}" is not a memory quantity this test understands`);
  const suffix = match[2] ?? '';
  const factor = BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix] ?? 1;
  return Number(match[1]) * factor;
}
