/**
 * Latent-space geometry of a model's representations: does a forget sample still sit with its
 * class? Class centroids come from reference (retain/train) representations; forget samples are
 * compared to them by cosine similarity, and by the labels of their k nearest reference points.
 * The reference set should not contain the query samples themselves (no self-exclusion is done).
 */

import { checkLabel } from './labels';
import { cosineSimilarity, dot, normalised, rowOf, type VectorSet, viewVectors } from './vectors';

/**
 * Mean representation of each class; null for a class with no samples. With `normalise`, rows
 * are L2-normalised before averaging (a direction-only centroid, suited to cosine geometry).
 */
export function classCentroids(
  vectors: VectorSet,
  labels: ArrayLike<number>,
  numClasses: number,
  options: { normalise?: boolean } = {},
): (Float64Array | null)[] {
  const view = viewVectors(vectors);
  if (labels.length !== view.rows) throw new RangeError(`${view.rows} vectors but ${labels.length} labels`);
  const sums = Array.from({ length: numClasses }, () => new Float64Array(view.dim));
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < view.rows; i++) {
    const label = checkLabel(labels[i], i, numClasses);
    const row = options.normalise ? normalised(rowOf(view, i)) : rowOf(view, i);
    const sum = sums[label]!;
    for (let c = 0; c < view.dim; c++) sum[c]! += row[c]!;
    counts[label]!++;
  }
  return sums.map((sum, label) => (counts[label]! > 0 ? sum.map((v) => v / counts[label]!) : null));
}

export interface CentroidCosineResult {
  /** Mean over samples of cos(sample, own-class centroid). */
  ownMean: number;
  /** Mean over samples of max over other classes of cos(sample, that centroid). */
  nearestOtherMean: number;
  /** Mean of (own − nearest other): > 0 means samples still lean to their own class. */
  marginMean: number;
  /** Share of samples closer (by cosine) to another class's centroid than to their own. */
  closerToOtherShare: number;
  /** Per-sample values, input order; NaN where undefined (own centroid or every other one missing). */
  own: Float64Array;
  nearestOther: Float64Array;
  /** The other class achieving nearestOther; -1 where none. */
  nearestOtherClass: Int32Array;
  /** Samples that took part in the means (own centroid and at least one other centroid exist). */
  counted: number;
}

/** Cosine similarity of each sample to its own class centroid vs the nearest other centroid. */
export function centroidCosine(
  vectors: VectorSet,
  labels: ArrayLike<number>,
  centroids: readonly (ArrayLike<number> | null)[],
): CentroidCosineResult {
  const view = viewVectors(vectors);
  if (labels.length !== view.rows) throw new RangeError(`${view.rows} vectors but ${labels.length} labels`);
  const own = new Float64Array(view.rows).fill(NaN);
  const nearestOther = new Float64Array(view.rows).fill(NaN);
  const nearestOtherClass = new Int32Array(view.rows).fill(-1);
  let ownSum = 0;
  let otherSum = 0;
  let closerToOther = 0;
  let counted = 0;
  for (let i = 0; i < view.rows; i++) {
    const label = checkLabel(labels[i], i, centroids.length);
    const row = rowOf(view, i);
    const ownCentroid = centroids[label];
    if (ownCentroid) own[i] = cosineSimilarity(row, ownCentroid);
    centroids.forEach((centroid, c) => {
      if (c === label || !centroid) return;
      const similarity = cosineSimilarity(row, centroid);
      if (nearestOtherClass[i] === -1 || similarity > nearestOther[i]!) {
        nearestOther[i] = similarity;
        nearestOtherClass[i] = c;
      }
    });
    if (Number.isNaN(own[i]) || nearestOtherClass[i] === -1) continue;
    counted++;
    ownSum += own[i]!;
    otherSum += nearestOther[i]!;
    if (nearestOther[i]! > own[i]!) closerToOther++;
  }
  const mean = (sum: number): number => (counted > 0 ? sum / counted : NaN);
  return {
    ownMean: mean(ownSum),
    nearestOtherMean: mean(otherSum),
    marginMean: mean(ownSum - otherSum),
    closerToOtherShare: mean(closerToOther),
    own,
    nearestOther,
    nearestOtherClass,
    counted,
  };
}

export interface KnnAgreementOptions {
  queries: VectorSet;
  queryLabels: ArrayLike<number>;
  reference: VectorSet;
  referenceLabels: ArrayLike<number>;
  numClasses: number;
  /** Neighbours consulted (default 5; all reference points if there are fewer). */
  k?: number;
}

export interface KnnAgreementResult {
  /** Share of queries whose kNN majority label equals their own label; NaN for no queries. */
  agreement: number;
  /** kNN majority label per query. */
  predicted: Int32Array;
  k: number;
}

/**
 * kNN label agreement by cosine similarity. Majority vote among the k most similar reference
 * points; a tie between labels goes to the label with the larger summed similarity, then to the
 * lower label index (deterministic). Similarity ties between points go to the lower index.
 */
export function knnLabelAgreement(options: KnnAgreementOptions): KnnAgreementResult {
  const { numClasses } = options;
  const queries = viewVectors(options.queries, 'queries');
  const reference = viewVectors(options.reference, 'reference');
  if (options.queryLabels.length !== queries.rows) throw new RangeError('queryLabels length differs from queries');
  if (options.referenceLabels.length !== reference.rows) throw new RangeError('referenceLabels length differs from reference');
  if (queries.rows > 0 && reference.rows > 0 && queries.dim !== reference.dim) {
    throw new RangeError(`queries have dimension ${queries.dim}, reference ${reference.dim}`);
  }
  const k = Math.min(options.k ?? 5, reference.rows);
  if (!(k >= 1) && queries.rows > 0) throw new RangeError('knnLabelAgreement needs k >= 1 and a non-empty reference');
  const referenceUnit = Array.from({ length: reference.rows }, (_, r) => normalised(rowOf(reference, r)));
  const referenceLabel = Array.from({ length: reference.rows }, (_, r) => checkLabel(options.referenceLabels[r], r, numClasses));
  const predicted = new Int32Array(queries.rows);
  let agreeing = 0;
  // Scratch buffers reused across queries: the k best (similarity, index) pairs, kept sorted.
  const bestSimilarity = new Float64Array(k);
  const bestIndex = new Int32Array(k);
  for (let q = 0; q < queries.rows; q++) {
    const query = normalised(rowOf(queries, q));
    let filled = 0;
    for (let r = 0; r < reference.rows; r++) {
      const similarity = dot(query, referenceUnit[r]!);
      if (filled === k && !(similarity > bestSimilarity[k - 1]!)) continue;
      // Insertion into the sorted top-k list; strict > keeps the earlier index on equal similarity.
      let position = filled < k ? filled++ : k - 1;
      while (position > 0 && similarity > bestSimilarity[position - 1]!) {
        bestSimilarity[position] = bestSimilarity[position - 1]!;
        bestIndex[position] = bestIndex[position - 1]!;
        position--;
      }
      bestSimilarity[position] = similarity;
      bestIndex[position] = r;
    }
    const votes = new Float64Array(numClasses);
    const similaritySum = new Float64Array(numClasses);
    for (let j = 0; j < k; j++) {
      const label = referenceLabel[bestIndex[j]!]!;
      votes[label]!++;
      similaritySum[label]! += bestSimilarity[j]!;
    }
    let winner = 0;
    for (let c = 1; c < numClasses; c++) {
      if (votes[c]! > votes[winner]! || (votes[c] === votes[winner] && similaritySum[c]! > similaritySum[winner]!)) winner = c;
    }
    predicted[q] = winner;
    if (winner === checkLabel(options.queryLabels[q], q, numClasses)) agreeing++;
  }
  return { agreement: queries.rows > 0 ? agreeing / queries.rows : NaN, predicted, k };
}
