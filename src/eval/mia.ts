/**
 * Membership-inference attacks (MIA) on per-sample features such as loss, confidence or entropy.
 *
 * Two measures, as in the unlearning literature:
 * - crossValidatedMia / lossMiaAuc: can a logistic-regression attacker tell members from
 *   non-members? Balanced groups, stratified k-fold, AUC of the pooled out-of-fold
 *   probabilities (sklearn's cross_val_predict followed by roc_auc_score). 0.5 = indistinguishable.
 * - miaEfficacy (SalUn / Unlearn-Sparse): train the attacker on retain (members) vs test
 *   (non-members), apply it to the forget set, report the share judged non-member.
 *
 * Small groups: with m = min(#members, #non-members) after balancing,
 * - folds actually used = clamp(floor(m / 2), 2, folds): every test fold then holds at least two
 *   samples of each group once m >= 4, and every training split at least half of each group;
 *   m = 2 or 3 gives 2 folds (each model trained on one or two samples per group — a very noisy
 *   estimate, but defined);
 * - m < 2 (e.g. a one-sample forget set): no split can train on a group while holding it out, so
 *   auc and accuracy are NaN and `reason` says why. For such sets use miaEfficacy, which trains on
 *   retain vs test and needs only one forget sample.
 */

import { aucFromGroups } from './auc';
import { type FeatureInput, type FeatureMatrix, selectRows, stackRows, toFeatureMatrix } from './features';
import { fitLogistic, predictProba } from './logistic';
import { mulberry32, permutation, type Random, sampleIndices } from './rng';

export interface CrossValidatedMiaOptions {
  /** Per-sample features of members (e.g. forget-set losses). */
  memberScores: FeatureInput;
  /** Per-sample features of non-members (e.g. test-set losses). */
  nonMemberScores: FeatureInput;
  /** Requested folds (default 5); reduced for small groups, see module comment. */
  folds?: number;
  /** Seed for subsampling and fold assignment (default 0). */
  seed?: number;
  /** L2 strength of the attacker (default 1, as sklearn's C = 1). */
  l2?: number;
}

export interface CrossValidatedMiaResult {
  /** AUC of out-of-fold member probabilities, members as positives; NaN when undefined. */
  auc: number;
  /** Accuracy of out-of-fold predictions at probability 0.5 on the balanced set; NaN when undefined. */
  accuracy: number;
  /** Folds actually used (0 when the attack could not run). */
  folds: number;
  /** Samples per group after balancing. */
  samplesPerGroup: number;
  memberCount: number;
  nonMemberCount: number;
  /** Why auc/accuracy are NaN, when they are. */
  reason?: string;
}

/** Indices of a balanced subsample: all of the group when it is the smaller one. */
function balancedIndices(groupSize: number, target: number, random: Random): number[] {
  return groupSize === target ? Array.from({ length: groupSize }, (_, i) => i) : sampleIndices(groupSize, target, random);
}

/** Folds used for m samples per group when `requested` were asked for (see module comment). */
export function effectiveFolds(samplesPerGroup: number, requested: number): number {
  if (samplesPerGroup < 2) return 0;
  return Math.max(2, Math.min(requested, Math.floor(samplesPerGroup / 2)));
}

/** Balanced, stratified k-fold cross-validated logistic-regression membership attack. */
export function crossValidatedMia(options: CrossValidatedMiaOptions): CrossValidatedMiaResult {
  const { folds: requestedFolds = 5, seed = 0, l2 = 1 } = options;
  if (!Number.isInteger(requestedFolds) || requestedFolds < 2) {
    throw new RangeError(`folds must be an integer >= 2, got ${requestedFolds}`);
  }
  const members = toFeatureMatrix(options.memberScores, 'memberScores');
  const nonMembers = toFeatureMatrix(options.nonMemberScores, 'nonMemberScores');
  if (members.rows > 0 && nonMembers.rows > 0 && members.dim !== nonMembers.dim) {
    throw new RangeError(`members have ${members.dim} features, non-members ${nonMembers.dim}`);
  }
  const m = Math.min(members.rows, nonMembers.rows);
  const base = { samplesPerGroup: m, memberCount: members.rows, nonMemberCount: nonMembers.rows };
  const folds = effectiveFolds(m, requestedFolds);
  if (folds === 0) {
    return {
      auc: NaN,
      accuracy: NaN,
      folds: 0,
      ...base,
      reason: `cross-validated MIA needs at least 2 samples in each group, got ${members.rows} members and ${nonMembers.rows} non-members (use miaEfficacy for tiny forget sets)`,
    };
  }

  const random = mulberry32(seed);
  const memberSample = selectRows(members, balancedIndices(members.rows, m, random));
  const nonMemberSample = selectRows(nonMembers, balancedIndices(nonMembers.rows, m, random));
  // Stratified: each group is shuffled and dealt round-robin into the folds, so every fold has
  // the same member/non-member mix (sizes differ by at most one).
  const memberFold = new Int32Array(m);
  const nonMemberFold = new Int32Array(m);
  permutation(m, random).forEach((row, position) => (memberFold[row] = position % folds));
  permutation(m, random).forEach((row, position) => (nonMemberFold[row] = position % folds));

  const memberProbability = new Float64Array(m);
  const nonMemberProbability = new Float64Array(m);
  const rowsWhere = (fold: Int32Array, predicate: (f: number) => boolean): number[] => {
    const out: number[] = [];
    fold.forEach((f, row) => predicate(f) && out.push(row));
    return out;
  };
  for (let k = 0; k < folds; k++) {
    const trainMembers = selectRows(memberSample, rowsWhere(memberFold, (f) => f !== k));
    const trainNonMembers = selectRows(nonMemberSample, rowsWhere(nonMemberFold, (f) => f !== k));
    const labels = new Float64Array(trainMembers.rows + trainNonMembers.rows);
    labels.fill(1, 0, trainMembers.rows);
    const model = fitLogistic(stackRows([trainMembers, trainNonMembers]), labels, { l2 });

    const testMemberRows = rowsWhere(memberFold, (f) => f === k);
    const testNonMemberRows = rowsWhere(nonMemberFold, (f) => f === k);
    predictProba(model, selectRows(memberSample, testMemberRows)).forEach((p, i) => (memberProbability[testMemberRows[i]!] = p));
    predictProba(model, selectRows(nonMemberSample, testNonMemberRows)).forEach(
      (p, i) => (nonMemberProbability[testNonMemberRows[i]!] = p),
    );
  }

  let correct = 0;
  memberProbability.forEach((p) => (correct += p >= 0.5 ? 1 : 0));
  nonMemberProbability.forEach((p) => (correct += p < 0.5 ? 1 : 0));
  return {
    auc: aucFromGroups(memberProbability, nonMemberProbability),
    accuracy: correct / (2 * m),
    folds,
    ...base,
  };
}

/**
 * The loss-based MIA of the NeurIPS 2023 unlearning challenge and SCRUB. Identical to
 * crossValidatedMia: pass per-sample losses (or confidences, entropies) as the scores.
 */
export const lossMiaAuc = crossValidatedMia;

/** Per-sample feature columns by name, e.g. { loss, confidence, entropy } from perSampleStats. */
export type NamedFeatures = Readonly<Record<string, ArrayLike<number>>>;

/**
 * Run crossValidatedMia once per named feature present in both groups; keys come back as
 * `${name}_auc` and `${name}_accuracy` (so `loss` gives mia.loss_auc). Same seed for every
 * feature, so all use the same subsample and folds.
 */
export function miaByFeature(options: {
  members: NamedFeatures;
  nonMembers: NamedFeatures;
  folds?: number;
  seed?: number;
  l2?: number;
}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(options.members).sort()) {
    const memberScores = options.members[name];
    const nonMemberScores = options.nonMembers[name];
    if (memberScores === undefined || nonMemberScores === undefined) continue;
    const result = crossValidatedMia({ ...options, memberScores, nonMemberScores });
    out[`${name}_auc`] = result.auc;
    out[`${name}_accuracy`] = result.accuracy;
  }
  return out;
}

export interface MiaEfficacyOptions {
  /** Attack-training members: features of retain samples. */
  retainFeatures: FeatureInput;
  /** Attack-training non-members: features of held-out test samples. */
  testFeatures: FeatureInput;
  /** Samples to judge: features of the forget set. */
  forgetFeatures: FeatureInput;
  /** Seed for balancing retain vs test (default 0). */
  seed?: number;
  /** L2 strength of the attacker (default 1). */
  l2?: number;
}

export interface MiaEfficacyResult {
  /** Share of forget samples the attacker calls non-member (P(member) < 0.5); NaN when undefined. */
  efficacy: number;
  /** The attacker's P(member) for every forget sample, in input order. */
  memberProbability: Float64Array;
  /** Retain and test samples per group used to train the attacker (after balancing). */
  trainPerGroup: number;
  forgetCount: number;
  reason?: string;
}

/** SalUn-style MIA efficacy: higher means the forget set looks more like unseen data. */
export function miaEfficacy(options: MiaEfficacyOptions): MiaEfficacyResult {
  const { seed = 0, l2 = 1 } = options;
  const retain = toFeatureMatrix(options.retainFeatures, 'retainFeatures');
  const test = toFeatureMatrix(options.testFeatures, 'testFeatures');
  const forget = toFeatureMatrix(options.forgetFeatures, 'forgetFeatures');
  const m = Math.min(retain.rows, test.rows);
  const undefinedResult = (reason: string): MiaEfficacyResult => ({
    efficacy: NaN,
    memberProbability: new Float64Array(forget.rows).fill(NaN),
    trainPerGroup: m,
    forgetCount: forget.rows,
    reason,
  });
  if (m === 0) return undefinedResult('MIA efficacy needs at least one retain and one test sample');
  if (forget.rows === 0) return undefinedResult('the forget set is empty');
  const dims = [retain, test, forget].map((f: FeatureMatrix) => f.dim);
  if (new Set(dims).size !== 1) throw new RangeError(`feature widths differ: retain/test/forget = ${dims.join('/')}`);

  const random = mulberry32(seed);
  const members = selectRows(retain, balancedIndices(retain.rows, m, random));
  const nonMembers = selectRows(test, balancedIndices(test.rows, m, random));
  const labels = new Float64Array(2 * m).fill(1, 0, m);
  const model = fitLogistic(stackRows([members, nonMembers]), labels, { l2 });
  const memberProbability = predictProba(model, forget);
  let judgedNonMember = 0;
  memberProbability.forEach((p) => (judgedNonMember += p < 0.5 ? 1 : 0));
  return { efficacy: judgedNonMember / forget.rows, memberProbability, trainPerGroup: m, forgetCount: forget.rows };
}
