/**
 * The most-frequent-tag-per-word baseline for token classification: each test word gets the tag
 * it carries most often in train (exact word form, case kept; ties -> the lower tag id, i.e. the
 * first tag name in sorted order); a word train never has gets the most frequent train tag
 * overall. A tagger that does not beat this has learnt little beyond a lexicon.
 * Macro-F1 uses the convention of classification.ts (tags present in truth or prediction).
 */
import { isTagging, splitOf, type Dataset, type Split } from '../data';
import { classificationReport } from './classification';

export interface TagBaseline {
  split: Split;
  accuracy: number;
  macroF1: number;
  tokens: number;
  /** Test tokens whose word never occurs in train, and the accuracy on those. */
  unseenTokens: number;
  unseenAccuracy: number;
  /** The tag given to unseen words. */
  fallbackTag: string;
}

export function mostFrequentTagBaseline(dataset: Dataset, split: Split = 'test'): TagBaseline {
  if (!isTagging(dataset)) throw new Error(`mostFrequentTagBaseline: dataset '${dataset.name}' is not token classification`);
  const numTags = dataset.labels.length;
  const perWord = new Map<string, number[]>();
  const overall = new Array<number>(numTags).fill(0);
  for (const ex of splitOf(dataset, 'train')) {
    ex.tokens!.forEach((word, i) => {
      const tag = ex.tags![i]!;
      let counts = perWord.get(word);
      if (counts === undefined) perWord.set(word, (counts = new Array<number>(numTags).fill(0)));
      counts[tag]!++;
      overall[tag]!++;
    });
  }
  if (perWord.size === 0) throw new Error(`mostFrequentTagBaseline: dataset '${dataset.name}' has no train tokens`);
  const fallback = argmax(overall);
  const best = new Map<string, number>([...perWord].map(([word, counts]) => [word, argmax(counts)]));

  const truth: number[] = [];
  const predicted: number[] = [];
  let unseen = 0;
  let unseenCorrect = 0;
  for (const ex of splitOf(dataset, split)) {
    ex.tokens!.forEach((word, i) => {
      const tag = ex.tags![i]!;
      const guess = best.get(word);
      truth.push(tag);
      predicted.push(guess ?? fallback);
      if (guess === undefined) {
        unseen++;
        if (fallback === tag) unseenCorrect++;
      }
    });
  }
  const report = classificationReport(truth, predicted, numTags);
  return {
    split,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    tokens: truth.length,
    unseenTokens: unseen,
    unseenAccuracy: unseen > 0 ? unseenCorrect / unseen : NaN,
    fallbackTag: dataset.labels[fallback]!,
  };
}

/** Index of the largest count; the first one on ties. */
function argmax(counts: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i;
  return best;
}
