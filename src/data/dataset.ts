/** Small read-only helpers over a Dataset. */
import { SPLITS, type Dataset, type Example, type Split } from './types';

export function splitOf(ds: Dataset, split: Split): Example[] {
  return ds.examples.filter((ex) => ex.split === split);
}

export function countBySplit(examples: readonly Example[]): Record<Split, number> {
  const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  for (const ex of examples) counts[ex.split]++;
  return counts;
}

/** Records per sentence label; a tagged sentence has none, so it is an error to count them (use countByTag). */
export function countByLabel(examples: readonly Example[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ex of examples) {
    if (ex.tokens !== undefined) throw new Error(`countByLabel on tagged sentence '${ex.id}': token-classification records have no sentence label (use countByTag)`);
    counts[ex.labelName] = (counts[ex.labelName] ?? 0) + 1;
  }
  return counts;
}

/** A record's data subject: its user, else the record itself. */
export function subjectOf(e: Example): string {
  return e.user ?? `id:${e.id}`;
}

export function distinctUsers(examples: readonly Example[]): number {
  return new Set(examples.flatMap((ex) => (ex.user === undefined ? [] : [ex.user]))).size;
}

export function describeSplitCounts(counts: Record<Split, number>): string {
  return SPLITS.map((s) => `${s}=${counts[s]}`).join(' ');
}
