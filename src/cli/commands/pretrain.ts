// `deepcut pretrain`: WordPiece tokenizer + masked-LM pretraining of a small
// BERT on public-domain text, written as a Hugging Face folder with a model card.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadPretrainingCorpus, splitHeldOut } from '../../text/corpus';
import { trainTokenizerToDir } from '../../text/train-tokenizer-cli';
import { pretrain } from '../../model/pretrain/pretrain';
import { writeFileAtomic } from '../../io/atomic';
import { torchVersion, getNumThreads } from '../../engine';
import { startProgress } from '../progress';
import { positiveInt, nonNegativeInt, CliError } from '../args';

interface PretrainFlags {
  corpus: string; out: string; vocabSize: string; hidden: string; layers: string; heads: string; ffn: string;
  seq: string; batch: string; steps: string; lr: string; checkpointEvery: string; seed: string; resume?: boolean;
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
    .action((f: PretrainFlags) => {
      const lr = Number(f.lr);
      if (!(lr > 0)) throw new CliError(`--lr must be a positive number, got '${f.lr}'`);
      const out = path.resolve(f.out);
      const started = Date.now();
      console.log(`deepcut pretrain: libtorch ${torchVersion()}, ${getNumThreads()} threads`);
      const corpus = readCorpus(f.corpus);
      console.log(`corpus: ${corpus.description}: ${corpus.train.length} training / ${corpus.heldOut.length} held-out documents`);
      const tokenizerDir = path.join(out, 'tokenizer');
      if (!(f.resume && fs.existsSync(path.join(tokenizerDir, 'tokenizer.json')))) {
        const t = trainTokenizerToDir(tokenizerDir, { vocabSize: positiveInt(f.vocabSize, '--vocab-size'), texts: corpus.train, modelMaxLength: positiveInt(f.seq, '--seq') });
        console.log(`tokenizer: ${t.vocabSize} WordPiece tokens from ${t.wordTypes} word types in ${t.trainingSeconds.toFixed(1)} s`);
      }
      const steps = positiveInt(f.steps, '--steps');
      const progress = startProgress('pretraining', steps, ['loss', 'tokens/s']);
      const result = pretrain({
        outDir: out, tokenizerDir, trainTexts: corpus.train, heldOutTexts: corpus.heldOut,
        hiddenSize: positiveInt(f.hidden, '--hidden'), numLayers: positiveInt(f.layers, '--layers'), numHeads: positiveInt(f.heads, '--heads'),
        intermediateSize: positiveInt(f.ffn, '--ffn'), seqLen: positiveInt(f.seq, '--seq'), batchSize: positiveInt(f.batch, '--batch'),
        steps, lr, warmupFraction: 0.05, checkpointEvery: positiveInt(f.checkpointEvery, '--checkpoint-every'),
        seed: nonNegativeInt(f.seed, '--seed'), resume: Boolean(f.resume),
        onProgress: ({ step, loss, tokensPerSecond }) => progress.update(step, { loss: loss.toFixed(3), 'tokens/s': tokensPerSecond.toFixed(0) }),
      });
      progress.stop();
      const command = `deepcut pretrain --corpus ${f.corpus} --out ${f.out} --vocab-size ${f.vocabSize} --hidden ${f.hidden} --layers ${f.layers} --heads ${f.heads} --ffn ${f.ffn} --seq ${f.seq} --batch ${f.batch} --steps ${f.steps} --lr ${f.lr} --seed ${f.seed}`;
      const card = [
        '# deepcut default encoder', '',
        `A small BERT (${f.layers} layers, hidden ${f.hidden}, ${f.heads} heads, FFN ${f.ffn}, WordPiece vocabulary ${f.vocabSize}) pretrained with masked-LM by deepcut itself, because no model hub is reachable.`, '',
        `- Corpus: ${corpus.description}.`,
        `- Training: ${result.steps} steps of ${f.batch} blocks x ${f.seq} tokens (${result.blocks} packed blocks), AdamW lr ${f.lr} (5% warm-up, linear decay), weight decay 0.01 (none on biases/LayerNorm), grad-norm clip 1.0, BERT masking (15%: 80/10/10), seed ${f.seed}.`,
        `- Final training loss: ${result.finalLoss.toFixed(3)}.`,
        `- Held-out masked-LM (every 50th document, never trained on): loss ${result.heldOutLoss.toFixed(3)}, accuracy ${(100 * result.heldOutAccuracy).toFixed(1)}%.`,
        `- Wall time: ${((Date.now() - started) / 60000).toFixed(1)} min on ${getNumThreads()} CPU threads (libtorch ${torchVersion()}).`, '',
        'Reproduce:', '', '```sh', command, '```', '',
      ].join('\n');
      writeFileAtomic(path.join(out, 'README.md'), card);
      console.log(card);
    });
}
