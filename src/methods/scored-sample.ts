// A fixed set of examples tokenised once and scored many times: the stopping checks score the
// same forget and held-out rows every few steps, and re-tokenising them each time cost as much
// as the forward pass on short texts.
import { noGrad, scope } from '../engine';
import type { Example } from '../data';
import type { SequenceClassifier } from '../model';
import type { EncodedBatch, SequenceTokenizer } from '../text/types';
import { chunks, encoderInputs } from '../train/batches';
import { perSampleStats } from '../eval';

/** Per-row outcome of one scoring pass. */
export interface SampleScores {
  /** Whether the model's top class is the label, per row. */
  correct: boolean[];
  /** Cross-entropy of the label, per row. */
  loss: number[];
  accuracy: number;
  meanLoss: number;
}

const SCORE_BATCH = 32;

/** Per-row outcomes with their accuracy and mean loss (rows must not be empty). */
export function sampleScores(correct: boolean[], loss: number[]): SampleScores {
  return { correct, loss, accuracy: correct.filter(Boolean).length / correct.length, meanLoss: loss.reduce((a, b) => a + b, 0) / loss.length };
}

export class ScoredSample {
  private readonly batches: { encoded: EncodedBatch; labels: number[] }[];

  constructor(readonly examples: readonly Example[], tokenizer: SequenceTokenizer, maxLength: number, readonly name = 'sample') {
    this.batches = chunks(examples, SCORE_BATCH).map((part) => ({
      encoded: tokenizer.encodeBatch(part.map((e) => e.text), { maxLength, padding: 'longest', truncation: true }),
      labels: part.map((e) => e.label),
    }));
  }

  get size(): number {
    return this.examples.length;
  }

  /** Scores every row with `model` in eval mode (its train/eval mode is restored after). */
  score(model: SequenceClassifier): SampleScores {
    // Accuracy of no rows is undefined: never let a NaN reach a stopping decision.
    if (this.examples.length === 0) throw new Error(`cannot score an empty ${this.name}`);
    const wasTraining = model.training;
    model.eval();
    const correct: boolean[] = [];
    const loss: number[] = [];
    try {
      noGrad(() => {
        for (const { encoded, labels } of this.batches) {
          scope(() => {
            const logits = model.forward(encoderInputs(encoded, model.device)).logits.toArray() as Float32Array;
            const stats = perSampleStats(logits, labels, model.numLabels);
            labels.forEach((label, i) => {
              correct.push(stats.predictions[i] === label);
              loss.push(stats.loss[i]!);
            });
          });
        }
      });
    } finally {
      model.train(wasTraining);
    }
    return sampleScores(correct, loss);
  }
}
