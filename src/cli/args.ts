// Parsing of command-line values shared by every command, and the error type for bad input.

/** A user error: printed without a stack trace, exit code 2. */
export class CliError extends Error {}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

export function positiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number, got '${value}'`);
  return n;
}

/** A probability in [0, 1) (a dropout rate). */
export function probability(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new CliError(`${flag} must be a number in [0, 1), got '${value}'`);
  return n;
}

/** Runs a parser that throws plain Errors for bad input and reports them as CliErrors. */
export function parseFlag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}
