// Inference over a list of examples: logits (row-major) and accuracy / macro-F1.
import { scope, noGrad } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { SequenceClassifier } from '../model';
import { classificationReport } from '../eval';
import { makeBatch, chunks } from './batches';

export interface Predictions {
  logits: Float32Array;
  numClasses: number;
  predictions: number[];
  accuracy: number;
  macroF1: number;
}

export function predict(model: SequenceClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): Predictions {
  const numClasses = model.numLabels;
  const logits = new Float32Array(examples.length * numClasses);
  const wasTraining = model.training;
  model.eval();
  let offset = 0;
  noGrad(() => {
    for (const part of chunks(examples, options.batchSize)) {
      scope(() => {
        const batch = makeBatch(tokenizer, part, options.maxLength, model.device);
        const out = model.forward(batch).logits.toArray() as Float32Array;
        logits.set(out, offset);
        offset += out.length;
      });
    }
  });
  model.train(wasTraining);
  const predictions = Array.from({ length: examples.length }, (_, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c]! > logits[i * numClasses + best]!) best = c;
    return best;
  });
  const report = classificationReport(examples.map((e) => e.label), predictions, numClasses);
  return { logits, numClasses, predictions, accuracy: report.accuracy, macroF1: report.macroF1 };
}
