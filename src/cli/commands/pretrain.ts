// `deepcut pretrain`: WordPiece tokenizer + masked-LM pretraining of a small
// BERT on public-domain text, written as a Hugging Face folder with a model card.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadPretrainingCorpus, splitHeldOut } from '../../text/corpus';
import { trainTokenizerToDir } from '../../text/train-tokenizer-cli';
import { pretrain } from '../../model/pretrain/pretrain';
import { copyTokenizerFiles } from '../../model';
import { writeFileAtomic } from '../../io/atomic';
import { readJsonFile } from '../../io/json-file';
import { torchVersion, getNumThreads } from '../../engine';
import { startProgress } from '../progress';
import { positiveInt, nonNegativeInt, CliError } from '../args';
import { DEVICE_HELP, deviceFlag, deviceLine } from '../device';

interface PretrainFlags {
  corpus: string; out: string; vocabSize: string; hidden: string; layers: string; heads: string; ffn: string;
  seq: string; batch: string; steps: string; lr: string; checkpointEvery: string; seed: string; resume?: boolean; overwrite?: boolean; initFrom?: string; device: string;
}

function readCorpus(spec: string): { train: string[]; heldOut: string[]; description: string } {
  if (spec === 'default') {
    const c = loadPretrainingCorpus();
    return {
      train: c.train.map((d) => d.text), heldOut: c.heldOut.map((d) => d.text),
      description: `the default public-domain corpus (${c.sources.join(', ')}; ${c.stats.train.words} training words; see docs/pretraining-corpus.md), disjoint from every evaluation dataset (SpamAssassin, State of the Union, Brown): documents sharing any 8-word sequence with them are dropped`,
    };
  }
  if (!fs.existsSync(spec)) throw new CliError(`--corpus ${spec}: no such file (use 'default' or a text file with one document per line)`);
  const docs = fs.readFileSync(spec, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const { train, heldOut } = splitHeldOut(docs, 50);
  return { train, heldOut, description: `${spec} (${docs.length} documents)` };
}

/** One pretraining run of a model's history (pretraining.json): a fresh start or a continuation. */
const stageSchema = z.object({
  command: z.string(), steps: z.number().int().positive(), seq: z.number().int().positive(), batch: z.number().int().positive(),
  lr: z.number().positive(), seed: z.number().int().nonnegative(), blocks: z.number().int().nonnegative(),
  final_loss: z.number(), held_out_loss: z.number(), held_out_accuracy: z.number().min(0).max(1),
  minutes: z.number().nonnegative(), threads: z.number().int().positive(), libtorch: z.string(),
  /** Where the stage trained; absent in stages from before devices. */
  device: z.string().optional(),
});
type PretrainStage = z.infer<typeof stageSchema>;
const configSchema = z.object({
  num_hidden_layers: z.number(), hidden_size: z.number(), num_attention_heads: z.number(), intermediate_size: z.number(), vocab_size: z.number(),
});

const HISTORY_FILE = 'pretraining.json';

function readHistory(dir: string): PretrainStage[] {
  const file = path.join(dir, HISTORY_FILE);
  if (!fs.existsSync(file)) throw new CliError(`--init-from ${dir}: no ${HISTORY_FILE} (the record of how it was pretrained, written by deepcut pretrain)`);
  return readJsonFile(file, z.array(stageSchema).min(1));
}

function modelCard(out: string, corpus: string, stages: readonly PretrainStage[]): string {
  const c = readJsonFile(path.join(out, 'config.json'), configSchema);
  const last = stages[stages.length - 1]!;
  const total = stages.reduce((a, st) => a + st.steps, 0);
  const lines = [
    '# deepcut-bert-small: a small BERT pretrained by deepcut', '',
    `A small BERT (${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads, FFN ${c.intermediate_size}, WordPiece vocabulary ${c.vocab_size}) pretrained with masked-LM by deepcut itself, because no model hub is reachable.`, '',
    `- Corpus: ${corpus}.`,
    `- Training: ${total} steps in ${stages.length} stage(s); each stage uses AdamW (5% warm-up, linear decay; a continuation starts a fresh optimizer and schedule), weight decay 0.01 (none on biases/LayerNorm), grad-norm clip 1.0, BERT masking (15%: 80/10/10).`,
    ...stages.map((st, i) => `  - stage ${i + 1}: ${st.steps} steps of ${st.batch} blocks x ${st.seq} tokens (${st.blocks} packed blocks), lr ${st.lr}, seed ${st.seed}; final training loss ${st.final_loss.toFixed(3)}; held-out loss ${st.held_out_loss.toFixed(3)}, accuracy ${(100 * st.held_out_accuracy).toFixed(1)}%; ${st.minutes.toFixed(1)} min on ${st.threads} CPU thread(s) (libtorch ${st.libtorch}).`),
    `- Held-out masked-LM (every 50th document, never trained on; fixed masking seed): loss ${last.held_out_loss.toFixed(3)}, accuracy ${(100 * last.held_out_accuracy).toFixed(1)}%.`, '',
    'Reproduce (each stage continues the previous one; the stage list is in pretraining.json):', '', '```sh', ...stages.map((st) => st.command), '```', '',
  ];
  return lines.join('\n');
}

export function registerPretrain(program: Command): void {
  program
    .command('pretrain')
    .description('train a WordPiece tokenizer and pretrain a small BERT with masked-LM')
    .option('--corpus <default|FILE>', "'default' (public-domain books, see docs/pretraining-corpus.md) or a text file, one document per line", 'default')
    .requiredOption('--out <dir>', 'output folder (Hugging Face layout)')
    .option('--vocab-size <n>', 'WordPiece vocabulary size', '8000')
    .option('--hidden <n>', 'hidden size', '256')
    .option('--layers <n>', 'transformer layers', '4')
    .option('--heads <n>', 'attention heads', '4')
    .option('--ffn <n>', 'feed-forward size', '1024')
    .option('--seq <n>', 'tokens per training block', '128')
    .option('--batch <n>', 'blocks per step', '16')
    .option('--steps <n>', 'optimizer steps', '3000')
    .option('--lr <x>', 'peak learning rate (linear warm-up over 5% of steps, linear decay)', '5e-4')
    .option('--checkpoint-every <n>', 'steps between resumable checkpoints', '250')
    .option('--seed <n>', 'random seed', '0')
    .option('--resume', 'continue from the last checkpoint in --out')
    .option('--overwrite', 'write into a non-empty --out (replacing the model there)')
    .option('--init-from <dir>', 'continue pretraining this masked-LM folder (its tokenizer, architecture and weights; a fresh optimizer and schedule over --steps)')
    .option('--device <device>', DEVICE_HELP, 'auto')
    .action((f: PretrainFlags) => {
      const lr = Number(f.lr);
      if (!(lr > 0)) throw new CliError(`--lr must be a positive number, got '${f.lr}'`);
      const out = path.resolve(f.out);
      if (f.resume && f.overwrite) throw new CliError('--resume and --overwrite exclude each other');
      if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !f.overwrite && !f.resume) {
        throw new CliError(`--out ${f.out} exists and is not empty (pass --overwrite to replace it, or --resume to continue an interrupted run)`);
      }
      const device = deviceFlag(f.device); // after the other flags ('auto' loads the addon), before anything is deleted
      if (f.overwrite) fs.rmSync(out, { recursive: true, force: true });
      console.log(`deepcut pretrain: libtorch ${torchVersion()}, ${getNumThreads()} threads, ${deviceLine(device)}`);
      const corpus = readCorpus(f.corpus);
      console.log(`corpus: ${corpus.description}: ${corpus.train.length} training / ${corpus.heldOut.length} held-out documents`);
      const tokenizerDir = path.join(out, 'tokenizer');
      const initFrom = f.initFrom === undefined ? undefined : path.resolve(f.initFrom);
      if (initFrom !== undefined && initFrom === out) throw new CliError('--init-from and --out must be different folders (the output is written in place)');
      const history = initFrom === undefined ? [] : readHistory(initFrom);
      const seq = positiveInt(f.seq, '--seq');
      const batch = positiveInt(f.batch, '--batch');
      const seed = nonNegativeInt(f.seed, '--seed');
      const resumingTokenizer = f.resume && fs.existsSync(path.join(tokenizerDir, 'tokenizer.json'));
      if (!resumingTokenizer && initFrom !== undefined) {
        if (!fs.existsSync(path.join(initFrom, 'tokenizer.json'))) throw new CliError(`--init-from ${initFrom}: no tokenizer.json`);
        fs.mkdirSync(tokenizerDir, { recursive: true });
        copyTokenizerFiles(initFrom, tokenizerDir);
        console.log(`continuing ${initFrom} (${history.reduce((a, h) => a + h.steps, 0)} steps so far) with its tokenizer`);
      } else if (!resumingTokenizer) {
        const t = trainTokenizerToDir(tokenizerDir, { vocabSize: positiveInt(f.vocabSize, '--vocab-size'), texts: corpus.train, modelMaxLength: seq });
        console.log(`tokenizer: ${t.vocabSize} WordPiece tokens from ${t.wordTypes} word types in ${t.trainingSeconds.toFixed(1)} s`);
      }
      const steps = positiveInt(f.steps, '--steps');
      const progress = startProgress('pretraining', steps, ['loss', 'tokens/s']);
      const result = pretrain({
        outDir: out, tokenizerDir, trainTexts: corpus.train, heldOutTexts: corpus.heldOut,
        hiddenSize: positiveInt(f.hidden, '--hidden'), numLayers: positiveInt(f.layers, '--layers'), numHeads: positiveInt(f.heads, '--heads'),
        intermediateSize: positiveInt(f.ffn, '--ffn'), seqLen: seq, batchSize: batch,
        steps, lr, warmupFraction: 0.05, checkpointEvery: positiveInt(f.checkpointEvery, '--checkpoint-every'),
        seed, resume: Boolean(f.resume), initFrom, device,
        onProgress: ({ step, loss, tokensPerSecond }) => progress.update(step, { loss: loss.toFixed(3), 'tokens/s': tokensPerSecond.toFixed(0) }),
      });
      progress.stop();
      const init = initFrom === undefined ? '' : ` --init-from ${f.initFrom}`;
      const arch = initFrom === undefined ? ` --vocab-size ${f.vocabSize} --hidden ${f.hidden} --layers ${f.layers} --heads ${f.heads} --ffn ${f.ffn}` : '';
      const stage: PretrainStage = {
        command: `deepcut pretrain --corpus ${f.corpus} --out ${f.out}${init}${arch} --seq ${f.seq} --batch ${f.batch} --steps ${f.steps} --lr ${f.lr} --seed ${f.seed}`,
        steps: result.steps, seq, batch, lr, seed,
        blocks: result.blocks, final_loss: result.finalLoss, held_out_loss: result.heldOutLoss, held_out_accuracy: result.heldOutAccuracy,
        minutes: result.seconds / 60, threads: getNumThreads(), libtorch: torchVersion(), device,
      };
      const stages = [...history, stage];
      writeFileAtomic(path.join(out, HISTORY_FILE), `${JSON.stringify(stages, null, 2)}\n`);
      const card = modelCard(out, corpus.description, stages);
      writeFileAtomic(path.join(out, 'README.md'), card);
      console.log(card);
    });
}
