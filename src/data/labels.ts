/** Label names <-> integer ids. Ids are positions in the sorted list of names. */
import { readFileSync } from 'node:fs';
import { DataError } from './errors';
import { writeFileAtomic } from '../io/atomic';

/** Code-unit order, not locale order: the map must be identical on every machine. */
export function sortLabels(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function labelIndex(labels: readonly string[]): Map<string, number> {
  return new Map(labels.map((name, i) => [name, i]));
}

export function saveLabelMap(file: string, labels: readonly string[]): void {
  writeFileAtomic(file, JSON.stringify({ labels }, null, 2) + '\n');
}

export function loadLabelMap(file: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read label map: ${(err as Error).message}`, { file });
  }
  const labels = (parsed as { labels?: unknown } | null)?.labels;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' || l === '')) {
    throw new DataError('label map must be {"labels": [non-empty strings]}', { file });
  }
  const names = labels as string[];
  const sorted = sortLabels(names);
  if (sorted.length !== names.length || sorted.some((name, i) => name !== names[i])) {
    throw new DataError('label map must list unique label names in sorted order', { file });
  }
  return names;
}
