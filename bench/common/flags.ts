// Command-line value checks shared by the benchmarks' own flag parsers.

/** An integer flag >= min, `fallback` when absent; the error ends with the bench's help text. */
export function intFlag(value: string | undefined, flag: string, fallback: number, help: string, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got '${value}'\n${help}`);
  return n;
}
