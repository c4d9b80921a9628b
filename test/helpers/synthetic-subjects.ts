// A synthetic dataset whose answer is known: texts are bags of class words ("alpha" words for
// one class, "omega" words for the other) plus filler, from 24 ordinary users; one more user,
// "flipper", writes ordinary texts with the opposite label. No other user predicts flipper's
// labels, so a model that never saw flipper gets ~0% of them right; an ordinary user's records
// behave like held-out data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../src/util/prng';
import { loadDatasetFile, type Dataset } from '../../src/data';
import { finetuneToFolder, type FinetuneSettings } from '../../src/train/run';
import { trainReferences } from '../../src/methods/target';
import { makeTinyBase } from './tiny-run';

const ALPHA = ['apple', 'amber', 'anchor', 'arrow', 'aspen', 'atlas', 'azure', 'acorn'];
const OMEGA = ['ocean', 'onyx', 'orbit', 'otter', 'olive', 'opal', 'oxide', 'orchid'];
const FILLER = ['the', 'and', 'with', 'from', 'into', 'over', 'near', 'about', 'after', 'under'];

export const FLIPPER = 'flipper';

function text(random: () => number, cls: 0 | 1): string {
  const words = cls === 0 ? ALPHA : OMEGA;
  const out: string[] = [];
  for (let i = 0; i < 10; i++) {
    const pool = i % 2 === 0 ? words : FILLER;
    out.push(pool[Math.floor(random() * pool.length)]!);
  }
  return out.join(' ');
}

export async function syntheticSubjects(dir: string): Promise<Dataset> {
  const random = mulberry32(7);
  const rows: string[] = [];
  const add = (id: string, user: string, cls: 0 | 1, label: 0 | 1, split: string) => {
    rows.push(JSON.stringify({ id, text: text(random, cls), label: label === 0 ? 'alpha' : 'omega', user, split }));
  };
  for (let u = 0; u < 24; u++) {
    for (let i = 0; i < 8; i++) add(`u${u}-${i}`, `user-${String(u).padStart(2, '0')}`, (i % 2) as 0 | 1, (i % 2) as 0 | 1, 'train');
  }
  for (let i = 0; i < 8; i++) add(`flip-${i}`, FLIPPER, (i % 2) as 0 | 1, (1 - (i % 2)) as 0 | 1, 'train');
  for (let i = 0; i < 40; i++) add(`val-${i}`, `val-user-${i % 10}`, (i % 2) as 0 | 1, (i % 2) as 0 | 1, 'validation');
  for (let i = 0; i < 20; i++) add(`test-${i}`, `test-user-${i % 5}`, (i % 2) as 0 | 1, (i % 2) as 0 | 1, 'test');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'synthetic-subjects.jsonl');
  fs.writeFileSync(file, `${rows.join('\n')}\n`);
  return loadDatasetFile(file);
}

/**
 * A tiny base encoder, an original fine-tuned on `data` and 4 reference models on its
 * subject-disjoint partitions, in `root` (split seed 42).
 */
export function originalWithReferences(root: string, data: Dataset, settings: FinetuneSettings): { original: string; references: string } {
  const base = path.join(root, 'base');
  makeTinyBase(base, data).model.dispose();
  const original = path.join(root, 'original');
  finetuneToFolder({ base, dataset: data, out: original, settings, splitSeed: 42 });
  const references = path.join(root, 'references');
  trainReferences({ model: original, dataset: data, splitSeed: 42, k: 4, out: references });
  return { original, references };
}
