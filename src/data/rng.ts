/**
 * Tiny deterministic randomness for data work. Math.random is never used in src/data:
 * every split, sample and shuffle must be reproducible from a seed.
 */

import { mulberry32, shuffleInPlace, type Random } from '../util/prng';

export { mulberry32 } from '../util/prng';
export type Rand = Random;


/** FNV-1a over the UTF-16 code units: turns a label such as `${seed}:forget-random` into a PRNG seed. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A PRNG for one purpose under one user seed, so different purposes do not share a stream. */
export function rngFor(seed: number, purpose: string): Rand {
  return mulberry32(seedFromString(`${seed}:${purpose}`));
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rand: Rand): T[] {
  return shuffleInPlace(items.slice(), rand);
}
