/** Content fingerprints for datasets and forget sets. */
import { createHash } from 'node:crypto';
import type { Example } from './types';

/**
 * sha256 over (id, label name, text) of each example in the given order. Label names rather
 * than ids so that the hash does not depend on which other labels exist. A tagged sentence adds
 * its tokens and tag ids (ids: an Example does not carry tag names; the tag map is stored with
 * the model).
 */
export function datasetHash(examples: readonly Example[]): string {
  const hash = createHash('sha256');
  for (const ex of examples) {
    hash.update(ex.id).update('\u0000').update(ex.labelName).update('\u0000').update(ex.text);
    if (ex.tokens !== undefined) hash.update('\u0002').update(ex.tokens.join('\u0000')).update('\u0002').update((ex.tags ?? []).join(','));
    hash.update('\u0001');
  }
  return hash.digest('hex');
}

/** sha256 of the ids sorted in code-unit order and joined by newlines. */
export function idSetHash(ids: Iterable<string>): string {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(sorted.join('\n')).digest('hex');
}
