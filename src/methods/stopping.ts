// The stopping rules: unlearning is done when the forget set looks like data the model never
// saw. The population rules (accuracy, loss) compare with the validation split, which the model
// never trained on, and keep the first check past it. The target rules (class-matched,
// references) estimate, per request, the forget accuracy a model retrained without the forget
// set would have (./target/), and return the check closest to it (rewind, ./loop.ts).
import type { ScoredSample } from './scored-sample';
import type { Classifier } from './types';

export const POPULATION_RULES = ['accuracy', 'loss', 'none'] as const;
export const TARGET_RULES = ['class-matched', 'references'] as const;
export const STOP_RULES = [...POPULATION_RULES, ...TARGET_RULES] as const;
export type StopRule = (typeof STOP_RULES)[number];
export type TargetRule = (typeof TARGET_RULES)[number];

export function isTargetRule(rule: StopRule): rule is TargetRule {
  return (TARGET_RULES as readonly string[]).includes(rule);
}

export const STOP_RULE_HELP: Record<StopRule, string> = {
  accuracy: 'stop once forget accuracy <= validation accuracy (the paper\'s rule; first check past it)',
  loss: 'stop once the mean forget loss >= the mean validation loss (finer-grained when both accuracies are ~100%)',
  none: 'run the whole step budget',
  'class-matched': 'target = the input model\'s validation accuracy on the forget set\'s class mix; return the check closest to it (rewind)',
  references: 'target from reference models that never saw the forget set\'s subjects (--references DIR, from deepcut references); rewind',
};

export interface StopCheck {
  step: number;
  forgetAccuracy: number;
  forgetLoss: number;
  /**
   * The held-out sample's accuracy and loss. Target rules give it at step 0 only, from the
   * estimator's scores of the whole validation split: their decision does not use it, and
   * skipping it halves the cost of every later check.
   */
  heldoutAccuracy?: number;
  heldoutLoss?: number;
  /** Whether the rule says the forget set now looks unseen (target rules: forget accuracy <= target). */
  unseen: boolean;
  /** Target rules: |forget accuracy − target accuracy|. */
  distance?: number;
  /** Target rules: a check replayed one step at a time after a coarse check crossed the target. */
  fine?: boolean;
  /**
   * Target rules with bisect > 0: the state checked is `from`'s weights + alpha × (`to`'s −
   * `from`'s), two coarse checks' states; its `step` is from + alpha × (to − from).
   */
  blend?: { from: number; to: number; alpha: number };
}

/** What a target rule aims at (./target/ estimates it before the first step). */
export interface StopTarget {
  rule: TargetRule;
  /** The forget accuracy a model that never saw the forget set is estimated to have, in [0, 1]. */
  accuracy: number;
  /** Its mean forget loss (breaks ties between checks of equal accuracy distance). */
  loss: number;
  /** Where the target came from, in words (recorded in unlearn.json). */
  source: string;
  /** The estimator's inputs and intermediate numbers (recorded in unlearn.json). */
  estimate: Record<string, unknown>;
  notes?: string[];
  /**
   * The input model's accuracy and mean loss on the whole validation split, which the estimator
   * scored anyway: the step-0 check reports these instead of scoring a held-out sample again.
   */
  inputHeldout?: { accuracy: number; meanLoss: number };
}

export function checkStop(
  model: Classifier, forget: ScoredSample, heldout: ScoredSample, rule: StopRule, step: number, target?: StopTarget,
  prepare?: Parameters<ScoredSample['score']>[1],
): StopCheck {
  const f = forget.score(model, prepare);
  if (isTargetRule(rule)) {
    if (!target) throw new Error(`the '${rule}' stopping rule needs a target (estimate it with ./target before the loop)`);
    const h = step === 0 ? (target.inputHeldout ?? heldout.score(model, prepare)) : undefined;
    return {
      step, forgetAccuracy: f.accuracy, forgetLoss: f.meanLoss, ...(h ? { heldoutAccuracy: h.accuracy, heldoutLoss: h.meanLoss } : {}),
      unseen: f.accuracy <= target.accuracy, distance: Math.abs(f.accuracy - target.accuracy),
    };
  }
  const h = heldout.score(model, prepare);
  const base = { step, forgetAccuracy: f.accuracy, heldoutAccuracy: h.accuracy, forgetLoss: f.meanLoss, heldoutLoss: h.meanLoss };
  const unseen = rule === 'accuracy' ? f.accuracy <= h.accuracy : rule === 'loss' ? f.meanLoss >= h.meanLoss : false;
  return { ...base, unseen };
}

/**
 * Whether check a is closer to the target than check b: accuracy distance first, then loss
 * distance (accuracy moves in steps of 1/|forget sample|, so ties are common), then the earlier
 * step (fewer updates, less collateral change).
 */
export function closerToTarget(a: StopCheck, b: StopCheck, target: StopTarget): boolean {
  const da = Math.abs(a.forgetAccuracy - target.accuracy);
  const db = Math.abs(b.forgetAccuracy - target.accuracy);
  if (da !== db) return da < db;
  const la = Math.abs(a.forgetLoss - target.loss);
  const lb = Math.abs(b.forgetLoss - target.loss);
  if (la !== lb) return la < lb;
  return a.step < b.step;
}

/** The fixed floor of the automatic tolerance (one accuracy point). */
export const MIN_AUTO_TOLERANCE = 0.01;

/**
 * How close to a target accuracy `t` a check on `units` scored forget units must be to end the
 * run. The target is an expected accuracy: a model retrained without the forget set lands on
 * these units about one binomial standard error, sqrt(t(1−t)/n), away from it itself, so chasing
 * the target closer than that buys nothing but more updates (on a 13-passage forget set at a 95%
 * target, one flipped passage is 7.7 points, and the retrained model kept all 13). `requested`:
 * -1 (or undefined) for that automatic tolerance, at least MIN_AUTO_TOLERANCE; otherwise the
 * distance given. Never below half an accuracy step (0.5/n), where no check can be closer.
 */
export function targetTolerance(t: number, units: number, requested: number | undefined): number {
  if (!(units > 0)) throw new Error(`a stopping tolerance needs scored forget units, got ${units}`);
  const halfStep = 0.5 / units + 1e-12;
  const chosen = requested === undefined || requested < 0 ? Math.max(MIN_AUTO_TOLERANCE, Math.sqrt(Math.max(0, t * (1 - t)) / units)) : requested;
  return Math.max(halfStep, chosen);
}
