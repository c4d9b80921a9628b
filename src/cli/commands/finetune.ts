// `deepcut finetune`: fine-tune an encoder on a dataset (optionally without a
// forget set: that is the "retrain" gold standard), writing a Hugging Face
// checkpoint and train.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SEED, FORGET_SPEC_SYNTAX, loadDataset, splitOf, resolveForgetSet, retainSplit, type Example } from '../../data';
import { FINETUNE_DEFAULTS } from '../../train/finetune';
import { finetuneToFolder } from '../../train/run';
import { torchVersion, getNumThreads } from '../../engine';
import { DEFAULT_ENCODER } from '../../model/default-encoder';
import { startProgress } from '../progress';
import { positiveInt, nonNegativeInt, probability, CliError } from '../args';
import { runSisaFinetune } from './finetune-sisa';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';
import { addDistributedOptions, distributedPlan, type DistributedFlags } from '../distributed-flags';
import { launchLocalRanks } from '../launch';
import { ProcessGroup } from '../../engine/distributed';
import { DataParallel } from '../../train/distributed';


interface FinetuneFlags extends DistributedFlags {
  model: string; data: string; out: string; forget?: string; epochs: string; batch: string; lr: string;
  maxLength: string; patience: string; seed: string; splitSeed: string; overwrite?: boolean;
  sisaShards?: string; slices?: string; resume?: boolean; randomInit?: boolean; linearProbe: boolean; freezeLayers: string; dropout?: string; device: string;
}

function positiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new CliError(`${flag} must be a positive number, got '${value}'`);
  return n;
}

export function registerFinetune(program: Command): void {
  const command = program
    .command('finetune')
    .description('fine-tune an encoder on a dataset; with --forget, on the retain set only (the retrain gold standard)')
    .option('--model <dir>', 'Hugging Face folder of the encoder to start from', DEFAULT_ENCODER)
    .requiredOption('--data <name|file>', 'built-in dataset (spamassassin, sotu, brown) or a .jsonl/.csv file')
    .requiredOption('--out <dir>', 'output folder for the fine-tuned checkpoint and train.json')
    .option('--forget <spec>', `leave these training records out (${FORGET_SPEC_SYNTAX})`)
    .option('--epochs <n>', 'maximum epochs', String(FINETUNE_DEFAULTS.epochs))
    .option('--batch <n>', 'batch size', String(FINETUNE_DEFAULTS.batchSize))
    .option('--lr <x>', 'peak learning rate (AdamW, 10% warm-up, linear decay)', String(FINETUNE_DEFAULTS.lr))
    .option('--max-length <n>', 'tokens per text (truncated)', String(FINETUNE_DEFAULTS.maxLength))
    .option('--patience <n>', 'epochs without validation improvement before early stopping', String(FINETUNE_DEFAULTS.patience))
    .option('--seed <n>', 'random seed (data split, shuffling, dropout, new head)', String(FINETUNE_DEFAULTS.seed))
    .option('--split-seed <n>', 'seed of the train/validation/test split and of random: forget sets (kept fixed across training seeds)', String(DEFAULT_SEED))
    .option('--no-linear-probe', 'start fine-tuning from a random head instead of one fitted on the frozen encoder\'s features (LP-FT, the default)')
    .option('--dropout <p>', "dropout for this fine-tune (hidden, attention and classifier; saved in the model's config.json), instead of the encoder's own; measured on Brown: 0 with --lr 5e-4 beat the converted USE-Lite's 0.1 (docs/results.md)")
    .option('--freeze-layers <n>', 'keep the embeddings and the N lowest transformer layers at their pretrained weights (faster steps; unlearning then edits only what fine-tuning edited)', '0')
    .option('--overwrite', 'replace an existing --out folder')
    .option('--random-init', 'discard the encoder\'s pretrained weights (keep its config and tokenizer): the baseline that shows what pretraining buys')
    .option('--sisa-shards <n>', 'train a SISA model (README: SISA): N shards, each its own model, predicting by majority vote')
    .option('--slices <n>', 'SISA: slices per shard, trained in stages with a checkpoint after each (default 1)')
    .option('--resume', 'continue an interrupted run in --out from its last epoch checkpoint (SISA: skip finished stages)')
    .option('--device <device>', DEVICE_HELP, 'auto');
  addDistributedOptions(command)
    .action(async (f: FinetuneFlags) => {
      const out = path.resolve(f.out);
      if (path.resolve(f.model) === out) throw new CliError('--out must differ from --model (the input model is never modified)');
      if (f.sisaShards === undefined && f.slices !== undefined) throw new CliError('--slices applies to SISA training: pass --sisa-shards N too');
      if (f.resume && f.sisaShards === undefined && fs.existsSync(path.join(out, 'train.json'))) throw new CliError(`${f.out} holds a finished fine-tune (train.json); nothing to resume`);
      if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !f.overwrite && !f.resume) throw new CliError(`--out ${f.out} exists and is not empty (pass --overwrite to replace it)`);
      const seed = nonNegativeInt(f.seed, '--seed');
      const sisa = f.sisaShards !== undefined ? { shards: positiveInt(f.sisaShards, '--sisa-shards'), slices: positiveInt(f.slices ?? '1', '--slices') } : undefined;
      const options = {
        epochs: positiveInt(f.epochs, '--epochs'), batchSize: positiveInt(f.batch, '--batch'), lr: positiveNumber(f.lr, '--lr'),
        weightDecay: FINETUNE_DEFAULTS.weightDecay, warmupFraction: FINETUNE_DEFAULTS.warmupFraction,
        maxLength: positiveInt(f.maxLength, '--max-length'), patience: positiveInt(f.patience, '--patience'), seed, linearProbe: f.linearProbe,
        ...(f.freezeLayers !== '0' ? { freezeLayers: nonNegativeInt(f.freezeLayers, '--freeze-layers') } : {}),
        ...(f.dropout !== undefined ? { dropout: probability(f.dropout, '--dropout') } : {}),
      };
      const plan = distributedPlan(f);
      if (plan && sisa) throw new CliError('SISA training (--sisa-shards) runs one process per shard; data-parallel flags do not apply to it');
      if (plan && f.device !== 'auto' && f.device !== 'cpu') throw new CliError(`data-parallel fine-tuning runs on the CPU (Gloo; this build has no NCCL): --device ${f.device} is not supported with it`);
      if (plan?.kind === 'launch') {
        // The ranks are this command again, each with --rank/--world-size/--master (process.argv: the CLI's own).
        await launchLocalRanks({ nproc: plan.nproc, args: process.argv.slice(2), log: (line) => console.log(`deepcut finetune: ${line}`) });
        return;
      }
      // Resolved after the other flags: 'auto' loads the addon, and usage errors must not need it.
      const device = plan ? deviceFlag('cpu') : deviceFlag(f.device);
      const started = Date.now();
      // Data-parallel: join first (an unreachable master fails before minutes of loading); rank 0 alone prints and writes.
      const dp = plan ? new DataParallel(ProcessGroup.create(plan)) : undefined;
      try {
        const say = dp && !dp.isLeader ? () => undefined : (line: string) => console.log(line);
        const ranks = dp ? `, data-parallel rank ${dp.rank} of ${dp.worldSize} (Gloo, master ${dp.group.master.host}:${dp.group.master.port})` : '';
        say(`deepcut finetune: libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}${ranks}`);
        const splitSeed = nonNegativeInt(f.splitSeed, '--split-seed');
        const ds = await loadDataset(f.data, { seed: splitSeed, log: say });
        let train: Example[] = splitOf(ds, 'train');
        const forget = f.forget ? resolveForgetSet(ds, f.forget, { seed: splitSeed }) : undefined;
        if (forget) {
          if (!dp || dp.isLeader) forget.warnings.forEach((w) => console.warn(`warning: ${w}`));
          train = retainSplit(ds, forget);
          say(`forget set ${forget.spec}: ${forget.ids.length} records left out, training on ${train.length}`);
        }
        if (sisa) {
          const { seed: _seed, ...settings } = options;
          runSisaFinetune({ model: f.model, out, dataset: ds, train, forget, ...sisa, seed, splitSeed, settings, resume: Boolean(f.resume), device });
          return;
        }
        if (f.randomInit) say('--random-init: encoder weights re-initialised (HF init), pretrained weights discarded');
        const progress = !dp || dp.isLeader ? startProgress('fine-tuning', Math.ceil(train.length / options.batchSize) * options.epochs, ['epoch', 'loss']) : undefined;
        // --out was checked above (absent, empty, --overwrite or --resume); the finished run replaces it.
        const record = finetuneToFolder({
          base: f.model, dataset: ds, forget, out, settings: options, splitSeed, randomInit: f.randomInit, resume: f.resume, device, log: say,
          onStep: ({ step, epoch, loss }) => progress?.update(step, { epoch, loss: loss.toFixed(4) }), distributed: dp,
        });
        progress?.stop();
        if (!record) return; // a data-parallel rank other than 0: rank 0 reports and writes
        for (const e of record.epochs) {
          const val = Number.isFinite(e.validationAccuracy) ? `validation accuracy ${(100 * e.validationAccuracy).toFixed(1)}%, macro-F1 ${e.validationMacroF1.toFixed(3)}` : 'no validation split (the last epoch is kept)';
          console.log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, ${val} (${e.seconds.toFixed(0)} s)`);
        }
        const kept = record.best_epoch === 0 ? ' (the linear probe: no fine-tuning epoch beat it on validation)' : '';
        console.log(`best epoch ${record.best_epoch}${kept}; test accuracy ${(100 * record.test.accuracy).toFixed(1)}%, macro-F1 ${record.test.macro_f1.toFixed(3)}; ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${out}`);
      } finally {
        dp?.group.destroy();
      }
    });
}
