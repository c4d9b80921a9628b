import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, gaussian, mulberry32, predictProba } from '../src/eval';

test('logistic regression recovers a known separating direction', () => {
  // Labels drawn from P(y=1|x) = sigmoid(3 · (2·x0 − x1) + 1), features on different scales.
  const random = mulberry32(7);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const x0 = gaussian(random);
    const x1 = gaussian(random, 10, 5); // a shifted, wider feature: standardisation must cope
    const logit = 3 * (2 * x0 - (x1 - 10) / 5) + 1;
    rows.push([x0, x1]);
    labels.push(random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
  }
  const model = fitLogistic(rows, labels);
  assert.ok(model.converged);
  // True raw-unit direction: (6, −3/5). Compare directions by cosine.
  const [w0, w1] = Array.from(model.rawWeights) as [number, number];
  const cosine = (w0 * 6 + w1 * -0.6) / (Math.hypot(w0, w1) * Math.hypot(6, 0.6));
  assert.ok(cosine > 0.99, `cosine ${cosine}`);
  assert.ok(Math.abs(w0 / 6 - 1) < 0.15, `w0 ${w0}`); // magnitude too, within sampling noise
  const probabilities = predictProba(model, rows);
  assert.ok(probabilities.every((p) => p > 0 && p < 1));
});

test('perfectly separable data: L2 keeps the fit finite, probabilities inside (0, 1)', () => {
  const features = Float64Array.from([0.1, 0.2, 0.3, 0.4, 1.1, 1.2, 1.3, 1.4]);
  const labels = [0, 0, 0, 0, 1, 1, 1, 1];
  const model = fitLogistic(features, labels);
  assert.ok(model.converged);
  assert.ok(Number.isFinite(model.weights[0]!) && model.weights[0]! > 0);
  const probabilities = predictProba(model, features);
  assert.ok(probabilities.every((p) => p > 0 && p < 1));
  assert.ok(probabilities.slice(0, 4).every((p) => p < 0.5) && probabilities.slice(4).every((p) => p > 0.5));
});

test('deterministic, constant features tolerated, one-class labels rejected', () => {
  const x = [[1, 5], [2, 5], [3, 5], [4, 5]];
  const y = [0, 1, 0, 1];
  assert.deepEqual(fitLogistic(x, y), fitLogistic(x, y));
  assert.equal(fitLogistic(x, y).weights[1], 0); // the constant column carries no signal
  assert.throws(() => fitLogistic(x, [1, 1, 1, 1]), RangeError);
  assert.throws(() => fitLogistic([1, NaN], [0, 1]), RangeError);
});
