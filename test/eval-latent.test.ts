import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centroidCosine, classCentroids, gaussian, knnLabelAgreement, mulberry32, pca, pca2d, symmetricEigen } from '../src/eval';

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

// Two 2-D classes: class 0 around direction (1, 0), class 1 around (0, 1).
const reference = [Float32Array.of(1, 0.5), Float32Array.of(1, -0.5), Float32Array.of(0.5, 1), Float32Array.of(-0.5, 1)];
const referenceLabels = [0, 0, 1, 1];

test('class centroids from reference representations (rows or flat buffer)', () => {
  const centroids = classCentroids(reference, referenceLabels, 3);
  assert.deepEqual(Array.from(centroids[0]!), [1, 0]);
  assert.deepEqual(Array.from(centroids[1]!), [0, 1]);
  assert.equal(centroids[2], null); // no samples of class 2
  const flat = { data: Float32Array.of(1, 0.5, 1, -0.5, 0.5, 1, -0.5, 1), rows: 4, dim: 2 };
  assert.deepEqual(classCentroids(flat, referenceLabels, 3), centroids);
});

test('centroid cosine: own vs nearest other class on known geometry', () => {
  const centroids = classCentroids(reference, referenceLabels, 2);
  // Forget samples (label): (1,0) [0] → own 1, other 0; (1,1) [1] → 1/√2 each;
  // (3,4) [1] → own 4/5, other 3/5; (2,1) [1] → own 1/√5, other 2/√5 (closer to the other class).
  const forget = [[1, 0], [1, 1], [3, 4], [2, 1]];
  const result = centroidCosine(forget, [0, 1, 1, 1], centroids);
  const own = [1, Math.SQRT1_2, 0.8, 1 / Math.sqrt(5)];
  const other = [0, Math.SQRT1_2, 0.6, 2 / Math.sqrt(5)];
  own.forEach((v, i) => close(result.own[i]!, v));
  other.forEach((v, i) => close(result.nearestOther[i]!, v));
  assert.deepEqual(Array.from(result.nearestOtherClass), [1, 0, 0, 0]);
  close(result.ownMean, own.reduce((a, b) => a + b) / 4);
  close(result.nearestOtherMean, other.reduce((a, b) => a + b) / 4);
  close(result.marginMean, result.ownMean - result.nearestOtherMean);
  close(result.closerToOtherShare, 1 / 4); // only (2,1); the exact tie at (1,1) is not "closer"
  assert.equal(result.counted, 4);
});

test('kNN label agreement (k = 5, cosine) on two angular clusters', () => {
  // Five reference points per class at angles around 0 (class 0) and π/2 (class 1).
  const points: number[][] = [];
  const labels: number[] = [];
  for (const [label, centre] of [[0, 0], [1, Math.PI / 2]] as const) {
    for (const offset of [-0.2, -0.1, 0, 0.1, 0.2]) {
      points.push([Math.cos(centre + offset), Math.sin(centre + offset)]);
      labels.push(label);
    }
  }
  const queries = [0.05, 1.5, 0.1].map((angle) => [3 * Math.cos(angle), 3 * Math.sin(angle)]);
  // Query 3 sits among class 0 but is labelled 1 (e.g. not forgotten yet): disagrees.
  const result = knnLabelAgreement({ queries, queryLabels: [0, 1, 1], reference: points, referenceLabels: labels, numClasses: 2 });
  assert.equal(result.k, 5);
  assert.deepEqual(Array.from(result.predicted), [0, 1, 0]);
  close(result.agreement, 2 / 3);
  // Vote tie (k = 2, one neighbour per class) goes to the larger summed similarity: class 0 here.
  const tie = knnLabelAgreement({
    queries: [[1, 0.9]], queryLabels: [0], reference: [[1, 0], [0, 1]], referenceLabels: [0, 1], numClasses: 2, k: 2,
  });
  assert.deepEqual(Array.from(tie.predicted), [0]);
  // k larger than the reference set is clipped.
  assert.equal(knnLabelAgreement({ queries: [[1, 0]], queryLabels: [0], reference: [[1, 0]], referenceLabels: [0], numClasses: 2, k: 5 }).k, 1);
});

test('symmetric eigen solver on a known matrix', () => {
  const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  close(values[0]!, 3);
  close(values[1]!, 1);
  close(Math.abs(vectors[0]![0]! * Math.SQRT1_2 + vectors[0]![1]! * Math.SQRT1_2), 1);
});

/** n points centred at (4, …, 4): std `major` along axis `u`, std `minor` in every direction. */
function elongatedCloud(n: number, u: number[], major: number, minor: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  const length = Math.hypot(...u);
  return Array.from({ length: n }, () => {
    const t = gaussian(random, 0, major);
    return Float32Array.from(u, (ui) => 4 + (t * ui) / length + gaussian(random, 0, minor));
  });
}

test('PCA recovers the dominant axis of an elongated Gaussian cloud (d <= n path)', () => {
  const u = [1, -2, 0.5, 3, 0, 1, -1, 0.25];
  const cloud = elongatedCloud(2000, u, 5, 0.5, 3);
  const result = pca2d(cloud);
  const length = Math.hypot(...u);
  const cosine = Math.abs(result.axes[0]!.reduce((s, a, i) => s + (a * u[i]!) / length, 0));
  assert.ok(cosine > 0.99, `cosine ${cosine}`);
  assert.ok(result.converged);
  // Sign convention: the largest-magnitude coordinate of each axis is positive (u's is index 3).
  assert.ok(result.axes[0]![3]! > 0);
  close(result.axes[0]!.reduce((s, a) => s + a * a, 0), 1, 1e-9);
  close(result.axes[0]!.reduce((s, a, i) => s + a * result.axes[1]![i]!, 0), 0, 1e-9);
  assert.ok(result.explainedVarianceRatio[0]! > 0.9);
  // Variance of the first projection equals the first explained variance.
  const first = Array.from({ length: 2000 }, (_, i) => result.projections[2 * i]!);
  close(first.reduce((s, x) => s + x * x, 0) / 1999, result.explainedVariance[0]!, 1e-6 * result.explainedVariance[0]!);
  assert.deepEqual(pca2d(cloud), result); // deterministic
});

test('PCA with more dimensions than samples (Gram path) agrees on the dominant axis', () => {
  const u = Array.from({ length: 60 }, (_, i) => Math.sin(i + 1));
  const cloud = elongatedCloud(30, u, 10, 0.1, 4);
  const result = pca(cloud, { components: 3 });
  const length = Math.hypot(...u);
  const cosine = Math.abs(result.axes[0]!.reduce((s, a, i) => s + (a * u[i]!) / length, 0));
  assert.ok(cosine > 0.99, `cosine ${cosine}`);
  assert.equal(result.projections.length, 30 * 3);
  assert.throws(() => pca(cloud, { components: 31 }), RangeError);
});
