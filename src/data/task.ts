/** What a dataset's labels are: text classes (the default) or word tags (token classification). */
import type { Dataset, Example } from './types';

export function isTagging(dataset: Dataset): boolean {
  return dataset.task === 'token-classification';
}

/** Words in tagged sentences (0 for texts). */
export function tokenCount(examples: readonly Example[]): number {
  return examples.reduce((n, e) => n + (e.tokens?.length ?? 0), 0);
}

/** Tokens per tag name over the given tagged examples (tags of the dataset that do not occur are absent). */
export function countByTag(dataset: Dataset, examples: readonly Example[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ex of examples) {
    for (const tag of ex.tags ?? []) {
      const name = dataset.labels[tag]!;
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}
