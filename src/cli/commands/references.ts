// `deepcut references`: train the reference models a per-request stopping target is estimated
// from (--stop references): K fine-tunes on subject-disjoint partitions of the train split,
// each with the original's recipe.
import * as path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SEED, loadDataset } from '../../data';
import { recordedRecipe } from '../../methods/recipe';
import { trainReferences } from '../../methods/target/train-references';
import { torchVersion, getNumThreads } from '../../engine';
import { nonNegativeInt, positiveInt, CliError } from '../args';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';

interface ReferencesFlags { model: string; data: string; k: string; out: string; seed: string; splitSeed?: string; base?: string; resume?: boolean; device: string }

export function registerReferences(program: Command): void {
  program
    .command('references')
    .description('train K reference models on subject-disjoint partitions of the train split (for --stop references); about one fine-tune in all')
    .requiredOption('--model <dir>', 'the original fine-tuned model (its recipe is repeated: lineage.json / train.json)')
    .requiredOption('--data <name|file>', 'the dataset it was fine-tuned on')
    .option('--k <n>', 'partitions (= reference models); each subject is unseen by k-1 of them', '4')
    .requiredOption('--out <dir>', 'output folder: references.json and ref-0 ... ref-(k-1)')
    .option('--seed <n>', 'training seed of every reference', '0')
    .option('--split-seed <n>', `data split seed (default: the model's recipe, else ${DEFAULT_SEED})`)
    .option('--base <dir>', 'the encoder to start from (default: the original\'s recorded base model)')
    .option('--resume', 'continue an interrupted run: finished references are skipped')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action(async (f: ReferencesFlags) => {
      const k = positiveInt(f.k, '--k');
      if (k < 2) throw new CliError('--k must be at least 2 (with one partition the only reference sees every subject)');
      const out = path.resolve(f.out);
      if (out === path.resolve(f.model)) throw new CliError('--out must differ from --model');
      const device = deviceFlag(f.device);
      const recipe = recordedRecipe(f.model);
      const splitSeed = f.splitSeed !== undefined ? nonNegativeInt(f.splitSeed, '--split-seed') : recipe.splitSeed ?? DEFAULT_SEED;
      console.log(`deepcut references: k ${k}, libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}`);
      const ds = await loadDataset(f.data, { seed: splitSeed, log: (line: string) => console.log(line) });
      const started = Date.now();
      const manifest = trainReferences({
        model: f.model, dataset: ds, splitSeed, k, out, seed: nonNegativeInt(f.seed, '--seed'), base: f.base, resume: f.resume, device,
        log: (line) => console.log(line),
      });
      const acc = manifest.partitions.map((p) => (p.test_accuracy !== undefined ? `${(100 * p.test_accuracy).toFixed(1)}%` : '-')).join(', ');
      console.log(`${manifest.k} references (test accuracy ${acc}) in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${out}`);
    });
}
