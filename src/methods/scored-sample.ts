// A fixed set of examples tokenised once and scored many times: the stopping checks score the
// same forget and held-out rows every few steps, and re-tokenising them each time cost as much
// as the forward pass on short texts.
import { noGrad, scope } from '../engine';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import type { SequenceTokenizer } from '../text/types';
import { batchTensors, chunks, encodeLabelled, isTaggedBatch, type EncodedLabelled, type LabelledBatch } from '../train/batches';
import { perSampleStats } from '../eval';

/** Per-row outcome of one scoring pass. */
export interface SampleScores {
  /** Whether the model's top class is the label, per unit (a row; a tagger's word). */
  correct: boolean[];
  /** Cross-entropy of the label, per unit. */
  loss: number[];
  accuracy: number;
  meanLoss: number;
}

const SCORE_BATCH = 32;

/**
 * Which units a set of rows scores: a text is one unit, a tagged sentence one per labelled word
 * (words past the window left out). `offsets[r]..offsets[r + 1]` are row r's units.
 */
export interface UnitLayout {
  labels: number[];
  offsets: number[];
}

/** Units of row `row` in a layout. */
export function unitsOf(layout: UnitLayout, row: number): number {
  return layout.offsets[row + 1]! - layout.offsets[row]!;
}

/** Per-unit outcomes with their accuracy and mean loss (units must not be empty). */
export function sampleScores(correct: boolean[], loss: number[]): SampleScores {
  return { correct, loss, accuracy: correct.filter(Boolean).length / correct.length, meanLoss: loss.reduce((a, b) => a + b, 0) / loss.length };
}

export class ScoredSample {
  /** Per batch: the tokens and its units' labels (for tagged sentences, where the words start too). */
  private readonly batches: EncodedLabelled[];
  /** Per batch: its examples, row for row. */
  private readonly rows: Example[][];
  /** The units scored, in the order of `score`'s outcomes. */
  readonly layout: UnitLayout;

  constructor(readonly examples: readonly Example[], tokenizer: SequenceTokenizer, maxLength: number, readonly name = 'sample') {
    isTaggedBatch(examples); // a mix of tagged and text rows is refused here, not at the first check
    this.rows = chunks(examples, SCORE_BATCH);
    this.batches = this.rows.map((part) => encodeLabelled(tokenizer, part, maxLength));
    const labels: number[] = [];
    const offsets = [0];
    for (const b of this.batches) {
      for (let r = 1; r < b.unitOffsets.length; r++) offsets.push(labels.length + b.unitOffsets[r]!);
      labels.push(...b.labels);
    }
    this.layout = { labels, offsets };
  }

  /** Units scored: rows, or a tagger's words (an accuracy step is 1/size). */
  get size(): number {
    return this.layout.labels.length;
  }

  /**
   * Scores every row with `model` in eval mode (its train/eval mode is restored after);
   * `prepare` may add to each batch (the frozen layers' cached output) before the forward pass.
   */
  score(model: UnitClassifier, prepare?: (batch: LabelledBatch, rows: readonly Example[]) => LabelledBatch): SampleScores & { predictions: number[] } {
    // Accuracy of no rows is undefined: never let a NaN reach a stopping decision.
    if (this.examples.length === 0) throw new Error(`cannot score an empty ${this.name}`);
    const wasTraining = model.training;
    model.eval();
    const correct: boolean[] = [];
    const loss: number[] = [];
    const predictions: number[] = [];
    try {
      noGrad(() => {
        this.batches.forEach((encoded, b) => {
          const labels = encoded.labels;
          scope(() => {
            const batch = batchTensors(encoded, model.device);
            const logits = model.forward(prepare ? prepare(batch, this.rows[b]!) : batch).logits.toArray() as Float32Array;
            const stats = perSampleStats(logits, labels, model.numLabels);
            labels.forEach((label, i) => {
              predictions.push(stats.predictions[i]!);
              correct.push(stats.predictions[i] === label);
              loss.push(stats.loss[i]!);
            });
          });
        });
      });
    } finally {
      model.train(wasTraining);
    }
    return { ...sampleScores(correct, loss), predictions };
  }
}
