// Rewind: with a target rule the run returns the check closest to the target, not the first
// one past it; a crossing is refined by replaying the steps since the previous check one at a
// time; a run killed anywhere (between coarse checks, in the middle of a replay) and resumed
// ends bit-identical to an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveForgetSet, splitOf } from '../src/data';
import { loadPretrained, type SequenceClassifier } from '../src/model';
import { unlearn, type RecordedCheck, type UnlearnRecord } from '../src/methods/unlearn';
import { camelKeys } from '../src/provenance/casing';
import { runLossMethod, stopForgetSample } from '../src/methods/loop';
import type { Classifier, LossMethod, MethodState } from '../src/methods/types';
import { registerMethod } from '../src/methods/registry';
import { forwardForgetAndRetain } from '../src/methods/joint-batch';
import { keep, noGrad, tensor, type Tensor } from '../src/engine';
import { resolveHyperparameters, getMethod } from '../src/methods';
import { closerToTarget, targetTolerance, type StopCheck, type StopTarget } from '../src/methods/stopping';
import { predict } from '../src/train/predict';
import { tinyRun } from './helpers/tiny-run';

// Random labels at a high rate: forget accuracy falls fast, so a check every 10 steps overshoots.
// The fixed one-point tolerance (the default until the automatic one): these tests exercise the rewind itself.
const HP = { lr: 5e-4, steps: 60, evalEvery: 10, checkpointEvery: 4, forgetBatch: 8, retainBatch: 8, tolerance: 0.01 };
const METHOD = 'random-label';

// unlearn.json's checks are snake_case; closerToTarget reads the loop's own (camelCase) checks.
const asStop = (c: RecordedCheck): StopCheck => camelKeys(c) as unknown as StopCheck;
const weights = (dir: string) => fs.readFileSync(path.join(dir, 'model.safetensors'));
const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'unlearn.json'), 'utf8')) as UnlearnRecord;

async function setup() {
  const run = await tinyRun();
  const forget = resolveForgetSet(run.dataset, 'random:0.3', { seed: 1 });
  const base = { modelDir: run.original, dataset: run.dataset, forget, method: METHOD, seed: 2, hp: HP, stop: 'class-matched' as const };
  return { run, forget, base };
}

test('a crossing within `tolerance` of the target ends the run there, without replaying the steps before it', async () => {
  const { run, base } = await setup();
  const replayed = await unlearn({ ...base, out: path.join(run.root, 'tolerance-replay') });
  const crossing = replayed.checks!.filter((c) => !c.fine).find((c) => c.unseen)!;
  assert.ok(replayed.checks!.some((c) => c.fine), 'with the default tolerance this case replays (its crossing is far from the target)');
  const tolerance = crossing.distance! + 1e-9;
  // The run ends at the first check within the tolerance: the crossing, or a check before it
  // that is as close without crossing (which one depends on the machine's numerics).
  const coarse = replayed.checks!.filter((c) => !c.fine);
  const stopAt = coarse.find((c) => c.distance! <= tolerance)!;
  assert.ok(stopAt.step <= crossing.step);
  const r = await unlearn({ ...base, hp: { ...HP, tolerance }, out: path.join(run.root, 'tolerance') });
  assert.ok(!r.checks!.some((c) => c.fine), 'no replay');
  assert.deepEqual(r.checks!.map((c) => c.step), coarse.filter((c) => c.step <= stopAt.step).map((c) => c.step), 'the same coarse checks up to the first within the tolerance');
  assert.equal(r.steps_run, stopAt.step, 'no step past that check');
  assert.equal(r.stopped_by, 'rule');
});

test('class-matched + rewind: returns the check closest to the target, refining the crossing step by step', async (t) => {
  const { run, forget, base } = await setup();
  const out = path.join(run.root, 'rewind-a');
  const r = await unlearn({ ...base, out });
  const target = r.target!;
  const checks = r.checks!;
  t.diagnostic(`target ${target.accuracy.toFixed(3)}; checks ${checks.map((c) => `${c.step}${c.fine ? 'f' : ''}:${c.forget_accuracy.toFixed(2)}`).join(' ')}; chosen ${r.chosen_check!.step}`);
  assert.equal(target.rule, 'class-matched');
  assert.match(target.source, /validation accuracy on the forget sample's class mix/);
  for (const c of checks) assert.equal(c.distance, Math.abs(c.forget_accuracy - target.accuracy), 'every check records its distance');
  const coarse = checks.filter((c) => !c.fine);
  const firstCrossing = coarse.find((c) => c.forget_accuracy <= target.accuracy)!;
  assert.ok(firstCrossing, 'the run crosses the target');
  assert.ok(firstCrossing.distance! > 0.05, `the case overshoots: first crossing at step ${firstCrossing.step} lands ${firstCrossing.distance} from the target`);
  const fine = checks.filter((c) => c.fine);
  assert.deepEqual(fine.map((c) => c.step).slice(0, HP.evalEvery - 1), Array.from({ length: Math.min(fine.length, HP.evalEvery - 1) }, (_, i) => firstCrossing.step - HP.evalEvery + 1 + i), 'the steps since the previous check are replayed with a check after each');
  const chosen = r.chosen_check!;
  const tgt: StopTarget = { rule: 'class-matched', accuracy: target.accuracy, loss: target.loss, source: '', estimate: {} };
  for (const c of checks) assert.ok(!closerToTarget(asStop(c), asStop(chosen), tgt), `no check is closer than the chosen one (step ${c.step})`);
  assert.ok(chosen.distance! < firstCrossing.distance!, `chosen ${chosen.distance} is closer than the first crossing ${firstCrossing.distance}`);
  assert.equal(r.steps, chosen.step);
  assert.ok(r.steps_run! > r.steps, 'the replayed steps are counted in steps_run');

  // The folder holds the chosen state: its forget accuracy on the check sample is the chosen check's.
  const hp = resolveHyperparameters(getMethod(METHOD), HP);
  const forgetRows = splitOf(run.dataset, 'train').filter((e) => forget.ids.includes(e.id));
  const { model, tokenizer } = loadPretrained(out);
  const acc = predict(model as SequenceClassifier, tokenizer!, stopForgetSample(forgetRows, hp, 2), { maxLength: 48, batchSize: 32 }).accuracy;
  model.dispose();
  assert.equal(acc, chosen.forget_accuracy);

  // The paper's rule on the same run keeps the first crossing (unchanged behaviour).
  const old = await unlearn({ ...base, stop: 'accuracy', out: path.join(run.root, 'rewind-old') });
  assert.equal(old.target, undefined);
  assert.ok(old.checks!.every((c) => c.step % HP.evalEvery === 0 && !c.fine));
});

test('bisect: a crossing is refined on the straight line between the two states, with checks and no steps, and the closest is returned', async (t) => {
  const { run, forget, base } = await setup();
  const out = path.join(run.root, 'bisect');
  const bisect = 4;
  const r = await unlearn({ ...base, hp: { ...HP, bisect }, out });
  const checks = r.checks!;
  t.diagnostic(`target ${r.target!.accuracy.toFixed(3)}; checks ${checks.map((c) => `${c.step}${c.blend ? `(a${c.blend.alpha})` : ''}:${c.forget_accuracy.toFixed(2)}`).join(' ')}; chosen ${r.chosen_check!.step}`);
  const coarse = checks.filter((c) => !c.blend);
  const crossing = coarse.find((c) => c.unseen)!;
  assert.ok(crossing.distance! > 0.05, 'the case overshoots');
  assert.equal(coarse[coarse.length - 1], crossing, 'no coarse check after the crossing');
  assert.equal(r.steps_run, crossing.step, 'no step is replayed');
  const probes = checks.filter((c) => c.blend);
  assert.ok(probes.length >= 1 && probes.length <= bisect);
  assert.equal(probes[0]!.blend!.alpha, 0.5, 'the first probe is the midpoint');
  for (const p of probes) {
    assert.deepEqual([p.blend!.from, p.blend!.to], [crossing.step - HP.evalEvery, crossing.step]);
    assert.equal(p.step, p.blend!.from + p.blend!.alpha * (p.blend!.to - p.blend!.from));
  }
  // Bisection: each probe halves the interval toward the side that still brackets the target.
  for (let i = 1; i < probes.length; i++) {
    const prev = probes[i - 1]!;
    const half = 0.5 ** (i + 1);
    assert.equal(probes[i]!.blend!.alpha, prev.blend!.alpha + (prev.unseen ? -half : half));
  }
  const tgt: StopTarget = { rule: 'class-matched', accuracy: r.target!.accuracy, loss: r.target!.loss, source: '', estimate: {} };
  for (const c of checks) assert.ok(!closerToTarget(asStop(c), asStop(r.chosen_check!), tgt), `no check is closer than the chosen one (step ${c.step})`);
  assert.equal(r.steps, r.chosen_check!.step);
  // The folder holds the chosen state (a blend, or a check's own state).
  const hp = resolveHyperparameters(getMethod(METHOD), HP);
  const forgetRows = splitOf(run.dataset, 'train').filter((e) => forget.ids.includes(e.id));
  const { model, tokenizer } = loadPretrained(out);
  const acc = predict(model as SequenceClassifier, tokenizer!, stopForgetSample(forgetRows, hp, 2), { maxLength: 48, batchSize: 32 }).accuracy;
  model.dispose();
  assert.equal(acc, r.chosen_check!.forget_accuracy);
});

test('a check within half an accuracy step (1/2n) of the target ends the run: no later check could be closer', async () => {
  const { run, forget } = await setup();
  const method = getMethod(METHOD);
  assert.equal(method.kind, 'loss');
  const hp = resolveHyperparameters(method, HP);
  const train = splitOf(run.dataset, 'train');
  const forgetRows = train.filter((e) => forget.ids.includes(e.id));
  const data = { forget: forgetRows, retain: train.filter((e) => !forget.ids.includes(e.id)), validation: splitOf(run.dataset, 'validation') };
  const { model, tokenizer } = loadPretrained(run.original);
  try {
    const sample = stopForgetSample(forgetRows, hp, 2);
    const start = predict(model as SequenceClassifier, tokenizer!, sample, { maxLength: 48, batchSize: 32 }).accuracy;
    const aim = (offset: number): StopTarget => ({ rule: 'class-matched', accuracy: start + offset / sample.length, loss: 0, source: 'test', estimate: {} });
    const options = { hp, seed: 2, stop: 'class-matched' as const, maxLength: 48, forgetHash: forget.hash, loadOriginal: () => { throw new Error('unused'); } };
    // 0.4 of a step above the start: not crossed, but nothing can be closer.
    const near = runLossMethod(method as Parameters<typeof runLossMethod>[0], model as Classifier, tokenizer!, data, { ...options, target: aim(-0.4) });
    assert.deepEqual([near.steps, near.stepsRun, near.stoppedBy, near.checks.length], [0, 0, 'rule', 1]);
  } finally {
    model.dispose();
  }
});

test('the automatic tolerance is the target\'s binomial standard error on the scored units, at least one point and half a step', () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  close(targetTolerance(0.95, 256, -1), Math.sqrt(0.95 * 0.05 / 256)); // 1.36 points: the demo's request
  close(targetTolerance(0.947, 13, undefined), Math.sqrt(0.947 * 0.053 / 13)); // 6.2 points: Brown's 13-passage text
  close(targetTolerance(0.999, 10000, -1), 0.01); // never below one point
  close(targetTolerance(1, 4, -1), 0.125 + 1e-12); // half an accuracy step where the target has no noise
  close(targetTolerance(0.95, 256, 0.02), 0.02); // a value given is used as given ...
  close(targetTolerance(0.95, 10, 0), 0.05 + 1e-12); // ... but never below half a step
  assert.throws(() => targetTolerance(0.5, 0, -1), /needs scored forget units/);
});

test('with the automatic tolerance a run ends at the first check within the target\'s own noise, and unlearn.json records it', async () => {
  const { run, base } = await setup();
  const fixed = await unlearn({ ...base, out: path.join(run.root, 'tolerance-fixed') });
  const r = await unlearn({ ...base, hp: { ...HP, tolerance: -1 }, out: path.join(run.root, 'tolerance-auto') });
  const n = stopForgetSample(splitOf(run.dataset, 'train').filter((e) => base.forget.ids.includes(e.id)), resolveHyperparameters(getMethod(METHOD), HP), base.seed).length;
  const expected = targetTolerance(r.target!.accuracy, n, -1);
  assert.equal(r.target!.tolerance, expected);
  assert.equal(fixed.target!.tolerance, 0.01);
  assert.ok(expected > 0.01, `this small forget set's target is noisy: ${expected}`);
  // The same trajectory as the fixed-tolerance run, up to the first coarse check within the wider tolerance.
  const coarse = fixed.checks!.filter((c) => !c.fine);
  const stopAt = coarse.find((c) => c.distance! <= expected || c.unseen)!;
  assert.deepEqual(r.checks!.filter((c) => !c.fine).map((c) => c.forget_accuracy).slice(0, coarse.indexOf(stopAt) + 1), coarse.slice(0, coarse.indexOf(stopAt) + 1).map((c) => c.forget_accuracy));
  if (stopAt.distance! <= expected) {
    assert.equal(r.steps_run, stopAt.step, 'no step past the first check within the tolerance');
    assert.ok(!r.checks!.some((c) => c.fine), 'no replay');
  }
});

test('a rewinding run killed between checks or during its replay resumes bit-identical', async (t) => {
  const { run, base } = await setup();
  const a = path.join(run.root, 'rewind-a');
  if (!fs.existsSync(path.join(a, 'unlearn.json'))) await unlearn({ ...base, out: a });
  const full = record(a);
  const crossedAt = full.rewind!.crossed_at!;
  // onStep is called once per optimisation step, replays included: call N is the N-th step run.
  // Calls crossedAt+1 .. steps_run are the replay of the steps after the previous coarse check.
  const replay = full.steps_run! - crossedAt;
  assert.ok(replay > 0, `the replay ran (steps_run ${full.steps_run}, crossed at ${crossedAt})`);
  // A kill inside onStep comes before that step's checkpoint is written, so a resumed run sees a
  // replay (phase 'fine') only when the kill follows the replay's first checkpoint. How long the
  // replay is depends on the trajectory, which differs in the last bits between CPUs; a replay too
  // short to hold a checkpoint is killed in its one step and resumes from the coarse phase.
  const previousCheck = crossedAt - HP.evalEvery;
  const firstSave = (Math.floor(previousCheck / HP.checkpointEvery) + 1) * HP.checkpointEvery;
  const midReplay = firstSave - previousCheck + 1 <= replay ? crossedAt + firstSave - previousCheck + 1 : undefined;
  t.diagnostic(`crossed at ${crossedAt}, replay of ${replay} steps: ${midReplay ? `killed mid-replay at step-run ${midReplay}` : 'too short to hold a checkpoint'}`);
  const killAt = [crossedAt - 3, midReplay ?? crossedAt + 1];
  for (const [i, n] of killAt.entries()) {
    const out = path.join(run.root, `rewind-kill-${i}`);
    let calls = 0;
    await assert.rejects(unlearn({ ...base, out, onStep: () => { if (++calls === n) throw new Error('simulated kill'); } }), /simulated kill/);
    const progress = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'progress.json'), 'utf8')) as { history: { rewind: { phase: string } } };
    assert.equal(progress.history.rewind.phase, i === 1 && midReplay ? 'fine' : 'coarse', 'killed between coarse checks, then in the replay');
    const resumed = await unlearn({ ...base, out, resume: true });
    assert.ok(resumed.resumed_from !== undefined);
    assert.deepEqual(weights(out), weights(a), `killed at step-run ${n}: the same weights`);
    assert.deepEqual(resumed.checks, full.checks, 'the same checks');
    assert.deepEqual(resumed.chosen_check, full.chosen_check);
    assert.deepEqual(resumed.losses, full.losses);
    assert.equal(resumed.steps_run, full.steps_run);
  }
});

test('a replay from step 0 retraces the first pass: its checks are those of a run that checks every step', async (t) => {
  const { run, base } = await setup();
  // One coarse check after step 0, so the crossing is refined from the step-0 snapshot, taken
  // before the optimiser had any state (the case where stale moments once leaked into the replay).
  const coarse = await unlearn({ ...base, hp: { ...HP, evalEvery: HP.steps, tolerance: 0 }, out: path.join(run.root, 'replay-from-0') });
  const everyStep = await unlearn({ ...base, hp: { ...HP, evalEvery: 1, tolerance: 0 }, out: path.join(run.root, 'check-every-step') });
  const fine = coarse.checks!.filter((c) => c.fine);
  t.diagnostic(`replayed ${fine.map((c) => `${c.step}:${c.forget_accuracy.toFixed(3)}`).join(' ')}; every step ${everyStep.checks!.map((c) => `${c.step}:${c.forget_accuracy.toFixed(3)}`).join(' ')}`);
  assert.ok(fine.length > 0 && fine[0]!.step === 1, 'the replay starts from step 0');
  const byStep = new Map(everyStep.checks!.map((c) => [c.step, c]));
  const shared = fine.filter((c) => byStep.has(c.step));
  assert.ok(shared.length >= 2, 'the two runs share replayed steps');
  for (const c of shared) assert.equal(c.forget_accuracy, byStep.get(c.step)!.forget_accuracy, `step ${c.step}: the same forget accuracy`);
  assert.deepEqual(coarse.losses!.filter((l) => l.step < shared.at(-1)!.step), everyStep.losses!.filter((l) => l.step < shared.at(-1)!.step), 'the same losses step for step');
});

test('a replay that crosses early (a dip in the first steps) still returns the coarse crossing when that is closer, also after a kill mid-replay', async (t) => {
  const { run, forget } = await setup();
  // A method whose states are set by hand: after step k the head's weight is the original's plus
  // SHIFT[k] times a fixed rank-one direction (rows flip one by one as it grows; the learning rate
  // is too small to matter). State after step 1: a deep dip past the target; back to the original
  // for steps 2-4; after step 4 (checked at 5): just past the target.
  const hp = { lr: 1e-12, steps: 10, evalEvery: 5, checkpointEvery: 1, forgetBatch: 8, retainBatch: 8, tolerance: 0.01 };
  const headOf = (m: unknown) => (m as SequenceClassifier).outputLayer.weight;
  const direction = (w: Tensor) => {
    const [classes, hidden] = w.shape as [number, number];
    return tensor(Array.from({ length: classes }, (_, c) => Array.from({ length: hidden }, (_, j) => (c === 0 ? 1 : -1) * Math.sin(j + 1))));
  };
  const setHead = (m: unknown, w0: Tensor, gamma: number) => noGrad(() => { headOf(m).copy_(w0.add(direction(w0).mul(gamma))); });
  const { model: probe, tokenizer } = loadPretrained(run.original);
  const w0 = headOf(probe).clone();
  const forgetRows = splitOf(run.dataset, 'train').filter((e) => forget.ids.includes(e.id));
  const sample = stopForgetSample(forgetRows, resolveHyperparameters(getMethod('finetune'), hp), 2);
  const accAt = (gamma: number) => { setHead(probe, w0, gamma); return predict(probe as SequenceClassifier, tokenizer!, sample, { maxLength: 48, batchSize: 32 }).accuracy; };
  const SHIFT: number[] = Array.from({ length: 10 }, () => 0);
  const method: LossMethod<MethodState & { w0: Tensor }> = {
    kind: 'loss', name: 'test-dip', description: 'states set by hand', uses: { forget: false, retain: true }, hyperparameters: {},
    setup: ({ model }) => { const w = keep(headOf(model).clone()); return { w0: w, dispose: () => w.dispose() }; },
    loss: ({ model, encode }, _forget, retain) => {
      const ce = forwardForgetAndRetain(model, encode, [], retain).retainCe;
      return { total: ce.mul(0), parts: { retain: ce } };
    },
    afterBackward: ({ model, step, state }) => setHead(model, state.w0, SHIFT[step]!),
  };
  registerMethod(method as unknown as LossMethod<MethodState>);
  const base = { modelDir: run.original, dataset: run.dataset, forget, method: 'test-dip', seed: 2, hp, stop: 'class-matched' as const };
  const first = await unlearn({ ...base, hp: { ...hp, steps: 0 }, out: path.join(run.root, 'dip-target') });
  const target = first.target!.accuracy;
  const original = accAt(0);
  // The first rows flip just past some gamma < 0: bisect for the smallest shift past the target by 2 points.
  let lo = 0;
  let hi = -10;
  const far = { g: hi, acc: accAt(hi) };
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (accAt(mid) <= target - 0.02) hi = mid;
    else lo = mid;
  }
  const near = { g: hi, acc: accAt(hi) };
  t.diagnostic(`target ${target.toFixed(3)}; original ${original.toFixed(3)}, near ${near.g.toFixed(4)}:${near.acc.toFixed(3)}, far ${far.g}:${far.acc.toFixed(3)}`);
  assert.ok(far.acc < target - 0.2 && original - target > target - near.acc, 'the perturbation spans the target, with a crossing closer than the original');
  probe.dispose();
  SHIFT[1] = far.g;
  SHIFT[4] = near.g;
  const out = path.join(run.root, 'dip');
  const r = await unlearn({ ...base, out });
  t.diagnostic(`checks ${r.checks!.map((c) => `${c.step}${c.fine ? 'f' : ''}:${c.forget_accuracy.toFixed(2)}`).join(' ')}; chosen ${r.chosen_check!.step}`);
  assert.deepEqual(r.checks!.map((c) => [c.step, Boolean(c.fine)]), [[0, false], [5, false], [1, true], [2, true]], 'crossing at 5, replay from 0, first crossing of the replay at 2');
  assert.equal(r.chosen_check!.step, 5, 'the coarse crossing is closer than the replay\'s dip');
  assert.equal(r.steps, 5);
  assert.deepEqual(r.losses!.map((l) => l.step), [0, 1, 2, 3, 4], 'the record shows the returned trajectory\'s steps');
  assert.equal(r.rewind!.crossed_at, 5, 'the replay started from the crossing at 5');
  assert.ok(!('crossing_losses' in r.rewind!), 'resume state stays out of the record');
  const { model: returned } = loadPretrained(out);
  const got = Array.from(headOf(returned).toArray() as Float32Array);
  returned.dispose();
  const want = Array.from(w0.add(direction(w0).mul(near.g)).toArray() as Float32Array);
  assert.ok(got.every((v, i) => Math.abs(v - want[i]!) < 1e-5), 'the returned folder holds the step-5 state');
  // Killed in the replay's second step: resumed in the fine phase with the crossing's weights kept.
  const killed = path.join(run.root, 'dip-kill');
  let calls = 0;
  await assert.rejects(unlearn({ ...base, out: killed, onStep: () => { if (++calls === 7) throw new Error('simulated kill'); } }), /simulated kill/);
  const progress = JSON.parse(fs.readFileSync(path.join(killed, 'checkpoint', 'progress.json'), 'utf8')) as { history: { rewind: { phase: string } } };
  assert.equal(progress.history.rewind.phase, 'fine');
  const resumed = await unlearn({ ...base, out: killed, resume: true });
  assert.deepEqual(weights(killed), weights(out));
  assert.deepEqual(resumed.chosen_check, r.chosen_check);
  assert.deepEqual(resumed.losses, r.losses);
});
