// Inference over a list of examples: logits (row-major) and accuracy / macro-F1.
import { scope, noGrad } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import { classificationReport } from '../eval';
import { makeBatch, chunks } from './batches';
import { concatFloat32 } from '../util/arrays';

export interface Predictions {
  /** Row-major units × classes (a unit: a text, or a tagged word). */
  logits: Float32Array;
  numClasses: number;
  predictions: number[];
  /** The true label of each unit. */
  labels: number[];
  accuracy: number;
  macroF1: number;
}

export function predict(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): Predictions {
  const numClasses = model.numLabels;
  // One row per labelled unit: a text, or a tagged word inside the window (so the true labels come from the batches).
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (const part of chunks(examples, options.batchSize)) {
      scope(() => {
        const batch = makeBatch(tokenizer, part, options.maxLength, model.device);
        parts.push(model.forward(batch).logits.toArray() as Float32Array);
        labels.push(...batch.labels.toNumbers());
      });
    }
  });
  model.train(wasTraining);
  const logits = concatFloat32(parts);
  const predictions = Array.from({ length: labels.length }, (_, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c]! > logits[i * numClasses + best]!) best = c;
    return best;
  });
  const report = classificationReport(labels, predictions, numClasses);
  return { logits, numClasses, predictions, labels, accuracy: report.accuracy, macroF1: report.macroF1 };
}
