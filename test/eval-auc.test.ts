import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aucFromGroups, rocAuc, rocCurve, trapezoidArea } from '../src/eval';

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

// Positives [0.9, 0.5, 0.5], negatives [0.5, 0.1]. Pairwise wins (tie = 1/2):
// 0.9 beats both (2); each 0.5 ties 0.5 (1/2) and beats 0.1 (1): 2 × 1.5 = 3. AUC = 5 / 6.
const scores = [0.9, 0.5, 0.5, 0.5, 0.1];
const labels = [1, 1, 1, 0, 0];

test('AUC with ties equals the hand-counted pairwise value', () => {
  close(aucFromGroups([0.9, 0.5, 0.5], [0.5, 0.1]), 5 / 6);
  close(rocAuc(scores, labels), 5 / 6);
  close(rocAuc(scores, labels.map((l) => l === 1)), 5 / 6);
});

test('AUC edge cases: perfect, reversed, all tied, empty group', () => {
  close(aucFromGroups([3, 4], [1, 2]), 1);
  close(aucFromGroups([1, 2], [3, 4]), 0);
  close(aucFromGroups([7, 7, 7], [7, 7]), 0.5);
  close(aucFromGroups([Infinity], [-Infinity, Infinity]), 0.75);
  assert.ok(Number.isNaN(aucFromGroups([], [1])));
  assert.throws(() => aucFromGroups([NaN], [1]), RangeError);
});

test('ROC curve: endpoints, tie points, and area equal to the rank AUC', () => {
  const curve = rocCurve(scores, labels);
  // Thresholds +Inf, 0.9, 0.5, 0.1 → (0,0), (0,1/3), (1/2,1), (1,1).
  assert.deepEqual(Array.from(curve.fpr), [0, 0, 0.5, 1]);
  assert.deepEqual(Array.from(curve.tpr), [0, 1 / 3, 1, 1]);
  assert.deepEqual(Array.from(curve.thresholds), [Infinity, 0.9, 0.5, 0.1]);
  close(trapezoidArea(curve.fpr, curve.tpr), 5 / 6);
  assert.throws(() => rocCurve([1, 2], [1, 1]), RangeError);
});
