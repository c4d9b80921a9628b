import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenMetrics, gap, mulberry32, sampleIndices } from '../src/eval';

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

test('flattenMetrics gives dotted numeric keys only', () => {
  assert.deepEqual(flattenMetrics({ accuracy: { forget: 0.9 }, f1: [0.5, 0.25], name: 'ga', ok: true, raw: Float64Array.of(1) }), {
    'accuracy.forget': 0.9,
    'f1.0': 0.5,
    'f1.1': 0.25,
  });
});

test('gap per key and average gap on known numbers', () => {
  const unlearned = { accuracy: { forget: 0.7, retain: 0.95, test: 0.88 }, mia: { loss_auc: 0.6, efficacy: 0.3 }, macroF1: { test: 0.8 } };
  const retrain = { accuracy: { forget: 0.85, retain: 0.97, test: 0.9 }, mia: { loss_auc: 0.52, efficacy: 0.2 }, rte_s: 120 };
  const result = gap(unlearned, retrain);
  close(result.byKey['accuracy.forget']!, 0.15);
  close(result.byKey['accuracy.retain']!, 0.02);
  close(result.byKey['accuracy.test']!, 0.02);
  close(result.byKey['mia.loss_auc']!, 0.08);
  close(result.byKey['mia.efficacy']!, 0.1);
  // (0.15 + 0.02 + 0.02 + 0.08) / 4 = 0.0675
  close(result.average, 0.0675);
  assert.deepEqual(result.missingAverageKeys, []);
  assert.deepEqual(result.unmatchedKeys.sort(), ['macroF1.test', 'rte_s']);
});

test('average gap over the keys available; NaN propagates', () => {
  const partial = gap({ accuracy: { forget: 0.5, retain: 1, test: 0.75 } }, { accuracy: { forget: 0.25, retain: 1, test: 0.5 } });
  assert.deepEqual(partial.missingAverageKeys, ['mia.loss_auc']);
  close(partial.average, (0.25 + 0 + 0.25) / 3);
  assert.ok(Number.isNaN(gap({ mia: { loss_auc: NaN } }, { mia: { loss_auc: 0.5 } }).average));
  assert.ok(Number.isNaN(gap({}, {}).average));
  close(gap({ a: 1, b: 3 }, { a: 2, b: 1 }, { averageKeys: ['a', 'b'] }).average, 1.5);
});

test('seeded PRNG is reproducible and subsamples without replacement', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const drawsA = Array.from({ length: 5 }, () => a());
  assert.deepEqual(drawsA, Array.from({ length: 5 }, () => b()));
  assert.ok(drawsA.every((x) => x >= 0 && x < 1));
  const picked = sampleIndices(100, 30, mulberry32(1));
  assert.equal(new Set(picked).size, 30);
  assert.deepEqual(picked, [...picked].sort((x, y) => x - y));
});
