// The per-example audit's statistics (offline LiRA, offline RMIA, TPR at fixed FPR) on cases
// whose answer is known, and how rows are assigned to reference models that never saw them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attackSummary, liraOfflineScores, logitScaledConfidence, rmiaOfflineScores, tprAtFpr, trueClassLogProb, type AuditSignal,
} from '../src/eval/membership-audit';
import { gaussian, mulberry32 } from '../src/eval/rng';
import { outReferencesFor, type AuditReferenceModel } from '../src/eval/audit-run';
import { checkRelearnSteps, relearnHalves } from '../src/eval/relearn-steps';
import type { Example } from '../src/data';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('logit-scaled confidence is log(p / (1 - p)) and stays finite where 1 - p underflows; log p of the true class', () => {
  const logits = [2, -1, 0.5, /* row 2 */ 0, 0, 0, /* row 3 */ 80, 0, -5];
  const labels = [0, 2, 0];
  const phi = logitScaledConfidence(logits, labels, 3);
  const logp = trueClassLogProb(logits, labels, 3);
  for (let i = 0; i < 2; i++) {
    const row = logits.slice(3 * i, 3 * i + 3);
    const z = row.reduce((a, v) => a + Math.exp(v), 0);
    const p = Math.exp(row[labels[i]!]!) / z;
    close(phi[i]!, Math.log(p / (1 - p)), 1e-12);
    close(logp[i]!, Math.log(p), 1e-12);
  }
  // p = 1 − e^-80 in float64 is 1: the ratio form would be Infinity, the logit form is ~80.
  close(phi[2]!, 80 - Math.log(1 + Math.exp(-5)), 1e-9);
  assert.throws(() => logitScaledConfidence([1, 2], [0, 1], 2), /2 rows × 2 classes/);
});

test('TPR at a fixed FPR: members strictly above the non-member at the allowed rank; below 1/n means above every non-member', () => {
  const nonMembers = Array.from({ length: 100 }, (_, i) => i); // 0..99
  const members = [99.5, 98.5, 97, 50, 120];
  // FPR 1%: one false positive allowed, so the bar is the 2nd highest non-member (98).
  assert.equal(tprAtFpr(members, nonMembers, 0.01), 3 / 5);
  // FPR 0.1% < 1/100: the bar is the highest non-member (99).
  assert.equal(tprAtFpr(members, nonMembers, 0.001), 2 / 5);
  // A tie with the bar does not count.
  assert.equal(tprAtFpr([99], nonMembers, 0.001), 0);
  assert.equal(tprAtFpr(members, nonMembers, 1), 1);
  assert.ok(Number.isNaN(tprAtFpr([], nonMembers, 0.01)));
});

/** n rows: per-row difficulty μ_x, references ~ N(μ_x, 1), the target = μ_x + shift + N(0, 1). */
function rows(n: number, shift: number, seed: number, refs = 3): AuditSignal {
  const random = mulberry32(seed);
  const target: number[] = [];
  const references: number[][] = [];
  for (let i = 0; i < n; i++) {
    const difficulty = gaussian(random, 0, 3);
    references.push(Array.from({ length: refs }, () => difficulty + gaussian(random)));
    target.push(difficulty + shift + gaussian(random));
  }
  return { target, references };
}

test('offline LiRA: AUC ~1 when the model is more confident on members than models that never saw them, ~0.5 when it is not', () => {
  const separable = liraOfflineScores([rows(500, 6, 1), rows(500, 0, 2)]);
  const s = attackSummary(separable.scores[0]!, separable.scores[1]!);
  assert.ok(s.auc > 0.99, `separable AUC ${s.auc}`);
  assert.ok(s.tpr_at_1pct_fpr > 0.9, `TPR@1% ${s.tpr_at_1pct_fpr}`);
  close(separable.std, 1, 0.1); // the pooled within-row spread of the references
  const same = liraOfflineScores([rows(2000, 0, 3), rows(2000, 0, 4)]);
  const n = attackSummary(same.scores[0]!, same.scores[1]!);
  assert.ok(Math.abs(n.auc - 0.5) < 0.04, `indistinguishable AUC ${n.auc}`);
  assert.ok(n.tpr_at_1pct_fpr < 0.05, `TPR@1% ${n.tpr_at_1pct_fpr}`);
  // Per-row difficulty is what the references remove: the raw target alone ranks worse.
  const raw = attackSummary(rows(500, 1.5, 5).target, rows(500, 0, 6).target).auc;
  const calibrated = liraOfflineScores([rows(500, 1.5, 5), rows(500, 0, 6)]);
  assert.ok(attackSummary(calibrated.scores[0]!, calibrated.scores[1]!).auc > raw + 0.1, 'reference calibration beats the raw confidence');
  assert.throws(() => liraOfflineScores([{ target: [0], references: [[]] }]), /row 0 has no reference model/);
});

/** Log-probability signals: members get a higher true-class probability from the target than from the references. */
function probabilityRows(n: number, boost: number, seed: number): AuditSignal {
  const random = mulberry32(seed);
  const target: number[] = [];
  const references: number[][] = [];
  for (let i = 0; i < n; i++) {
    const base = 1 / (1 + Math.exp(-gaussian(random, 1, 2)));
    const jitter = () => Math.min(0.999999, Math.max(1e-6, base + gaussian(random, 0, 0.02)));
    references.push([Math.log(jitter()), Math.log(jitter()), Math.log(jitter())]);
    target.push(Math.log(Math.min(0.999999, jitter() + boost * (1 - base))));
  }
  return { target, references };
}

test('offline RMIA: a hand-computed score, AUC ~1 on separable data and ~0.5 on indistinguishable data', () => {
  // Population LRs (a = 1: Pr(z) is the reference mean): 0.5/0.5 = 1, 0.2/0.4 = 0.5, 0.9/0.3 = 3.
  const population: AuditSignal = { target: [0.5, 0.2, 0.9].map(Math.log), references: [[0.5], [0.4], [0.3]].map((r) => r.map(Math.log)) };
  // x: LR 0.8/0.4 = 2 ≥ 1 and 0.5 → 2/3 of the population; y: LR 0.1/0.4 = 0.25 → none.
  const [scores] = rmiaOfflineScores([{ target: [0.8, 0.1].map(Math.log), references: [[0.4], [0.4]].map((r) => r.map(Math.log)) }], population, { a: 1 });
  close(scores![0]!, 2 / 3);
  close(scores![1]!, 0);
  // γ = 2: LR(x)/LR(z) ≥ 2 holds for z with LR 1 and 0.5.
  close(rmiaOfflineScores([{ target: [Math.log(0.8)], references: [[Math.log(0.4)]] }], population, { a: 1, gamma: 2 })[0]![0]!, 2 / 3);
  // The offline a: Pr(x) = ½((1 + a)·p_out + (1 − a)).
  const popA = rmiaOfflineScores([{ target: [Math.log(0.5)], references: [[Math.log(0.5)]] }], { target: [Math.log(0.65)], references: [[Math.log(0.5)]] }, { a: 0.3 })[0]![0]!;
  assert.equal(popA, 0, 'LR 0.5/0.675 is below the population row\'s 0.65/0.675');

  const population2 = probabilityRows(400, 0, 10);
  const [members, nonMembers] = rmiaOfflineScores([probabilityRows(400, 0.9, 11), probabilityRows(400, 0, 12)], population2);
  assert.ok(attackSummary(members!, nonMembers!).auc > 0.97, `separable RMIA AUC ${attackSummary(members!, nonMembers!).auc}`);
  const [a, b] = rmiaOfflineScores([probabilityRows(2000, 0, 13), probabilityRows(2000, 0, 14)], probabilityRows(1000, 0, 15));
  const auc = attackSummary(a!, b!).auc;
  assert.ok(Math.abs(auc - 0.5) < 0.04, `indistinguishable RMIA AUC ${auc}`);
  assert.throws(() => rmiaOfflineScores([], { target: [], references: [] }), /at least one population row/);
  assert.throws(() => rmiaOfflineScores([], population, { a: 0 }), /offline a must be in \(0, 1\]/);
});

test('each audited row is served by references that never saw it, equally many per row, spread over the references', () => {
  const refs: AuditReferenceModel[] = [0, 1, 2, 3].map((k) => ({ dir: `ref-${k}`, seen: new Set(Array.from({ length: 50 }, (_, i) => `r${k}-${i}`)) }));
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 50; i++) {
    const chosen = outReferencesFor(`r${k}-${i}`, refs, 3);
    assert.equal(chosen.length, 3);
    assert.ok(!chosen.includes(k), 'a reference that trained on the row never judges it');
    chosen.forEach((c) => counts[c]!++);
  }
  const test = Array.from({ length: 200 }, (_, i) => outReferencesFor(`test-${i}`, refs, 3));
  test.forEach((c) => { assert.equal(new Set(c).size, 3); c.forEach((r) => counts[r]!++); });
  for (const c of counts) assert.ok(c > 250 && c < 350, `reference load ${counts.join('/')}`);
  assert.deepEqual(outReferencesFor('test-7', refs, 3), outReferencesFor('test-7', refs, 3), 'deterministic');
});

test('relearning halves: disjoint, covering, seeded and independent of row order; step counts checked', () => {
  const rows = Array.from({ length: 9 }, (_, i) => ({ id: `f${i}`, text: '', label: 0, labelName: 'a', split: 'train' }) as Example);
  const { train, score } = relearnHalves(rows, 0);
  assert.equal(train.length, 5);
  assert.equal(score.length, 4);
  assert.deepEqual([...train, ...score].map((e) => e.id).sort(), rows.map((e) => e.id).sort());
  assert.deepEqual(relearnHalves([...rows].reverse(), 0).score.map((e) => e.id), score.map((e) => e.id));
  assert.notDeepEqual(relearnHalves(rows, 1).score.map((e) => e.id), score.map((e) => e.id));
  assert.throws(() => relearnHalves(rows.slice(0, 1), 0), /at least 2 forget rows/);
  assert.deepEqual(checkRelearnSteps([25, 5, 5, 10], 'x'), [5, 10, 25]);
  assert.throws(() => checkRelearnSteps([0], '--relearn 0'), /--relearn 0: step counts are positive integers/);
});
