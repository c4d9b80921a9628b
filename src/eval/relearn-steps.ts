// The relearning check's plan, without running models: its step counts, the two halves of the
// forget set, and what metrics.json records (relearn.ts runs it).
import type { Example } from '../data';
import { mixSeed, mulberry32, permutation } from '../util/prng';

export const DEFAULT_RELEARN_STEPS: readonly number[] = [5, 10, 25, 50];

/** metrics.json's `relearn`: the held-back half's accuracy and mean loss after each step count (step 0 = before relearning). */
export interface RelearnMetrics {
  accuracy: Record<string, number>;
  loss: Record<string, number>;
  /** Forget rows relearned on, and rows scored. */
  train_rows: number;
  scored_rows: number;
  lr: number;
  batch_size: number;
  seconds: number;
}

/** The two seeded halves of the forget set: relearned on (the larger when odd) and scored. */
export function relearnHalves(forget: readonly Example[], seed: number): { train: Example[]; score: Example[] } {
  if (forget.length < 2) throw new Error(`the relearning check needs at least 2 forget rows (one to relearn on, one to score), got ${forget.length}`);
  // Sorted by id first, so the halves do not depend on the order the rows came in.
  const sorted = [...forget].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const order = permutation(sorted.length, mulberry32(mixSeed(seed, 0x5e1ea)));
  const cut = Math.ceil(sorted.length / 2);
  return { train: order.slice(0, cut).map((i) => sorted[i]!), score: order.slice(cut).map((i) => sorted[i]!) };
}

export function checkRelearnSteps(steps: readonly number[], where: string): number[] {
  if (steps.length === 0) throw new Error(`${where}: name at least one step count`);
  for (const s of steps) if (!Number.isInteger(s) || s < 1) throw new Error(`${where}: step counts are positive integers, got ${s}`);
  return [...new Set(steps)].sort((a, b) => a - b);
}

/** The step counts a table shows: the first and the last after step 0 (one when they coincide). */
export function firstAndLastSteps<T extends number | string>(steps: readonly T[]): T[] {
  const after = steps.filter((k) => Number(k) > 0);
  return [...new Set([after[0], after[after.length - 1]])].filter((k): k is T => k !== undefined);
}
