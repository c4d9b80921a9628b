/**
 * The relearning check (Deeb & Roger 2024; Hu et al. 2024): knowledge that was only hidden comes
 * back after a few fine-tuning steps on part of the forget set. Fine-tune a copy of the model on
 * one seeded half of the forget set and score the other half after each of k steps; a model that
 * truly forgot recovers no faster than the model retrained without the forget set, relearned the
 * same way (run it beside, on the same halves and seeds).
 *
 * Every weight trains (an attacker would not keep the unlearning's frozen layers), AdamW at a
 * constant rate, gradient clipping at 1, dropout on as in fine-tuning. The model folder is not
 * modified. Loads libtorch: import by path.
 */
import type { Example } from '../data';
import { AdamW, clipGradNormOnDevice, F, manualSeed, scope } from '../engine';
import type { Device } from '../engine/device';
import { loadClassifier, type UnitClassifier } from '../model';
import type { Module } from '../nn';
import { makeBatch } from '../train/batches';
import { predict } from '../train/predict';
import { mixSeed, mulberry32, permutation } from '../util/prng';
import { checkRelearnSteps, relearnHalves, type RelearnMetrics } from './relearn-steps';

export { checkRelearnSteps, DEFAULT_RELEARN_STEPS, relearnHalves, type RelearnMetrics } from './relearn-steps';

export interface RelearnOptions {
  /** Steps after which the held-back half is scored (sorted, positive). */
  steps: readonly number[];
  lr: number;
  batchSize: number;
  maxLength: number;
  seed: number;
  device: Device;
  onStep?(step: number, total: number): void;
}

/** Mean CE over the scored units (texts, or a tagger's words). */
function meanLoss(logits: Float32Array, labels: readonly number[], numClasses: number): number {
  let sum = 0;
  labels.forEach((label, i) => {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    const max = Math.max(...row);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    sum += max + Math.log(z) - row[label]!;
  });
  return sum / labels.length;
}

/** Relearns a copy of the model in `dir` on half of `forget` and scores the other half. */
export function relearnCheck(dir: string, forget: readonly Example[], options: RelearnOptions): RelearnMetrics {
  const started = Date.now();
  const steps = checkRelearnSteps(options.steps, 'relearn steps');
  const halves = relearnHalves(forget, options.seed);
  const { model, tokenizer } = loadClassifier(dir, { device: options.device });
  const classifier = model as UnitClassifier & Module;
  try {
    if (!tokenizer) throw new Error(`${dir} has no tokenizer.json`);
    const accuracy: Record<string, number> = {};
    const loss: Record<string, number> = {};
    const score = (at: number): void => {
      const p = predict(classifier, tokenizer, halves.score, { maxLength: options.maxLength, batchSize: 32 });
      accuracy[String(at)] = p.accuracy;
      loss[String(at)] = meanLoss(p.logits, p.labels, classifier.numLabels);
    };
    score(0);
    const optimizer = new AdamW(classifier.trainableParameters(), { lr: options.lr, weightDecay: 0 });
    const batchSize = Math.min(options.batchSize, halves.train.length);
    const total = steps[steps.length - 1]!;
    let order: number[] = [];
    let cursor = 0;
    let epoch = 0;
    for (let step = 1; step <= total; step++) {
      classifier.train();
      const idx: number[] = [];
      while (idx.length < batchSize) {
        if (cursor >= order.length) {
          order = permutation(halves.train.length, mulberry32(mixSeed(options.seed, 1000 + epoch++)));
          cursor = 0;
        }
        idx.push(order[cursor++]!);
      }
      scope(() => {
        const batch = makeBatch(tokenizer, idx.map((i) => halves.train[i]!), options.maxLength, classifier.device);
        manualSeed(mixSeed(options.seed, step));
        optimizer.zeroGrad();
        const l = F.crossEntropy(classifier.forward(batch).logits, batch.labels);
        l.backward();
        clipGradNormOnDevice(classifier.trainableParameters(), 1.0);
        optimizer.step();
      });
      options.onStep?.(step, total);
      if (steps.includes(step)) score(step);
    }
    return {
      accuracy, loss, train_rows: halves.train.length, scored_rows: halves.score.length,
      lr: options.lr, batch_size: batchSize, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    classifier.dispose();
  }
}
