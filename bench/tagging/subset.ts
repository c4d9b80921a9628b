/**
 * A seeded share of a tagging dataset's data subjects, every sentence of each kept with its split:
 * a grid that needs an original, references and retrains per seed fits a 2-core machine only on
 * part of brown-pos (one fine-tune of the whole corpus is ~12 minutes on 2 threads). Whole source
 * texts are kept so `largest-user` still forgets a whole text.
 *
 *   node dist/bench/tagging/subset.js [--data brown-pos] [--fraction 0.2] [--seed 42] --out FILE.jsonl
 */
import { Command } from 'commander';
import { countBySplit, examplesToJsonl, isTagging, loadDataset, rngFor, shuffled } from '../../src/data';
import { mostFrequentTagBaseline } from '../../src/eval/tag-baseline';
import { writeFileAtomic } from '../../src/io/atomic';

const program = new Command()
  .option('--data <name>', 'tagging dataset (built-in name or file)', 'brown-pos')
  .option('--fraction <f>', 'share of data subjects kept', '0.2')
  .option('--seed <n>', 'which subjects', '42')
  .requiredOption('--out <file>', 'tagged JSONL to write')
  .parse();
const o = program.opts<{ data: string; fraction: string; seed: string; out: string }>();
const fraction = Number(o.fraction);
if (!(fraction > 0 && fraction <= 1)) throw new Error(`--fraction must be in (0, 1], got ${o.fraction}`);
async function main(): Promise<void> {
  const ds = await loadDataset(o.data);
  if (!isTagging(ds)) throw new Error(`${o.data} is not a tagging dataset`);
  const users = [...new Set(ds.examples.map((e) => e.user ?? e.id))].sort();
  const kept = new Set(shuffled(users, rngFor(Number(o.seed), `subset:${ds.name}`)).slice(0, Math.max(1, Math.round(fraction * users.length))));
  const examples = ds.examples.filter((e) => kept.has(e.user ?? e.id));
  writeFileAtomic(o.out, examplesToJsonl(examples, ds.labels));
  const sub = { ...ds, examples };
  const splits = countBySplit(examples);
  const words = (s: string) => examples.filter((e) => e.split === s).reduce((n, e) => n + e.tokens!.length, 0);
  const base = mostFrequentTagBaseline(sub);
  console.log(`wrote ${o.out}: ${kept.size} of ${users.length} subjects, ${examples.length} sentences (train ${splits.train} / validation ${splits.validation} / test ${splits.test}; train words ${words('train')})`);
  console.log(`most-frequent-tag baseline on its test words: accuracy ${(100 * base.accuracy).toFixed(2)}%, macro-F1 ${base.macroF1.toFixed(3)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
