// chooseByGap: a target-rule run that also scores a retain and a held-out sample at every check
// returns the check with the smallest estimated gap to a retrained model (forget accuracy to the
// target, retain and held-out accuracy to the input model's), the input model included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveForgetSet, splitOf } from '../src/data';
import { loadPretrained, type SequenceClassifier } from '../src/model';
import { unlearn, type RecordedCheck } from '../src/methods/unlearn';
import { resolveHyperparameters, getMethod } from '../src/methods';
import { stopForgetSample } from '../src/methods/loop';
import { betterCheck, estimatedGap, lossMia, type StopCheck, type StopTarget } from '../src/methods/stopping';
import { predict } from '../src/train/predict';
import { tinyRun } from './helpers/tiny-run';

const TARGET: StopTarget = { rule: 'class-matched', accuracy: 0.6, loss: 1, source: '', estimate: {} };
const check = (step: number, forgetAccuracy: number, extra: Partial<StopCheck> = {}): StopCheck => ({
  step, forgetAccuracy, forgetLoss: 1, unseen: forgetAccuracy <= TARGET.accuracy, distance: Math.abs(forgetAccuracy - TARGET.accuracy), ...extra,
});

test('estimatedGap: the forget distance to the target (twice: it stands in for the MIA term) and the retain and held-out accuracy moved since step 0, over 4', () => {
  const base = { retainAccuracy: 0.9, heldoutAccuracy: 0.8 };
  assert.ok(Math.abs(estimatedGap({ forgetAccuracy: 0.9, ...base }, base, TARGET) - 0.15) < 1e-12, 'the input model: its forget distance only');
  const g = estimatedGap({ forgetAccuracy: 0.55, retainAccuracy: 0.75, heldoutAccuracy: 0.7 }, base, TARGET);
  assert.ok(Math.abs(g - (2 * 0.05 + 0.15 + 0.1) / 4) < 1e-12);
  // A retain gain counts as a move too: a retrained model keeps the input model's retain accuracy.
  assert.ok(Math.abs(estimatedGap({ forgetAccuracy: 0.6, retainAccuracy: 0.94, heldoutAccuracy: 0.8 }, base, TARGET) - 0.01) < 1e-12);
});

test('betterCheck: the smaller estimated gap wins over the closer forget accuracy; without gaps it is closerToTarget', () => {
  const input = check(0, 0.9, { estimatedGap: 0.1 });
  const wrecked = check(10, 0.6, { estimatedGap: 0.2 }); // on the target, at 30 points of retain accuracy
  assert.ok(betterCheck(input, wrecked, TARGET), 'the untouched input model beats a state that paid more than it gained');
  assert.ok(!betterCheck(wrecked, input, TARGET));
  const tie = check(5, 0.62, { estimatedGap: 0.1 });
  assert.ok(betterCheck(tie, input, TARGET), 'equal gaps: the closer forget accuracy');
  assert.ok(betterCheck(check(10, 0.6), check(0, 0.9), TARGET), 'no gaps: closer to the target');
});

test('lossMia: the evaluation\'s attack on two loss samples; undefined for a group of one', () => {
  const members = Array.from({ length: 40 }, (_, i) => 0.01 * i);
  const nonMembers = Array.from({ length: 40 }, (_, i) => 1 + 0.01 * i);
  assert.ok(lossMia(members, nonMembers)! > 0.95, 'separable losses are found');
  assert.equal(lossMia([0.1], nonMembers), undefined);
});

test('chooseByGap: every check records retain and held-out accuracy and its estimated gap, and the run returns the smallest', async (t) => {
  const run = await tinyRun();
  const forget = resolveForgetSet(run.dataset, 'random:0.3', { seed: 1 });
  // Random labels at a rate that wrecks the model in one step: the forget target alone does not see what it costs.
  const HP = { lr: 3e-2, steps: 30, evalEvery: 5, forgetBatch: 8, retainBatch: 8, chooseByGap: 1 };
  const out = path.join(run.root, 'choose-by-gap');
  const r = await unlearn({ modelDir: run.original, dataset: run.dataset, forget, method: 'random-label', seed: 2, hp: HP, stop: 'class-matched', out });
  const checks = r.checks! as RecordedCheck[];
  t.diagnostic(`target ${r.target!.accuracy.toFixed(3)}; checks ${checks.map((c) => `${c.step}:${c.forget_accuracy.toFixed(2)}/${c.retain_accuracy!.toFixed(2)}/${c.heldout_accuracy!.toFixed(2)} g${c.estimated_gap!.toFixed(3)}`).join(' ')}; chosen ${r.chosen_check!.step}`);
  const step0 = checks.find((c) => c.step === 0)!;
  for (const c of checks) {
    assert.ok(c.retain_accuracy !== undefined && c.heldout_accuracy !== undefined && c.estimated_gap !== undefined, `check ${c.step} scores the quality samples`);
    const want = (2 * Math.abs(c.forget_accuracy - r.target!.accuracy) + Math.abs(c.retain_accuracy! - step0.retain_accuracy!) + Math.abs(c.heldout_accuracy! - step0.heldout_accuracy!)) / 4;
    assert.ok(Math.abs(c.estimated_gap! - want) < 1e-12, `check ${c.step}: estimated gap ${c.estimated_gap} = ${want}`);
  }
  const smallest = Math.min(...checks.map((c) => c.estimated_gap!));
  assert.equal(r.chosen_check!.estimated_gap, smallest, 'the chosen check has the smallest estimated gap');
  assert.equal(r.steps, r.chosen_check!.step);
  assert.ok(checks.some((c) => c.step > 0 && c.retain_accuracy! < step0.retain_accuracy! - 0.3), 'the case costs retain accuracy');
  // Every step here costs more than it gains on the forget set (one step: 75 points of retain accuracy): the input model comes back.
  assert.equal(r.chosen_check!.step, 0, 'the input model is returned');
  // The folder holds the chosen state.
  const hp = resolveHyperparameters(getMethod('random-label'), HP);
  const forgetRows = splitOf(run.dataset, 'train').filter((e) => forget.ids.includes(e.id));
  const { model, tokenizer } = loadPretrained(out);
  const acc = predict(model as SequenceClassifier, tokenizer!, stopForgetSample(forgetRows, hp, 2), { maxLength: 48, batchSize: 32 }).accuracy;
  model.dispose();
  assert.equal(acc, r.chosen_check!.forget_accuracy);
  assert.ok(fs.existsSync(path.join(out, 'unlearn.json')));
});
