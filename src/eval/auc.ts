/**
 * ROC AUC by the rank statistic, and the ROC curve for plots.
 *
 * Convention: a higher score means "more likely positive". AUC = P(score_pos > score_neg)
 * + 0.5 · P(score_pos = score_neg), i.e. the Mann–Whitney U statistic divided by n_pos · n_neg,
 * with tied scores given their average rank. This equals the trapezoidal area under the ROC
 * curve below (ties become diagonal segments), and sklearn's roc_auc_score.
 */

export interface RocCurve {
  /** False-positive rate at each threshold, from 0 up to 1. */
  fpr: Float64Array;
  /** True-positive rate at each threshold, from 0 up to 1. */
  tpr: Float64Array;
  /** Predict positive when score >= threshold; the first threshold is +Infinity (nothing positive). */
  thresholds: Float64Array;
}

function checkScores(scores: ArrayLike<number>, name: string): void {
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`${name}[${i}] is NaN; AUC needs orderable scores`);
  }
}

function splitByLabel(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): [number[], number[]] {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores has ${scores.length} entries but labels has ${labels.length}`);
  }
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const label = labels[i];
    if (label === 1 || label === true) positives.push(scores[i] as number);
    else if (label === 0 || label === false) negatives.push(scores[i] as number);
    else throw new RangeError(`labels[${i}] = ${String(label)} is not 0/1`);
  }
  return [positives, negatives];
}

/**
 * AUC of positives against negatives (Mann–Whitney U / (n_pos · n_neg), average ranks for ties).
 * NaN when either group is empty: the quantity is undefined, not 0.5.
 */
export function aucFromGroups(positiveScores: ArrayLike<number>, negativeScores: ArrayLike<number>): number {
  checkScores(positiveScores, 'positiveScores');
  checkScores(negativeScores, 'negativeScores');
  const nPos = positiveScores.length;
  const nNeg = negativeScores.length;
  if (nPos === 0 || nNeg === 0) return NaN;
  const all: { score: number; positive: boolean }[] = [];
  for (let i = 0; i < nPos; i++) all.push({ score: positiveScores[i] as number, positive: true });
  for (let i = 0; i < nNeg; i++) all.push({ score: negativeScores[i] as number, positive: false });
  // Explicit comparisons, not subtraction: Infinity - Infinity would be NaN.
  all.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : 0));
  let positiveRankSum = 0;
  for (let start = 0; start < all.length; ) {
    let end = start;
    while (end + 1 < all.length && all[end + 1]!.score === all[start]!.score) end++;
    // Ranks are 1-based; every member of a tie block gets the block's mean rank.
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (all[k]!.positive) positiveRankSum += averageRank;
    start = end + 1;
  }
  const u = positiveRankSum - (nPos * (nPos + 1)) / 2;
  return u / (nPos * nNeg);
}

/** AUC with labels 1 (positive) / 0 (negative); see aucFromGroups. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const [positives, negatives] = splitByLabel(scores, labels);
  return aucFromGroups(positives, negatives);
}

/**
 * ROC curve points, one per distinct score plus the (0, 0) start. All points are kept (no
 * pruning of collinear ones), so plots show every threshold. Both groups must be non-empty.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): RocCurve {
  const [positives, negatives] = splitByLabel(scores, labels);
  checkScores(scores, 'scores');
  if (positives.length === 0 || negatives.length === 0) {
    throw new RangeError('rocCurve needs at least one positive and one negative sample');
  }
  const all = [
    ...positives.map((score) => ({ score, positive: true })),
    ...negatives.map((score) => ({ score, positive: false })),
  ].sort((a, b) => (a.score === b.score ? 0 : a.score > b.score ? -1 : 1));
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let truePositives = 0;
  let falsePositives = 0;
  for (let start = 0; start < all.length; ) {
    let end = start;
    while (end + 1 < all.length && all[end + 1]!.score === all[start]!.score) end++;
    for (let k = start; k <= end; k++) {
      if (all[k]!.positive) truePositives++;
      else falsePositives++;
    }
    fpr.push(falsePositives / negatives.length);
    tpr.push(truePositives / positives.length);
    thresholds.push(all[start]!.score);
    start = end + 1;
  }
  return { fpr: Float64Array.from(fpr), tpr: Float64Array.from(tpr), thresholds: Float64Array.from(thresholds) };
}

/** Trapezoidal area under a curve given by increasing x (e.g. a RocCurve's fpr/tpr). */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) {
    area += ((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number)) / 2;
  }
  return area;
}
