/**
 * A tiny seeded PRNG for evaluation code (subsampling, fold assignment, test data).
 * Kept local to eval so that measurements never depend on, or disturb, the training RNG.
 */

export { mulberry32, shuffleInPlace, permutation, type Random } from '../util/prng';
import { permutation, type Random } from '../util/prng';


/** Standard normal draws by Box–Muller (uses two uniforms per draw; simple over fast). */
export function gaussian(random: Random, mean = 0, std = 1): number {
  // 1 - u keeps the argument of log in (0, 1].
  const u = 1 - random();
  const v = random();
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Uniform integer in [0, maxExclusive). */
export function randomInt(random: Random, maxExclusive: number): number {
  return Math.floor(random() * maxExclusive);
}


/**
 * `count` distinct indices drawn uniformly from 0..n-1, returned in ascending order (so that a
 * subsample keeps the caller's order, which keeps downstream results easy to reason about).
 */
export function sampleIndices(n: number, count: number, random: Random): number[] {
  if (count > n) throw new RangeError(`cannot sample ${count} of ${n} items without replacement`);
  return permutation(n, random).slice(0, count).sort((a, b) => a - b);
}
