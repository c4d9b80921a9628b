import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxRows, perSampleStats, softmax } from '../src/eval';

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

test('softmax rows sum to 1 and match the closed form', () => {
  const probs = softmax(Float32Array.from([1, 2, 3, 0, 0, 0]), 3);
  const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  close(probs[0]!, Math.exp(1) / z);
  close(probs[2]!, Math.exp(3) / z);
  close(probs[3]!, 1 / 3);
  close(probs[0]! + probs[1]! + probs[2]!, 1);
});

test('per-sample loss, confidence, max prob, entropy and predictions', () => {
  // Row 0: logits [1, 2, 3], label 0 → loss = log(e + e² + e³) − 1.
  // Row 1: uniform logits, label 2 → confidence = 1/3, loss = ln 3, entropy = ln 3.
  const stats = perSampleStats([1, 2, 3, 5, 5, 5], [0, 2], 3);
  close(stats.loss[0]!, Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 1);
  close(stats.confidence[0]!, Math.exp(-stats.loss[0]!));
  close(stats.maxProb[0]!, stats.probs[2]!);
  assert.deepEqual(Array.from(stats.predictions), [2, 0]); // ties go to the first class
  close(stats.loss[1]!, Math.log(3));
  close(stats.entropy[1]!, Math.log(3));
  close(stats.confidence[1]!, 1 / 3);
});

test('extreme logits stay finite (log-sum-exp), no NaN entropy', () => {
  const stats = perSampleStats([1000, 0, -1e6, 1e6], [1, 1], 2);
  close(stats.loss[0]!, 1000);
  assert.equal(stats.confidence[0], 0);
  assert.equal(stats.entropy[0], 0);
  close(stats.loss[1]!, 0);
  assert.equal(stats.confidence[1], 1);
  assert.ok(stats.entropy.every(Number.isFinite));
});

test('shape and label errors throw', () => {
  assert.throws(() => softmax([1, 2, 3], 2), RangeError);
  assert.throws(() => perSampleStats([1, 2], [2], 2), RangeError);
  assert.throws(() => perSampleStats([1, 2, 3, 4], [0], 2), RangeError);
  assert.deepEqual(Array.from(argmaxRows([0, 1, 1, 0], 2)), [1, 0]);
});
