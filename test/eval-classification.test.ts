import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, classificationReport, confusionMatrix, macroF1, perClassMetrics } from '../src/eval';

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

// Hand-made 3-class example.
//   truth 0 0 0 0 1 1 1 2 2 2
//   pred  0 0 1 2 1 1 0 2 2 1
// Confusion (rows = truth, cols = prediction):
//   [2 1 1]
//   [1 2 0]
//   [0 1 2]
// accuracy 6/10. Class 0: P = 2/3, R = 2/4, F1 = 4/7. Class 1: P = 2/4, R = 2/3, F1 = 4/7.
// Class 2: P = 2/3, R = 2/3, F1 = 2/3. Macro-F1 = (4/7 + 4/7 + 2/3) / 3 = 38/63.
const yTrue = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const yPred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];

test('confusion matrix and accuracy on a hand-made 3-class example', () => {
  assert.deepEqual(confusionMatrix(yTrue, yPred, 3), [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  close(accuracy(yTrue, yPred), 0.6);
  close(accuracy(Int32Array.from(yTrue), Float64Array.from(yPred)), 0.6);
});

test('per-class precision, recall, F1 and macro-F1 match hand computation', () => {
  const perClass = perClassMetrics(yTrue, yPred, 3);
  const expected = [
    { precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
    { precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3 },
    { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
  ];
  expected.forEach((e, c) => {
    close(perClass[c]!.precision, e.precision);
    close(perClass[c]!.recall, e.recall);
    close(perClass[c]!.f1, e.f1);
    assert.equal(perClass[c]!.support, e.support);
  });
  close(macroF1(yTrue, yPred, 3), 38 / 63);
});

test('macro-F1 excludes classes absent from both truth and prediction', () => {
  // Class 3 never occurs: same macro-F1 as with 3 classes, not diluted by an F1 = 0 term.
  const report = classificationReport(yTrue, yPred, 4);
  close(report.macroF1, 38 / 63);
  assert.deepEqual(report.macroClasses, [0, 1, 2]);
  // A class that is only predicted (never true) counts, with F1 = 0:
  // truth [0, 0], pred [0, 1]: class 0 P = 1, R = 1/2, F1 = 2/3; class 1 F1 = 0; class 2 absent.
  const onlyPredicted = classificationReport([0, 0], [0, 1], 3);
  assert.deepEqual(onlyPredicted.macroClasses, [0, 1]);
  close(onlyPredicted.macroF1, 1 / 3);
  close(onlyPredicted.perClass[1]!.precision, 0);
});

test('empty input gives NaN, bad labels throw', () => {
  assert.ok(Number.isNaN(accuracy([], [])));
  assert.ok(Number.isNaN(macroF1([], [], 2)));
  assert.throws(() => accuracy([0, 1], [0]), RangeError);
  assert.throws(() => confusionMatrix([0, 2], [0, 1], 2), RangeError);
  assert.throws(() => confusionMatrix([0, 0.5], [0, 1], 2), RangeError);
});
