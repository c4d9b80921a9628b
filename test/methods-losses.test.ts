// The unlearning losses on tiny hand-computed batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope, tensor, F } from '../src/engine';
import { contrastiveUnlearningLoss, supconForgetLoss, distillationKl } from '../src/methods';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} ≈ ${b}`);
const long = (xs: number[]) => tensor(xs, { dtype: 'int64' });

// One anchor u = (1, 0) of class 0; retain r1 = (1, 0) class 0, r2 = (0, 1) class 1, r3 = (-1, 0) class 0.
const anchor = () => tensor([[1, 0]]);
const retain = () => tensor([[1, 0], [0, 1], [-1, 0]]);

test('Lee et al. L_UL: -(s_pos - log sum_neg exp s_neg), by hand', () => {
  scope(() => {
    // tau 1: s = (1, 0, -1); P = {r2}, N = {r1, r3}: L = -(0 - log(e + 1/e)) = log(2 cosh 1).
    close(contrastiveUnlearningLoss(anchor(), long([0]), retain(), long([0, 1, 0]), 1).item(), Math.log(2 * Math.cosh(1)));
    // tau 0.5 with N = {r1} only: s = (2, 0): L = -(0 - 2) = 2.
    close(contrastiveUnlearningLoss(anchor(), long([0]), tensor([[1, 0], [0, 1]]), long([0, 1]), 0.5).item(), 2);
    // Features are L2-normalised first: scaling an input changes nothing.
    close(contrastiveUnlearningLoss(tensor([[5, 0]]), long([0]), retain().mul(3), long([0, 1, 0]), 1).item(), Math.log(2 * Math.cosh(1)));
  });
});

test('DeepCUT SupCon forgetting loss: -log(exp s_pos / sum_all exp s), by hand', () => {
  scope(() => {
    // tau 1: s = (1, 0, -1): L = -(0 - log(e + 1 + 1/e)) = log(1 + 2 cosh 1).
    close(supconForgetLoss(anchor(), long([0]), retain(), long([0, 1, 0]), 1).item(), Math.log(1 + 2 * Math.cosh(1)));
    // Two positives (class-1 anchor against r1, r3 of class 0) are averaged: s = (1·0, ...) for u = (0, 1):
    // s = (0, 1, 0), positives r1, r3 with s = 0: L = log(1 + e + 1).
    close(supconForgetLoss(tensor([[0, 1]]), long([1]), retain(), long([0, 1, 0]), 1).item(), Math.log(2 + Math.E));
  });
});

test('anchors without positives (or, for L_UL, without negatives) are left out of the mean', () => {
  scope(() => {
    const anchors = tensor([[1, 0], [0, 1]]);
    // Second anchor is class 2: no retain sample shares it, so it has no negatives (L_UL) but positives.
    const ul = contrastiveUnlearningLoss(anchors, long([0, 2]), retain(), long([0, 1, 0]), 1).item();
    close(ul, Math.log(2 * Math.cosh(1)));
    // SupCon: an anchor whose every candidate is same-class has no positive and is skipped.
    const sup = supconForgetLoss(anchors, long([0, 0]), tensor([[1, 0], [-1, 0]]), long([0, 0]), 1).item();
    close(sup, 0);
    // Nothing valid at all: the loss is 0, not NaN.
    close(contrastiveUnlearningLoss(anchor(), long([0]), tensor([[1, 0]]), long([0]), 1).item(), 0);
  });
});

test('descending the forgetting losses moves the anchor toward the other class', () => {
  for (const loss of [supconForgetLoss, contrastiveUnlearningLoss]) {
    scope(() => {
      const u = tensor([[1, 0.2]]).requiresGrad_(true);
      const before = F.cosineSimilarity(u, tensor([[0, 1]])).item();
      loss(u, long([0]), retain(), long([0, 1, 0]), 0.7).backward();
      const moved = u.detach().sub(u.grad!.mul(0.5));
      const after = F.cosineSimilarity(moved, tensor([[0, 1]])).item();
      assert.ok(after > before + 0.05, `${loss.name}: cos to the other class ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    });
  }
});

test('SCRUB distillation KL(teacher || student), by hand', () => {
  scope(() => {
    // teacher (0.5, 0.5), student (0.75, 0.25): KL = 0.5 ln(2/3) + 0.5 ln 2.
    close(distillationKl(tensor([[Math.log(3), 0]]), tensor([[0, 0]]), 1).item(), 0.5 * Math.log(2 / 3) + 0.5 * Math.log(2));
    close(distillationKl(tensor([[1, 2]]), tensor([[1, 2]]), 4).item(), 0);
  });
});
