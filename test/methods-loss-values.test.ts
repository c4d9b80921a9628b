// Each method file's loss on a tiny hand-computed batch. A stub classifier maps every example to
// fixed logits and a fixed pooled vector, so each loss is a closed-form number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, scope, tensor } from '../src/engine';
import { createModel } from '../src/model';
import type { Example } from '../src/data';
import { getMethod, defaultHyperparameters, type Classifier, type LossMethod, type MethodState, type StepContext } from '../src/methods';
import type { LabelledBatch } from '../src/train/batches';

// Rows: logits (2 classes) and pooled vectors (2-D) per example id.
// `cls` (the pre-pooler vector) puts the forget row with class 1 instead.
const ROWS: Record<string, { logits: [number, number]; pooled: [number, number]; cls: [number, number] }> = {
  f0: { logits: [3, 0], pooled: [1, 0], cls: [0, 1] }, // forget, class 0
  r0: { logits: [2, 0], pooled: [1, 0], cls: [1, 0] }, // retain, class 0
  r1: { logits: [0, 1], pooled: [0, 1], cls: [0, 1] }, // retain, class 1
};
const ids = Object.keys(ROWS);
const ex = (id: string, label: number): Example => ({ id, text: id, label, labelName: String(label), split: 'train' });
const forget = [ex('f0', 0)];
const retain = [ex('r0', 0), ex('r1', 1)];

function encode(examples: readonly Example[]): LabelledBatch {
  return {
    inputIds: tensor(examples.map((e) => ids.indexOf(e.id)), { dtype: 'int64' }),
    labels: tensor(examples.map((e) => e.label), { dtype: 'int64' }),
    size: examples.length,
    unitOffsets: Array.from({ length: examples.length + 1 }, (_, i) => i),
  };
}

/** Only what the losses touch: forward() and numLabels. */
const stub = {
  numLabels: 2,
  forward(batch: LabelledBatch) {
    const logits = tensor(ids.map((id) => ROWS[id]!.logits)).indexSelect(0, batch.inputIds);
    const pooled = tensor(ids.map((id) => ROWS[id]!.pooled)).indexSelect(0, batch.inputIds);
    const cls = tensor(ids.map((id) => ROWS[id]!.cls)).indexSelect(0, batch.inputIds);
    return { logits, pooled, cls, lastHiddenState: pooled };
  },
} as unknown as Classifier;

function lossOf(name: string, overrides: Record<string, number> = {}, step = 0, state: MethodState = {}): number {
  const method = getMethod(name) as LossMethod<MethodState>;
  const hp = { ...defaultHyperparameters(method), ...overrides };
  return scope(() => {
    const ctx: StepContext<MethodState> = { model: stub, step, hp, state, encode, random: () => 0.5 };
    return method.loss(ctx, forget, retain).total.item();
  });
}

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-5, `${a} ≈ ${b}`);
const ce = (z: [number, number], y: number) => Math.log(Math.exp(z[0]) + Math.exp(z[1])) - z[y];
const ceRetain = (ce([2, 0], 0) + ce([0, 1], 1)) / 2;
const ceForget = ce([3, 0], 0);

test('finetune: CE(retain)', () => close(lossOf('finetune'), ceRetain));
test('gradient-ascent: -CE(forget)', () => close(lossOf('gradient-ascent'), -ceForget));
test('neggrad-plus: beta CE(retain) - (1 - beta) CE(forget)', () => {
  close(lossOf('neggrad-plus'), 0.9 * ceRetain - 0.1 * ceForget);
  close(lossOf('neggrad-plus', { beta: 0.5 }), 0.5 * ceRetain - 0.5 * ceForget);
});
test('random-label: CE(forget, the other class) + CE(retain)', () => close(lossOf('random-label'), ce([3, 0], 1) + ceRetain));

test('contrastive-unlearning: 3 L_UL + CE(retain); anchor f0 (class 0): P = {r1}, N = {r0}', () => {
  // s = cos/0.7: s(f0,r0) = 1/0.7, s(f0,r1) = 0; L_UL = -(0 - 1/0.7) = 1/0.7.
  close(lossOf('contrastive-unlearning'), 3 / 0.7 + ceRetain);
});

test('deepcut: CE(retain) + gamma SupCon; a second dropout view adds exactly log 2 (no dropout in the stub)', () => {
  // One view, tau 0.5: s(f0,r0) = 2, s(f0,r1) = 0; L_f = -(0 - log(e^2 + 1)).
  const lf = Math.log(Math.exp(2) + 1);
  const pooled = { prePooler: 0 };
  close(lossOf('deepcut', { ...pooled, views: 1 }), ceRetain + lf);
  close(lossOf('deepcut', { ...pooled, views: 1, gamma: 0.5 }), ceRetain + 0.5 * lf);
  // Two identical views double every candidate: each log-probability loses log 2; retain CE is unchanged.
  close(lossOf('deepcut', { ...pooled, views: 2 }), ceRetain + lf + Math.log(2));
  // retainViews 1: the anchors keep their two views, the retain candidates are encoded once (no doubling).
  close(lossOf('deepcut', { ...pooled, views: 2, retainViews: 1 }), ceRetain + lf);
  close(lossOf('deepcut', { ...pooled, views: 2, retainViews: 2 }), ceRetain + lf + Math.log(2));
  // The default, prePooler 1, contrasts `cls`: s(f0,r0) = 0, s(f0,r1) = 2, so the anchor already sits with class 1.
  close(lossOf('deepcut', { views: 1 }), ceRetain + Math.log(1 + Math.exp(2)) - 2);
});

test('scrub: a max-step is -KL(teacher || student) on forget, a min-step KL + CE on retain', () => {
  const teacher = { forward: (b: LabelledBatch) => ({ logits: tensor([[0, 0]]).expand([b.size, 2]).contiguous() }) } as unknown as Classifier;
  const state = { teacher } as MethodState;
  // Forget logits (3, 0) at T = 2: student p = softmax(1.5, 0); teacher uniform.
  const ps = [Math.exp(1.5) / (Math.exp(1.5) + 1), 1 / (Math.exp(1.5) + 1)];
  const klForget = 0.5 * Math.log(0.5 / ps[0]!) + 0.5 * Math.log(0.5 / ps[1]!);
  close(lossOf('scrub', {}, 0, state), -klForget);
  const kl = (z: [number, number]) => {
    const q = [Math.exp(z[0] / 2), Math.exp(z[1] / 2)];
    const sum = q[0]! + q[1]!;
    return 0.5 * Math.log(0.5 / (q[0]! / sum)) + 0.5 * Math.log(0.5 / (q[1]! / sum));
  };
  close(lossOf('scrub', {}, 1, state), (kl([2, 0]) + kl([0, 1])) / 2 + ceRetain);
  // After maxSteps only min-steps remain, even on even steps.
  close(lossOf('scrub', { maxSteps: 0 }, 0, state), (kl([2, 0]) + kl([0, 1])) / 2 + ceRetain);
});

/** A frozen model that gives every row the same logits (a reference or teacher). */
const constant = (z: [number, number]) => ({ forward: (b: LabelledBatch) => ({ logits: tensor([z]).expand([b.size, 2]).contiguous() }) }) as unknown as Classifier;
const logSigmoid = (x: number) => -Math.log(1 + Math.exp(-x));

test('npo: -(2/beta) log sigmoid(beta (CE - CE_ref)) per forget sample + CE(retain)', () => {
  const state = { reference: constant([1, 0]) } as MethodState;
  const margin = ceForget - ce([1, 0], 0);
  close(lossOf('npo', {}, 0, state), (-2 / 0.1) * logSigmoid(0.1 * margin) + ceRetain);
  close(lossOf('npo', { beta: 1, retainWeight: 0.5 }, 0, state), -2 * logSigmoid(margin) + 0.5 * ceRetain);
  // At the original's own loss the term is (2/beta) log 2, whatever beta.
  close(lossOf('npo', { retainWeight: 0 }, 0, { reference: constant([3, 0]) } as MethodState), (2 / 0.1) * Math.log(2));
});

test('simnpo: -(2/beta) log sigmoid(beta CE - gamma) per forget sample + CE(retain), no reference', () => {
  close(lossOf('simnpo'), (-2 / 2.5) * logSigmoid(2.5 * ceForget) + ceRetain);
  close(lossOf('simnpo', { gamma: 1, beta: 0.5 }), (-2 / 0.5) * logSigmoid(0.5 * ceForget - 1) + ceRetain);
});

test('bad-teacher: KL to the incompetent teacher on forget, to the competent one on retain, mean per sample', () => {
  // Competent teacher = the stub itself (KL 0 on retain); incompetent = uniform.
  const state = { incompetent: constant([0, 0]), competent: stub } as MethodState;
  const p = [Math.exp(3) / (Math.exp(3) + 1), 1 / (Math.exp(3) + 1)];
  const klForget = 0.5 * Math.log(0.5 / p[0]!) + 0.5 * Math.log(0.5 / p[1]!);
  close(lossOf('bad-teacher', {}, 0, state), klForget / 3);
});

test('l1-sparse: CE(retain) + alpha_t ||theta||_1, alpha_t linear to 0 over the budget', () => {
  const weights = [tensor([1, -2]), tensor([[0.5]])]; // ||.||_1 = 3.5
  const withParams = Object.assign(Object.create(stub) as object, { trainableParameters: () => weights }) as Classifier;
  const at = (step: number) => scope(() => {
    const method = getMethod('l1-sparse') as LossMethod<MethodState>;
    const hp = { ...defaultHyperparameters(method), alpha: 0.1, steps: 100 };
    return method.loss({ model: withParams, step, hp, state: {}, encode, random: () => 0.5 }, forget, retain).total.item();
  });
  close(at(0), ceRetain + 0.35);
  close(at(50), ceRetain + 0.175);
  close(at(100), ceRetain);
});

test('salun: random labels + CE(retain); the mask keeps exactly the requested share of trainable weights and zeroes the rest of every gradient', () => {
  close(lossOf('salun'), ce([3, 0], 1) + ceRetain);
  manualSeed(0);
  const model = createModel({ vocabSize: 30, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 8, labels: ['a', 'b'] }) as Classifier;
  const rows = [[2, 5, 7, 9], [3, 4, 8, 1], [6, 2, 2, 5]];
  const encodeIds = (examples: readonly Example[]): LabelledBatch => ({
    inputIds: tensor(examples.map((e) => rows[Number(e.id)]!), { dtype: 'int64' }),
    labels: tensor(examples.map((e) => e.label), { dtype: 'int64' }),
    size: examples.length,
    unitOffsets: Array.from({ length: examples.length + 1 }, (_, i) => i),
  });
  const rowsAsExamples = [ex('0', 0), ex('1', 1), ex('2', 0)];
  const method = getMethod('salun') as LossMethod<MethodState & { masks: import('../src/engine').Tensor[]; kept: number }>;
  const hp = { ...defaultHyperparameters(method), share: 0.3 };
  const state = method.setup!({ model, hp, loadOriginal: () => model, forget: rowsAsExamples, encode: encodeIds });
  const total = model.trainableParameters().reduce((n, p) => n + p.numel, 0);
  assert.equal(state.kept, Math.round(0.3 * total) / total, 'exactly the requested share (no ties at the threshold here)');
  scope(() => {
    const ctx = { model, step: 0, hp, state, encode: encodeIds, random: () => 0.5 };
    method.loss(ctx, rowsAsExamples.slice(0, 1), rowsAsExamples.slice(1)).total.backward();
    method.afterBackward!(ctx);
    model.trainableParameters().forEach((p, i) => {
      const g = p.grad!.toNumbers();
      const m = state.masks[i]!.toNumbers();
      g.forEach((v, j) => { if (m[j] === 0) assert.equal(Math.abs(v), 0, 'no gradient outside the mask'); });
    });
  });
  state.dispose!();
  model.dispose();
});

test('deepcut: prePooler must be 0 or 1', () => {
  const method = getMethod('deepcut') as LossMethod<MethodState>;
  const setup = (prePooler: number) => method.setup!({ model: stub, hp: { ...defaultHyperparameters(method), prePooler } } as unknown as Parameters<NonNullable<typeof method.setup>>[0]);
  assert.deepEqual(setup(1), {});
  assert.deepEqual(setup(0), {});
  assert.throws(() => setup(2), /prePooler must be 0 or 1, got 2/);
});
