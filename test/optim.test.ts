// Optimizer arithmetic, state save/load and learning-rate schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor, scope, noGrad, AdamW, SGD, clipGradNorm, zeroGrad, linearWarmupDecay, keep } from '../src/engine';
import { assertClose } from './helpers/gradcheck';

test('AdamW step matches the decoupled-weight-decay formula', () => scope(() => {
  const w = keep(tensor([1, -2], { requiresGrad: true }));
  const opt = new AdamW([w], { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 });
  w.mul(tensor([3, 4])).sum().backward(); // grad = [3, 4]
  opt.step();
  // step 1: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2 -> update = lr * g/|g| = 0.1 * sign(g)
  // decoupled decay first: w *= (1 - lr * wd) = 0.95
  assertClose(w.toArray() as Float32Array, [1 * 0.95 - 0.1, -2 * 0.95 - 0.1], 1e-6);
  w.dispose();
}));

test('SGD with momentum and weight decay matches PyTorch\'s update rule', () => scope(() => {
  const w = keep(tensor([1], { requiresGrad: true }));
  const opt = new SGD([w], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
  const values: number[] = [];
  for (let i = 0; i < 2; i++) {
    scope(() => {
      opt.zeroGrad();
      w.mul(2).sum().backward(); // grad 2
      opt.step();
    });
    values.push(w.item());
  }
  // g1 = 2 + 0.1*1 = 2.1, buf = 2.1, w = 1 - 0.21 = 0.79
  // g2 = 2 + 0.079 = 2.079, buf = 0.9*2.1 + 2.079 = 3.969, w = 0.79 - 0.3969 = 0.3931
  assertClose(values, [0.79, 0.3931], 1e-6);
  w.dispose();
}));

test('parameter groups: per-group weight decay', () => scope(() => {
  const decayed = keep(tensor([1], { requiresGrad: true }));
  const plain = keep(tensor([1], { requiresGrad: true }));
  const opt = new AdamW([{ params: [decayed] }, { params: [plain], options: { weightDecay: 0 } }], { lr: 0.1, weightDecay: 0.5 });
  decayed.mul(0).sum().add(plain.mul(0).sum()).backward();
  opt.step();
  assertClose([decayed.item(), plain.item()], [0.95, 1], 1e-6);
  assert.throws(() => new AdamW([]), /no parameters/);
  decayed.dispose();
  plain.dispose();
}));

test('optimizer state saved to a file resumes training bit for bit', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-optim-'));
  const run = (steps: number, resumeFrom?: { w: number[]; state: string }) => scope(() => {
    const w = keep(tensor(resumeFrom?.w ?? [0.5, -0.3], { requiresGrad: true }));
    const opt = new AdamW([w], { lr: 0.05 });
    if (resumeFrom) opt.loadState(resumeFrom.state);
    for (let i = 0; i < steps; i++) {
      scope(() => {
        opt.zeroGrad();
        w.sub(tensor([2, 1])).pow(2).sum().backward();
        opt.step();
      });
    }
    const file = path.join(dir, `state-${steps}-${resumeFrom ? 'r' : 'f'}.bin`);
    opt.saveState(file);
    const out = { w: w.toNumbers(), state: file };
    w.dispose();
    return out;
  });
  const straight = run(10);
  const half = run(5);
  const resumed = run(5, half);
  assert.deepEqual(resumed.w, straight.w);
  assert.throws(() => new AdamW([tensor([1], { requiresGrad: true })]).loadState(path.join(dir, 'nope.bin')), /cannot load optimizer state from .*nope\.bin/);
  fs.rmSync(dir, { recursive: true });
});

test('learning rate can be read and set; schedule is linear warm-up then linear decay', () => scope(() => {
  const w = tensor([1], { requiresGrad: true });
  const opt = new AdamW([w], { lr: 0.01 });
  assert.equal(opt.lr, 0.01);
  opt.lr = 0.5;
  assert.equal(opt.lr, 0.5);
  const lr = linearWarmupDecay(1, 10, 110);
  assert.deepEqual([lr(0), lr(5), lr(10), lr(60), lr(110), lr(200)], [0, 0.5, 1, 0.5, 0, 0]);
  assert.throws(() => linearWarmupDecay(1, 20, 10), /warmupSteps/);
}));

test('gradient clipping scales to the max norm and reports the original norm', () => scope(() => {
  const a = tensor([0, 0], { requiresGrad: true });
  const b = tensor([0], { requiresGrad: true });
  a.mul(tensor([3, 0])).sum().add(b.mul(4).sum()).backward(); // grads [3,0], [4] -> norm 5
  const norm = clipGradNorm([a, b], 1);
  assertClose([norm], [5], 1e-6);
  assertClose([...a.grad!.toNumbers(), ...b.grad!.toNumbers()], [0.6, 0, 0.8], 1e-6);
  zeroGrad([a, b]);
  assert.equal(a.grad, undefined);
}));

test('loading the state saved before the first step drops the moments taken since (a rewind to step 0 replays the same steps)', () => {
  const w = tensor([1, -2, 3], { requiresGrad: true });
  const opt = new AdamW([w], { lr: 0.1 });
  const steps = (n: number) => {
    for (let i = 0; i < n; i++) {
      opt.zeroGrad();
      scope(() => w.mul(w).sum().backward());
      opt.step();
    }
    return w.toNumbers();
  };
  const initialWeights = w.toNumbers();
  const empty = opt.stateBytes();
  const firstPass = steps(3);
  assert.equal(opt.stateDevices().length, 2);
  opt.loadStateBytes(empty);
  assert.deepEqual(opt.stateDevices(), []);
  noGrad(() => scope(() => w.copy_(tensor(initialWeights))));
  assert.deepEqual(steps(3), firstPass);
});
