// `deepcut demo`: the embedded default job. For now (engine milestone) it
// trains a small classifier on real SpamAssassin emails through the libtorch
// engine and shows the loss falling; later milestones turn it into the full
// fine-tune -> unlearn -> verify run.
import type { Command } from 'commander';
import { getBuiltinDataset, splitOf, type Example } from '../../data';
import { tensor, scope, manualSeed, F, AdamW, linearWarmupDecay, noGrad, torchVersion, getNumThreads, type Tensor } from '../../engine';
import { Module, Linear, Dropout } from '../../nn';
import { startProgress } from '../progress';
import { positiveInt, nonNegativeInt } from '../args';

const FEATURES = 2048;

/** Hashed bag of words, log-scaled: a tokenizer-free featuriser for the engine demo. */
function featurise(examples: readonly Example[]): Float32Array {
  const out = new Float32Array(examples.length * FEATURES);
  examples.forEach((ex, row) => {
    for (const word of ex.text.toLowerCase().match(/[a-z0-9$!]+/g) ?? []) {
      let h = 2166136261;
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
      out[row * FEATURES + ((h >>> 0) % FEATURES)]! += 1;
    }
  });
  for (let i = 0; i < out.length; i++) out[i] = Math.log1p(out[i]!);
  return out;
}

class BagOfWordsClassifier extends Module {
  readonly hidden = this.child('hidden', new Linear(FEATURES, 64));
  readonly dropout = this.child('dropout', new Dropout(0.1));
  readonly out = this.child('out', new Linear(64, 2));
  forward(x: Tensor): Tensor {
    return this.out.forward(this.dropout.forward(this.hidden.forward(x).relu()));
  }
}

export interface DemoOptions { epochs: string; seed: string }

export function runEngineDemo(options: { epochs: number; seed: number }): { firstLoss: number; lastLoss: number; testAccuracy: number } {
  console.log(`deepcut demo: libtorch ${torchVersion()}, ${getNumThreads()} threads`);
  manualSeed(options.seed);
  const ds = getBuiltinDataset('spamassassin', { seed: options.seed });
  const train = splitOf(ds, 'train');
  const test = splitOf(ds, 'test');
  console.log(`SpamAssassin: ${train.length} train / ${test.length} test emails (${ds.labels.join(', ')})`);
  const xTrain = tensor(featurise(train), { shape: [train.length, FEATURES] });
  const yTrain = tensor(train.map((e) => e.label), { dtype: 'int64' });
  const model = new BagOfWordsClassifier();
  const batchSize = 64;
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const optimizer = new AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
  const schedule = linearWarmupDecay(2e-3, Math.floor(totalSteps / 10), totalSteps);
  const progress = startProgress('training', totalSteps, ['epoch', 'loss']);
  const epochLosses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    let sum = 0;
    const perm = shuffle(train.length, options.seed + epoch);
    for (let b = 0; b < stepsPerEpoch; b++, step++) {
      sum += scope(() => {
        const idx = tensor(perm.slice(b * batchSize, (b + 1) * batchSize), { dtype: 'int64' });
        optimizer.lr = schedule(step);
        optimizer.zeroGrad();
        const loss = F.crossEntropy(model.forward(xTrain.indexSelect(0, idx)), yTrain.indexSelect(0, idx));
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      progress.update(step + 1, { epoch: epoch + 1, loss: (sum / (b + 1)).toFixed(4) });
    }
    epochLosses.push(sum / stepsPerEpoch);
  }
  progress.stop();
  model.eval();
  const testAccuracy = noGrad(() => scope(() => {
    const logits = model.forward(tensor(featurise(test), { shape: [test.length, FEATURES] }));
    const predictions = logits.argmax(1).toNumbers();
    return predictions.filter((p, i) => p === test[i]!.label).length / test.length;
  }));
  epochLosses.forEach((l, i) => console.log(`epoch ${i + 1}: mean training loss ${l.toFixed(4)}`));
  console.log(`test accuracy ${(100 * testAccuracy).toFixed(1)}%`);
  model.dispose();
  xTrain.dispose();
  yTrain.dispose();
  return { firstLoss: epochLosses[0]!, lastLoss: epochLosses[epochLosses.length - 1]!, testAccuracy };
}

function shuffle(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the embedded default job on real SpamAssassin emails')
    .option('--epochs <n>', 'training epochs', '3')
    .option('--seed <n>', 'random seed', '0')
    .action((opts: DemoOptions) => {
      runEngineDemo({ epochs: positiveInt(opts.epochs, '--epochs'), seed: nonNegativeInt(opts.seed, '--seed') });
    });
}
