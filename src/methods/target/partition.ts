// Subject-disjoint partitions of a train split: every data subject (Example.user; a record
// without a user is its own subject) lands in exactly one partition, so for any subject the
// references trained on the other partitions never saw any of its records.
import { subjectOf, type Example } from '../../data';

export { subjectOf };

export interface Partition {
  subjects: string[];
  /** Sorted train ids. */
  ids: string[];
}

/**
 * Greedy balance by record count (largest subject first, into the partition with the fewest
 * records; ties: the alphabetically first subject, the lowest partition): deterministic, and
 * each partition gets about 1/k of the records, so k references cost about one fine-tune.
 */
export function partitionBySubject(train: readonly Example[], k: number): Partition[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`references need k >= 2 partitions (with k = 1 the only reference sees every subject), got ${k}`);
  const bySubject = new Map<string, string[]>();
  for (const e of train) {
    const s = subjectOf(e);
    const ids = bySubject.get(s);
    if (ids) ids.push(e.id);
    else bySubject.set(s, [e.id]);
  }
  if (bySubject.size < k) throw new Error(`the train split has ${bySubject.size} data subjects, fewer than k = ${k} partitions`);
  const order = [...bySubject.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parts: Partition[] = Array.from({ length: k }, () => ({ subjects: [], ids: [] }));
  for (const [subject, ids] of order) {
    let target = 0;
    for (let i = 1; i < k; i++) if (parts[i]!.ids.length < parts[target]!.ids.length) target = i;
    parts[target]!.subjects.push(subject);
    parts[target]!.ids.push(...ids);
  }
  for (const p of parts) {
    p.subjects.sort();
    p.ids.sort();
  }
  return parts;
}
