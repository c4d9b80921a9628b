/** Deterministic train/validation/test assignment for records that do not name their split. */
import { createHash } from 'node:crypto';
import type { Split } from './types';

export const DEFAULT_SEED = 42;

export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_SPLIT_RATIOS: SplitRatios = { train: 0.8, validation: 0.1, test: 0.1 };

/** Share of train moved to validation when the data has no validation rows (records.ts). */
export const VALIDATION_CARVE_FRACTION = 0.1;

/**
 * The split depends only on (seed, id): adding or removing other records never moves a
 * record to another split, which keeps forget sets and cached models comparable.
 */
export function assignSplit(id: string, seed: number, ratios: SplitRatios = DEFAULT_SPLIT_RATIOS): Split {
  const digest = createHash('sha256').update(`${seed}\u0000${id}`).digest();
  const u = digest.readUInt32BE(0) / 4294967296;
  const total = ratios.train + ratios.validation + ratios.test;
  if (u < ratios.train / total) return 'train';
  if (u < (ratios.train + ratios.validation) / total) return 'validation';
  return 'test';
}
