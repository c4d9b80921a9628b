// The cheap target (SCRUB+R style): what the input model does on held-out rows of the forget
// set's classes, weighted by the forget set's class mix. A forget set of one class is compared
// with held-out rows of that class only, not with the whole validation split. Everything here
// counts units, the labels a ScoredSample scores: a text's class, or a tagged word's tag (so a
// tagger's target is held-out word accuracy weighted by the forget words' tag mix).
import type { SampleScores } from '../scored-sample';
import type { StopTarget } from '../stopping';

/** Accuracy and mean loss per class on held-out rows (NaN-free: classes without rows are listed in `missing`). */
export interface ClassRates {
  accuracy: number[];
  loss: number[];
  count: number[];
  /** The pooled accuracy and loss over every row: the fallback for a class without held-out rows. */
  pooled: { accuracy: number; loss: number };
}

/** Rates of held-out units with labels `labels` (one per outcome in `scores`). */
export function ratesByClass(labels: readonly number[], scores: SampleScores, numClasses: number): ClassRates {
  if (labels.length === 0) throw new Error('the class-matched target needs held-out rows, and there are none');
  if (labels.length !== scores.correct.length) throw new Error(`ratesByClass: ${labels.length} labels for ${scores.correct.length} scored units`);
  const count = new Array<number>(numClasses).fill(0);
  const right = new Array<number>(numClasses).fill(0);
  const lossSum = new Array<number>(numClasses).fill(0);
  labels.forEach((label, i) => {
    count[label]! += 1;
    if (scores.correct[i]) right[label]! += 1;
    lossSum[label]! += scores.loss[i]!;
  });
  return {
    count,
    accuracy: count.map((n, c) => (n > 0 ? right[c]! / n : scores.accuracy)),
    loss: count.map((n, c) => (n > 0 ? lossSum[c]! / n : scores.meanLoss)),
    pooled: { accuracy: scores.accuracy, loss: scores.meanLoss },
  };
}

/** Classes of the forget units (`forget`: their labels) with no held-out unit (they fall back to the pooled rate). */
export function classesWithoutHeldout(forget: readonly number[], rates: ClassRates): number[] {
  return [...new Set(forget)].filter((c) => rates.count[c] === 0).sort((a, b) => a - b);
}

/** The held-out accuracy and loss re-weighted to the class mix of the forget units (`forget`: their labels). */
export function classMatched(forget: readonly number[], rates: ClassRates): { accuracy: number; loss: number } {
  if (forget.length === 0) throw new Error('the class-matched target needs at least one forget row');
  let accuracy = 0;
  let loss = 0;
  for (const label of forget) {
    accuracy += rates.accuracy[label]!;
    loss += rates.loss[label]!;
  }
  return { accuracy: accuracy / forget.length, loss: loss / forget.length };
}

/** `forget`: the labels of the forget units; `tagged`: they are words' tags (said so in the source line). */
export function classMatchedTarget(forget: readonly number[], modelRates: ClassRates, labels: readonly string[], tagged = false): StopTarget {
  const matched = classMatched(forget, modelRates);
  const missing = classesWithoutHeldout(forget, modelRates);
  const mix: Record<string, number> = {};
  for (const label of forget) mix[labels[label]!] = (mix[labels[label]!] ?? 0) + 1;
  return {
    rule: 'class-matched',
    accuracy: matched.accuracy,
    loss: matched.loss,
    source: tagged
      ? `the input model's validation word accuracy on the forget sample's tag mix (${forget.length} words: ${Object.entries(mix).map(([l, n]) => `${l} ${n}`).join(', ')})`
      : `the input model's validation accuracy on the forget sample's class mix (${Object.entries(mix).map(([l, n]) => `${l} ${n}`).join(', ')})`,
    estimate: {
      forget_class_mix: mix,
      heldout_by_class: Object.fromEntries(labels.map((l, c) => [l, { count: modelRates.count[c], accuracy: modelRates.count[c]! > 0 ? modelRates.accuracy[c] : null }])),
      heldout_pooled_accuracy: modelRates.pooled.accuracy,
    },
    ...(missing.length > 0 ? { notes: [classFallbackNote(missing, labels)] } : {}),
  };
}

export function classFallbackNote(missing: readonly number[], labels: readonly string[]): string {
  return `no validation rows of class ${missing.map((c) => `'${labels[c]}'`).join(', ')}: its forget units are compared with the pooled validation accuracy`;
}
