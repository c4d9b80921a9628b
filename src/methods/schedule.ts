// Which examples make up batch number i: seeded reshuffles per pass, computed from (seed, i)
// alone, so a resumed run sees exactly the batches an uninterrupted one would.
import { mixSeed, mulberry32, permutation } from '../util/prng';

export { mixSeed };

export class BatchSchedule {
  private cachedPass = -1;
  private order: number[] = [];
  private readonly perPass: number;

  constructor(private readonly n: number, private readonly batchSize: number, private readonly seed: number) {
    if (n === 0) throw new Error('cannot draw batches from an empty set');
    this.perPass = Math.ceil(n / batchSize);
  }

  /** Indices of batch `index` (0-based, over as many passes as needed). */
  indices(index: number): number[] {
    const pass = Math.floor(index / this.perPass);
    if (pass !== this.cachedPass) {
      this.order = permutation(this.n, mulberry32(mixSeed(this.seed, pass)));
      this.cachedPass = pass;
    }
    const start = (index % this.perPass) * this.batchSize;
    return this.order.slice(start, Math.min(start + this.batchSize, this.n));
  }
}

/** A seeded sample of at most k items (all of them, in order, when there are no more than k). */
export function sampleUpTo<T>(items: readonly T[], k: number, seed: number): T[] {
  if (items.length <= k) return [...items];
  return permutation(items.length, mulberry32(seed)).slice(0, k).sort((a, b) => a - b).map((i) => items[i]!);
}
