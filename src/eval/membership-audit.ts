/**
 * Per-example membership audits with reference models (offline: the references never trained on
 * the audited row). Pure statistics; src/eval/audit-run.ts scores the models.
 *
 * A population attack (src/eval/mia.ts) asks whether forget rows *as a group* look like test
 * rows. A per-example attack asks, row by row, whether this model is more confident on the row
 * than models that never saw it are: a row that is simply easy (or hard) for every model gets no
 * credit. Hayes et al. (2024) show such attacks expose unlearning that population attacks miss.
 *
 * - Offline LiRA (Carlini et al., S&P 2022): the logit-scaled true-class confidence
 *   φ = z_y − logsumexp_{c≠y} z_c of the references that never saw x fit a Gaussian N(μ_x, σ²);
 *   the score is (φ_target − μ_x) / σ, the one-sided test's z (Φ of it is the paper's Λ; the z
 *   keeps its order without saturating at 1). σ is pooled over rows ("fixed variance", the
 *   paper's choice for few reference models): with 3 references a per-row σ is noise.
 * - Offline RMIA (Zarifzadeh et al., ICML 2024): LR(x) = Pr(x|θ) / Pr(x) with Pr(x|θ) the
 *   true-class probability and Pr(x) = ½((1 + a)·mean_OUT Pr(x|θ_ref) + (1 − a)), the offline
 *   stand-in for the IN/OUT average (a = 0.3 as in privacy-meter); the score is the share of
 *   population rows z (non-members, not audited) with LR(x) / LR(z) ≥ γ.
 *
 * Scores are "higher = more likely a member". attackSummary reports AUC and TPR at fixed FPRs
 * of members (forget rows) against non-members (test rows).
 */
import { aucFromGroups } from './auc';

export const AUDIT_ATTACKS = ['rmia', 'lira'] as const;
export type AuditAttack = (typeof AUDIT_ATTACKS)[number];
/** How the attacks are written in logs and tables. */
export const AUDIT_ATTACK_NAMES: Readonly<Record<AuditAttack, string>> = { rmia: 'RMIA', lira: 'LiRA' };

/** One group of rows as an attack sees it: the target's signal and, per row, its OUT references'. */
export interface AuditSignal {
  /** Per row: the audited model's value. */
  target: ArrayLike<number>;
  /** Per row: the values of the references that never saw the row (at least one each). */
  references: readonly (readonly number[])[];
}

/** log p(true class) per row of n × C logits: z_y − logsumexp(z). */
export function trueClassLogProb(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): Float64Array {
  return perRow(logits, labels, numClasses, (z, y) => z[y]! - logSumExp(z, -1));
}

/** LiRA's logit-scaled confidence per row: z_y − logsumexp_{c≠y}(z_c) = log(p / (1 − p)), computed without forming 1 − p. */
export function logitScaledConfidence(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): Float64Array {
  if (numClasses < 2) throw new RangeError('the logit-scaled confidence needs at least 2 classes');
  return perRow(logits, labels, numClasses, (z, y) => z[y]! - logSumExp(z, y));
}

function perRow(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, f: (row: number[], label: number) => number): Float64Array {
  const n = labels.length;
  if (logits.length !== n * numClasses) throw new RangeError(`logits have ${logits.length} values, expected ${n} rows × ${numClasses} classes`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: numClasses }, (_, c) => logits[i * numClasses + c] as number);
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new RangeError(`labels[${i}] = ${y} is not a class index in [0, ${numClasses})`);
    out[i] = f(row, y);
  }
  return out;
}

/** logsumexp of `row` without entry `skip` (−1: none). */
function logSumExp(row: readonly number[], skip: number): number {
  let max = -Infinity;
  row.forEach((v, c) => c !== skip && v > max && (max = v));
  if (!Number.isFinite(max)) throw new RangeError(`logits row has a non-finite maximum (${max})`);
  let sum = 0;
  row.forEach((v, c) => c !== skip && (sum += Math.exp(v - max)));
  return max + Math.log(sum);
}

function checkSignal(s: AuditSignal, name: string): void {
  if (s.references.length !== s.target.length) throw new RangeError(`${name}: ${s.target.length} target values but ${s.references.length} reference lists`);
  s.references.forEach((refs, i) => {
    if (refs.length === 0) throw new RangeError(`${name}: row ${i} has no reference model that never saw it`);
    if (Number.isNaN(s.target[i] as number) || refs.some(Number.isNaN)) throw new RangeError(`${name}: row ${i} has a NaN signal`);
  });
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The pooled within-row standard deviation of the references' φ (rows with ≥ 2 references);
 * with one reference per row, the spread of φ over rows. Never 0 (floored at 1e-6): a constant
 * signal then still ranks by φ_target − μ_x.
 */
export function pooledReferenceStd(groups: readonly AuditSignal[]): number {
  let squares = 0;
  let dof = 0;
  for (const g of groups) for (const refs of g.references) {
    if (refs.length < 2) continue;
    const m = mean(refs);
    squares += refs.reduce((a, v) => a + (v - m) ** 2, 0);
    dof += refs.length - 1;
  }
  if (dof === 0) {
    const all = groups.flatMap((g) => g.references.map((r) => r[0]!));
    const m = mean(all);
    squares = all.reduce((a, v) => a + (v - m) ** 2, 0);
    dof = Math.max(1, all.length - 1);
  }
  return Math.max(1e-6, Math.sqrt(squares / dof));
}

/** Offline LiRA z-scores of each group's rows (φ signals), σ pooled over all groups given. */
export function liraOfflineScores(groups: readonly AuditSignal[]): { scores: Float64Array[]; std: number } {
  groups.forEach((g, i) => checkSignal(g, `LiRA group ${i}`));
  const std = pooledReferenceStd(groups);
  const scores = groups.map((g) => Float64Array.from(g.references, (refs, i) => ((g.target[i] as number) - mean(refs)) / std));
  return { scores, std };
}

export interface RmiaOptions {
  /** Offline correction of Pr(x) (default 0.3; 1 = the plain OUT average). */
  a?: number;
  /** Likelihood-ratio threshold against population rows (default 1). */
  gamma?: number;
}

/** privacy-meter's offline a; γ = 1 (the score is then the population rank of LR(x)). */
export const RMIA_DEFAULTS = { a: 0.3, gamma: 1 } as const;

/** log LR(x) = log Pr(x|θ) − log Pr(x) per row (log-probability signals). */
function logLikelihoodRatios(s: AuditSignal, a: number): Float64Array {
  return Float64Array.from(s.references, (refs, i) => {
    const pOut = mean(refs.map(Math.exp));
    return (s.target[i] as number) - Math.log(0.5 * ((1 + a) * pOut + (1 - a)));
  });
}

/**
 * Offline RMIA scores in [0, 1] of each group's rows (log-probability signals): the share of the
 * population's rows z with LR(x) / LR(z) ≥ γ.
 */
export function rmiaOfflineScores(groups: readonly AuditSignal[], population: AuditSignal, options: RmiaOptions = {}): Float64Array[] {
  const { a = RMIA_DEFAULTS.a, gamma = RMIA_DEFAULTS.gamma } = options;
  if (!(a > 0 && a <= 1)) throw new RangeError(`RMIA's offline a must be in (0, 1], got ${a}`);
  if (!(gamma > 0)) throw new RangeError(`RMIA's gamma must be positive, got ${gamma}`);
  checkSignal(population, 'RMIA population');
  if (population.target.length === 0) throw new RangeError('RMIA needs at least one population row');
  groups.forEach((g, i) => checkSignal(g, `RMIA group ${i}`));
  const sorted = Float64Array.from(logLikelihoodRatios(population, a)).sort();
  const logGamma = Math.log(gamma);
  // LR(x)/LR(z) ≥ γ ⇔ log LR(z) ≤ log LR(x) − log γ: count the population at or below that.
  const atOrBelow = (v: number): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return groups.map((g) => Float64Array.from(logLikelihoodRatios(g, a), (lr) => atOrBelow(lr - logGamma) / sorted.length));
}

/**
 * The largest TPR at a threshold whose FPR is at most `fpr`: members scoring strictly above the
 * (⌊fpr·n⌋ + 1)-th highest non-member score (ties with it are not counted). With n non-members
 * an FPR below 1/n means "above every non-member".
 */
export function tprAtFpr(memberScores: ArrayLike<number>, nonMemberScores: ArrayLike<number>, fpr: number): number {
  if (memberScores.length === 0 || nonMemberScores.length === 0) return NaN;
  if (!(fpr >= 0 && fpr <= 1)) throw new RangeError(`fpr must be in [0, 1], got ${fpr}`);
  const negatives = Float64Array.from(nonMemberScores).sort().reverse();
  const allowed = Math.floor(fpr * negatives.length + 1e-9);
  if (allowed >= negatives.length) return 1;
  const bar = negatives[allowed]!;
  let above = 0;
  for (let i = 0; i < memberScores.length; i++) if ((memberScores[i] as number) > bar) above++;
  return above / memberScores.length;
}

export interface AttackSummary {
  /** Members (forget rows) as positives against non-members (test rows); 0.5 = cannot tell. */
  auc: number;
  tpr_at_1pct_fpr: number;
  tpr_at_0_1pct_fpr: number;
  members: number;
  non_members: number;
  /** The smallest non-zero FPR these non-members can show (1 / their count): TPRs at lower FPRs mean "above every non-member". */
  fpr_resolution: number;
}

/** metrics.json's `audit`: one summary per attack run. */
export type AuditMetrics = Partial<Record<AuditAttack, AttackSummary>>;

export function attackSummary(memberScores: ArrayLike<number>, nonMemberScores: ArrayLike<number>): AttackSummary {
  return {
    auc: aucFromGroups(memberScores, nonMemberScores),
    tpr_at_1pct_fpr: tprAtFpr(memberScores, nonMemberScores, 0.01),
    tpr_at_0_1pct_fpr: tprAtFpr(memberScores, nonMemberScores, 0.001),
    members: memberScores.length,
    non_members: nonMemberScores.length,
    fpr_resolution: nonMemberScores.length > 0 ? 1 / nonMemberScores.length : NaN,
  };
}
