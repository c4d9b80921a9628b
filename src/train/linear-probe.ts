// Linear probing before fine-tuning (LP-FT, Kumar et al., ICLR 2022): fit the new classification
// head on the frozen encoder's features first, so fine-tuning starts from a head that already
// separates the classes instead of a random one. Measured here, a random head at lr 1e-4 under-fits
// the long-text datasets within 2 epochs (docs/results.md, issue 11).
//
// The head is a multinomial logistic regression on standardised features, objective
// mean CE + ||W||² / (2·C·N) (scikit-learn's, divided by N), fitted by full-batch Adam from zeros
// (convex, so deterministic and seed-free); C is chosen on the validation split.
import { scope, keep, noGrad, zeros, tensor, cat, F, AdamW, type Tensor } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import { classificationReport } from '../eval';
import { cachedPooledFeatures } from './feature-cache';
import { chunks, isTaggedBatch, makeBatch } from './batches';
import { tokenCount } from '../data';
import { mulberry32, permutation } from '../util/prng';

/** Inverse L2 strengths tried (scikit-learn's C); the validation split picks one. */
export const LINEAR_PROBE_C = [0.001, 0.01, 0.1, 1, 10] as const;
/**
 * Floor on a feature's standard deviation when standardising: a feature that barely varies is
 * amplified at most 100x, so a random or collapsed encoder does not get a head with huge weights
 * (fine-tuning would then start from logits in the hundreds). USE-Lite's pooled features vary
 * with standard deviations of 0.12-0.63, far above it.
 */
export const LINEAR_PROBE_MIN_SCALE = 1e-2;
/** Full-batch Adam steps per fit, from zero weights, the rate decaying linearly from LINEAR_PROBE_LR to 0. */
export const LINEAR_PROBE_STEPS = 2000;
export const LINEAR_PROBE_LR = 0.05;
/**
 * A tagger's probe fits on at most this many words per split (seeded whole sentences): brown-pos
 * has 929 k training words, whose 512-d features alone would take 1.9 GB and 2,000 full-batch
 * steps over them hours. 20 k words is four times the texts a sequence probe fits on in seconds.
 */
export const LINEAR_PROBE_MAX_WORDS = 20_000;

/** Seeded whole sentences whose words reach `maxWords` (all of them when they have fewer); texts unchanged. */
export function probeRows(examples: readonly Example[], maxWords = LINEAR_PROBE_MAX_WORDS): readonly Example[] {
  if (!isTaggedBatch(examples) || tokenCount(examples) <= maxWords) return examples;
  const order = permutation(examples.length, mulberry32(0x9e3779b1));
  const chosen: number[] = [];
  let words = 0;
  for (const i of order) {
    if (words >= maxWords) break;
    chosen.push(i);
    words += examples[i]!.tokens!.length;
  }
  return chosen.sort((a, b) => a - b).map((i) => examples[i]!);
}

export interface LinearProbeRecord {
  /** The chosen inverse L2 strength. */
  c: number;
  train_accuracy: number;
  /** NaN-free: null when there was no validation split (C = 1 then, a documented fallback). */
  validation_accuracy: number | null;
  validation_macro_f1: number | null;
  /** Validation accuracy of every C tried. */
  candidates: { c: number; validation_accuracy: number }[];
  /** The frozen encoder + probed head on the test split, when the caller asked (FinetuneOptions.probeTest). */
  test_accuracy?: number;
  test_macro_f1?: number;
  seconds: number;
}

/**
 * The representation the output layer reads (`pooled`), eval mode, no gradient: [N, hidden] on
 * the model's device, from the process's feature cache where the same encoder saw the same rows
 * (feature-cache.ts). Call inside a scope.
 */
export function pooledFeatures(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): Tensor {
  return probeInputs(model, tokenizer, examples, options).x;
}

/**
 * Features and true labels of every labelled unit: a text's pooled vector and label (cached), or
 * each tagged word's vector and tag (words past the window are not units). Call inside a scope.
 */
export function probeInputs(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): { x: Tensor; labels: number[] } {
  if (examples.length === 0) throw new Error('pooledFeatures: no examples');
  if (!isTaggedBatch(examples)) return { x: cachedPooledFeatures(model, tokenizer, examples, options), labels: examples.map((e) => e.label) };
  // Tagged sentences are not cached: their batches have no fixed shape per row to key on.
  const wasTraining = model.training;
  model.eval();
  const labels: number[] = [];
  const parts = noGrad(() => chunks(examples, options.batchSize).map((part) => {
    const batch = makeBatch(tokenizer, part, options.maxLength, model.device);
    labels.push(...batch.labels.toNumbers());
    return model.forward(batch).pooled;
  }));
  model.train(wasTraining);
  return { x: cat(parts, 0), labels };
}

/** Accuracy and macro-F1 of the current output layer on the frozen encoder's features (the probe's test score). */
export function probedHeadReport(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): { accuracy: number; macroF1: number } {
  return noGrad(() => scope(() => {
    const { x, labels } = probeInputs(model, tokenizer, examples, options);
    const report = classificationReport(labels, argmaxRows(model.outputLayer.forward(x)), model.numLabels);
    return { accuracy: report.accuracy, macroF1: report.macroF1 };
  }));
}

function argmaxRows(logits: Tensor): number[] {
  return logits.argmax(1).toNumbers();
}

/**
 * Multinomial logistic regression on features z [N, d] (standardise them first): minimises
 * mean CE + ||W||² / (2·C·N), bias unpenalised. Returns W [classes, d] and b, owned by the caller.
 */
export function fitSoftmaxRegression(z: Tensor, labels: Tensor, numClasses: number, c: number): { weight: Tensor; bias: Tensor } {
  return fitSoftmaxRegressions(z, labels, numClasses, [c])[0]!;
}

/**
 * fitSoftmaxRegression for several C at once: the problems are independent, so their summed loss
 * has each problem's own gradient in each block, and Adam (element-wise) takes each block where
 * a separate fit would. One [N, d] × [d, K·classes] product per step instead of K: the features
 * are read once per step, which is what a step costs (measured on 4,861 × 512 features: 5 fits in
 * 25.5 s against 53 s for five separate ones).
 */
export function fitSoftmaxRegressions(z: Tensor, labels: Tensor, numClasses: number, cs: readonly number[]): { weight: Tensor; bias: Tensor }[] {
  const [n, d] = z.shape as [number, number];
  const k = cs.length;
  const weight = keep(zeros([k * numClasses, d], { device: z.device }).requiresGrad_());
  const bias = keep(zeros([k * numClasses], { device: z.device }).requiresGrad_());
  const optimizer = new AdamW([weight, bias], { lr: LINEAR_PROBE_LR, weightDecay: 0 });
  // Row n·K + j of the stacked logits is sample n under problem j.
  const stackedLabels = keep(labels.unsqueeze(1).expand([n, k]).reshape([n * k]));
  const l2 = keep(tensor(cs.map((c) => 1 / (2 * c * n)), { device: z.device }));
  try {
    for (let step = 0; step < LINEAR_PROBE_STEPS; step++) {
      scope(() => {
        // Linear decay to 0: Adam at a constant rate hovers around the optimum instead of reaching it.
        optimizer.lr = LINEAR_PROBE_LR * (1 - step / LINEAR_PROBE_STEPS);
        optimizer.zeroGrad();
        const logits = F.linear(z, weight, bias).reshape([n * k, numClasses]);
        // crossEntropy averages over N·K rows: × K gives the sum of the K problems' mean CE.
        const ce = F.crossEntropy(logits, stackedLabels).mul(k);
        const penalty = weight.pow(2).reshape([k, numClasses * d]).sum([1]).mul(l2).sum();
        ce.add(penalty).backward();
        optimizer.step();
      });
    }
    return cs.map((_, j) => noGrad(() => ({
      weight: keep(weight.narrow(0, j * numClasses, numClasses).clone()),
      bias: keep(bias.narrow(0, j * numClasses, numClasses).clone()),
    })));
  } finally {
    weight.dispose(); bias.dispose(); stackedLabels.dispose(); l2.dispose();
  }
}

/**
 * Fits `model.outputLayer` on frozen features of `train` (C chosen on `validation`) and writes the
 * weights into it, in the caller's feature units. The encoder is not changed.
 */
export function linearProbe(
  model: UnitClassifier, tokenizer: SequenceTokenizer, train: readonly Example[], validation: readonly Example[],
  options: { maxLength: number; batchSize: number },
): LinearProbeRecord {
  if (train.length === 0) throw new Error('linear probing needs at least one training example');
  const started = Date.now();
  train = probeRows(train);
  validation = probeRows(validation);
  const numClasses = model.numLabels;
  return scope(() => {
    const { x, labels: trainLabels } = probeInputs(model, tokenizer, train, options);
    const mean = x.mean(0, true);
    const scale = x.var(0, false, true).sqrt().clamp(LINEAR_PROBE_MIN_SCALE);
    const z = x.sub(mean).div(scale);
    const y = tensor(trainLabels, { dtype: 'int64', device: x.device });
    const val = validation.length > 0 ? probeInputs(model, tokenizer, validation, options) : undefined;
    const zVal = val?.x.sub(mean).div(scale);
    const valLabels = val?.labels ?? [];

    const candidates: LinearProbeRecord['candidates'] = [];
    let best: { c: number; weight: Tensor; bias: Tensor; accuracy: number; macroF1: number } | undefined;
    const cs = zVal ? LINEAR_PROBE_C : [1];
    const fits = fitSoftmaxRegressions(z, y, numClasses, cs);
    for (const [index, c] of cs.entries()) {
      const fit = fits[index]!;
      const report = zVal
        ? noGrad(() => scope(() => classificationReport(valLabels, argmaxRows(F.linear(zVal, fit.weight, fit.bias)), numClasses)))
        : undefined;
      const accuracy = report?.accuracy ?? 0;
      if (zVal) candidates.push({ c, validation_accuracy: accuracy });
      // Ties go to the stronger penalty (C ascending, replace only when strictly better).
      if (!best || accuracy > best.accuracy) {
        if (best) { best.weight.dispose(); best.bias.dispose(); }
        best = { c, ...fit, accuracy, macroF1: report?.macroF1 ?? 0 };
      } else {
        fit.weight.dispose(); fit.bias.dispose();
      }
    }
    const chosen = best!;
    const trainAccuracy = noGrad(() => scope(() => {
      const predictions = argmaxRows(F.linear(z, chosen.weight, chosen.bias));
      return predictions.filter((p, i) => p === trainLabels[i]).length / trainLabels.length;
    }));
    // Fold the standardisation into the layer: W·(x − m)/s + b = (W/s)·x + (b − (W/s)·m).
    noGrad(() => {
      const weight = chosen.weight.div(scale);
      const bias = chosen.bias.sub(weight.matmul(mean.squeeze(0)));
      model.outputLayer.weight.copy_(weight);
      model.outputLayer.bias?.copy_(bias);
    });
    chosen.weight.dispose(); chosen.bias.dispose();
    return {
      c: chosen.c, train_accuracy: trainAccuracy,
      validation_accuracy: zVal ? chosen.accuracy : null, validation_macro_f1: zVal ? chosen.macroF1 : null,
      candidates, seconds: (Date.now() - started) / 1000,
    };
  });
}
