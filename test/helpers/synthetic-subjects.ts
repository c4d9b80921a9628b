// A synthetic dataset whose answer is known: texts are bags of class words ("alpha" words for
// one class, "omega" words for the other) plus filler, from 24 ordinary users; one more user,
// "flipper", writes ordinary texts with the opposite label. No other user predicts flipper's
// labels, so a model that never saw flipper gets ~0% of them right; an ordinary user's records
// behave like held-out data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../src/util/prng';
import { loadDatasetFile, type Dataset } from '../../src/data';

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
