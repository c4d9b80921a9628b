import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossValidatedMia, effectiveFolds, gaussian, lossMiaAuc, miaByFeature, miaEfficacy, mulberry32 } from '../src/eval';

function normalSample(count: number, mean: number, std: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length: count }, () => gaussian(random, mean, std));
}

test('MIA AUC ≈ 0.5 when members and non-members come from one distribution', () => {
  for (const seed of [1, 2, 3]) {
    const result = lossMiaAuc({
      memberScores: normalSample(1000, 1, 0.5, 100 + seed),
      nonMemberScores: normalSample(1000, 1, 0.5, 200 + seed),
      seed,
    });
    assert.equal(result.folds, 5);
    assert.ok(Math.abs(result.auc - 0.5) < 0.07, `seed ${seed}: auc ${result.auc}`);
    assert.ok(Math.abs(result.accuracy - 0.5) < 0.07, `seed ${seed}: accuracy ${result.accuracy}`);
  }
});

test('MIA AUC ≈ 1 on separable losses (members have lower loss)', () => {
  const result = lossMiaAuc({
    memberScores: normalSample(500, 0.05, 0.02, 1),
    nonMemberScores: normalSample(800, 1.5, 0.3, 2),
  });
  assert.ok(result.auc > 0.97, `auc ${result.auc}`);
  assert.ok(result.accuracy > 0.95);
  assert.equal(result.samplesPerGroup, 500); // the larger group was subsampled
  assert.equal(result.nonMemberCount, 800);
});

test('MIA works on several features per sample, and per named feature', () => {
  const random = mulberry32(5);
  const member = Array.from({ length: 300 }, () => [gaussian(random, 0.1, 0.05), gaussian(random)]);
  const nonMember = Array.from({ length: 300 }, () => [gaussian(random, 1, 0.3), gaussian(random)]);
  assert.ok(crossValidatedMia({ memberScores: member, nonMemberScores: nonMember }).auc > 0.97);
  const byFeature = miaByFeature({
    members: { loss: member.map((r) => r[0]!), entropy: member.map((r) => r[1]!) },
    nonMembers: { loss: nonMember.map((r) => r[0]!), entropy: nonMember.map((r) => r[1]!) },
  });
  assert.deepEqual(Object.keys(byFeature).sort(), ['entropy_accuracy', 'entropy_auc', 'loss_accuracy', 'loss_auc']);
  assert.ok(byFeature.loss_auc! > 0.97);
  assert.ok(Math.abs(byFeature.entropy_auc! - 0.5) < 0.12);
});

test('MIA is deterministic for a seed', () => {
  const options = { memberScores: normalSample(200, 0, 1, 9), nonMemberScores: normalSample(300, 0.3, 1, 10), seed: 4 };
  assert.deepEqual(lossMiaAuc(options), lossMiaAuc(options));
});

test('tiny groups: folds shrink; a single member gives NaN with a reason', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 9, 10, 1000].map((m) => effectiveFolds(m, 5)), [0, 2, 2, 2, 2, 3, 4, 5, 5]);
  const one = lossMiaAuc({ memberScores: [0.01], nonMemberScores: normalSample(100, 1, 0.3, 3) });
  assert.ok(Number.isNaN(one.auc) && Number.isNaN(one.accuracy));
  assert.equal(one.folds, 0);
  assert.match(one.reason ?? '', /at least 2 samples/);
  const three = lossMiaAuc({ memberScores: [0.01, 0.02, 0.03], nonMemberScores: normalSample(100, 1, 0.3, 3) });
  assert.equal(three.folds, 2);
  assert.equal(three.samplesPerGroup, 3);
  assert.equal(three.auc, 1); // well separated even with 1–2 training samples per group
  assert.ok(Number.isNaN(lossMiaAuc({ memberScores: [], nonMemberScores: [1, 2] }).auc));
});

test('MIA efficacy ≈ 1 when forget looks like test, ≈ 0 when it looks like retain', () => {
  const retainFeatures = normalSample(2000, 0.05, 0.03, 11); // low loss: trained on
  const testFeatures = normalSample(500, 0.9, 0.3, 12); // high loss: unseen
  const forgotten = miaEfficacy({ retainFeatures, testFeatures, forgetFeatures: normalSample(200, 0.9, 0.3, 13) });
  assert.ok(forgotten.efficacy > 0.95, `efficacy ${forgotten.efficacy}`);
  assert.equal(forgotten.trainPerGroup, 500);
  const remembered = miaEfficacy({ retainFeatures, testFeatures, forgetFeatures: normalSample(200, 0.05, 0.03, 14) });
  assert.ok(remembered.efficacy < 0.05, `efficacy ${remembered.efficacy}`);
});

test('MIA efficacy on tiny or empty forget sets', () => {
  const retainFeatures = normalSample(100, 0.05, 0.03, 21);
  const testFeatures = normalSample(100, 0.9, 0.3, 22);
  const single = miaEfficacy({ retainFeatures, testFeatures, forgetFeatures: [1.2] });
  assert.equal(single.efficacy, 1);
  assert.equal(single.memberProbability.length, 1);
  const empty = miaEfficacy({ retainFeatures, testFeatures, forgetFeatures: [] });
  assert.ok(Number.isNaN(empty.efficacy));
  assert.match(empty.reason ?? '', /empty/);
  assert.ok(Number.isNaN(miaEfficacy({ retainFeatures: [], testFeatures, forgetFeatures: [1] }).efficacy));
});
