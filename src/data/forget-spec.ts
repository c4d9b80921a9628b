/**
 * Parses `--forget` specs: ids:FILE, user:NAME, class:LABEL, random:FRACTION, largest-user[:K],
 * joined with "+" for a union, e.g. "user:a@b.com+random:0.01".
 */
import { DataError } from './errors';

export type ForgetTerm =
  | { kind: 'ids'; file: string }
  | { kind: 'user'; name: string }
  | { kind: 'class'; label: string }
  | { kind: 'random'; fraction: number }
  /** The data subject with the rank-th most train records (1 = the largest). */
  | { kind: 'largest-user'; rank: number };

const KINDS = ['ids', 'user', 'class', 'random'] as const;
const LARGEST_USER = 'largest-user';

/** The syntax in one line, for --help texts. */
export const FORGET_SPEC_SYNTAX = 'ids:FILE, user:NAME, class:LABEL, random:FRACTION, largest-user[:K], joined with +';

/**
 * Splits only on a "+" that starts another term, so "+" inside a value (an address such as
 * "a+list@x.org", a file name) stays part of that value. largest-user takes no value, so it
 * starts a term when followed by ":", "+" or the end.
 */
const TERM_BOUNDARY = new RegExp(`\\+(?=(?:${KINDS.join('|')}):|${LARGEST_USER}(?::|\\+|$))`);

export function parseForgetSpec(spec: string): ForgetTerm[] {
  const where = { file: `--forget '${spec}'` };
  if (spec.trim() === '') throw new DataError('empty forget spec', where);
  return spec.split(TERM_BOUNDARY).map((part) => {
    const colon = part.indexOf(':');
    const kind = colon === -1 ? part : part.slice(0, colon);
    const value = colon === -1 ? '' : part.slice(colon + 1);
    if (value === '' && (KINDS as readonly string[]).includes(kind)) {
      throw new DataError(`'${kind}:' needs a value`, where);
    }
    switch (kind) {
      case 'ids':
        return { kind, file: value };
      case 'user':
        return { kind, name: value };
      case 'class':
        return { kind, label: value };
      case 'random':
        return { kind, fraction: parseFraction(value, where) };
      case LARGEST_USER:
        return { kind: LARGEST_USER, rank: colon === -1 ? 1 : parseRank(value, where) };
      default:
        throw new DataError(`unknown forget term '${part}' (expected ${[...KINDS.map((k) => `${k}:...`), `${LARGEST_USER}[:K]`].join(', ')})`, where);
    }
  });
}

function parseFraction(value: string, where: { file: string }): number {
  const fraction = /^\s*[0-9]*\.?[0-9]+(e-?[0-9]+)?\s*$/i.test(value) ? Number(value) : NaN;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new DataError(`random fraction must be a number in (0, 1], got '${value}'`, where);
  }
  return fraction;
}

function parseRank(value: string, where: { file: string }): number {
  const rank = /^\s*[0-9]+\s*$/.test(value) ? Number(value) : NaN;
  if (!(Number.isSafeInteger(rank) && rank >= 1)) {
    throw new DataError(`largest-user:K needs a positive integer rank (1 = the largest), got '${value}'`, where);
  }
  return rank;
}
