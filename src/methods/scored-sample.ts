// A fixed set of examples tokenised once and scored many times: the stopping checks score the
// same forget and held-out rows every few steps, and re-tokenising them each time cost as much
// as the forward pass on short texts.
import { noGrad, scope, tensor } from '../engine';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import type { EncodedBatch, SequenceTokenizer } from '../text/types';
import { chunks, encoderInputs, isTaggedBatch, taggedUnits } from '../train/batches';
import { perSampleStats } from '../eval';

/** Per-row outcome of one scoring pass. */
export interface SampleScores {
  /** Whether the model's top class is the label, per unit (a row; a tagger's word). */
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
  /** Per batch: the tokens, the labels of its units and, for tagged sentences, where the words start. */
  private readonly batches: { encoded: EncodedBatch; labels: number[]; wordIndex?: number[] }[];
  private readonly units: number;

  constructor(readonly examples: readonly Example[], tokenizer: SequenceTokenizer, maxLength: number, readonly name = 'sample') {
    const tagged = isTaggedBatch(examples);
    this.batches = chunks(examples, SCORE_BATCH).map((part) => {
      if (!tagged) {
        return { encoded: tokenizer.encodeBatch(part.map((e) => e.text), { maxLength, padding: 'longest', truncation: true }), labels: part.map((e) => e.label) };
      }
      const encoded = tokenizer.encodeWordsBatch(part.map((e) => e.tokens!), { maxLength, padding: 'longest', truncation: true });
      const seq = encoded.shape[1];
      return {
        encoded, labels: taggedUnits(part, encoded.wordStarts).labels,
        wordIndex: encoded.wordStarts.flatMap((starts, row) => starts.map((p) => row * seq + p)),
      };
    });
    this.units = this.batches.reduce((n, b) => n + b.labels.length, 0);
  }

  /** Units scored: rows, or a tagger's words (an accuracy step is 1/size). */
  get size(): number {
    return this.units;
  }

  /** Scores every row with `model` in eval mode (its train/eval mode is restored after). */
  score(model: UnitClassifier): SampleScores {
    // Accuracy of no rows is undefined: never let a NaN reach a stopping decision.
    if (this.examples.length === 0) throw new Error(`cannot score an empty ${this.name}`);
    const wasTraining = model.training;
    model.eval();
    const correct: boolean[] = [];
    const loss: number[] = [];
    try {
      noGrad(() => {
        for (const { encoded, labels, wordIndex } of this.batches) {
          scope(() => {
            const inputs = encoderInputs(encoded, model.device);
            const batch = wordIndex ? { ...inputs, wordIndex: tensor(wordIndex, { dtype: 'int64', device: model.device }) } : inputs;
            const logits = model.forward(batch).logits.toArray() as Float32Array;
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
