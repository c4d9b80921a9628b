// The cheap target (SCRUB+R style): what the input model does on held-out rows of the forget
// set's classes, weighted by the forget set's class mix. A forget set of one class is compared
// with held-out rows of that class only, not with the whole validation split.
import type { Example } from '../../data';
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

export function ratesByClass(examples: readonly Example[], scores: SampleScores, numClasses: number): ClassRates {
  if (examples.length === 0) throw new Error('the class-matched target needs held-out rows, and there are none');
  const count = new Array<number>(numClasses).fill(0);
  const right = new Array<number>(numClasses).fill(0);
  const lossSum = new Array<number>(numClasses).fill(0);
  examples.forEach((e, i) => {
    count[e.label]! += 1;
    if (scores.correct[i]) right[e.label]! += 1;
    lossSum[e.label]! += scores.loss[i]!;
  });
  return {
    count,
    accuracy: count.map((n, c) => (n > 0 ? right[c]! / n : scores.accuracy)),
    loss: count.map((n, c) => (n > 0 ? lossSum[c]! / n : scores.meanLoss)),
    pooled: { accuracy: scores.accuracy, loss: scores.meanLoss },
  };
}

/** Classes of `forget` with no held-out row (their rows fall back to the pooled rate). */
export function classesWithoutHeldout(forget: readonly Example[], rates: ClassRates): number[] {
  return [...new Set(forget.map((e) => e.label))].filter((c) => rates.count[c] === 0).sort((a, b) => a - b);
}

/** The held-out accuracy and loss re-weighted to `forget`'s class mix. */
export function classMatched(forget: readonly Example[], rates: ClassRates): { accuracy: number; loss: number } {
  if (forget.length === 0) throw new Error('the class-matched target needs at least one forget row');
  let accuracy = 0;
  let loss = 0;
  for (const e of forget) {
    accuracy += rates.accuracy[e.label]!;
    loss += rates.loss[e.label]!;
  }
  return { accuracy: accuracy / forget.length, loss: loss / forget.length };
}

export function classMatchedTarget(forget: readonly Example[], modelRates: ClassRates, labels: readonly string[]): StopTarget {
  const matched = classMatched(forget, modelRates);
  const missing = classesWithoutHeldout(forget, modelRates);
  const mix: Record<string, number> = {};
  for (const e of forget) mix[labels[e.label]!] = (mix[labels[e.label]!] ?? 0) + 1;
  return {
    rule: 'class-matched',
    accuracy: matched.accuracy,
    loss: matched.loss,
    source: `the input model's validation accuracy on the forget sample's class mix (${Object.entries(mix).map(([l, n]) => `${l} ${n}`).join(', ')})`,
    estimate: {
      forget_class_mix: mix,
      heldout_by_class: Object.fromEntries(labels.map((l, c) => [l, { count: modelRates.count[c], accuracy: modelRates.count[c]! > 0 ? modelRates.accuracy[c] : null }])),
      heldout_pooled_accuracy: modelRates.pooled.accuracy,
    },
    ...(missing.length > 0 ? { notes: [classFallbackNote(missing, labels)] } : {}),
  };
}

export function classFallbackNote(missing: readonly number[], labels: readonly string[]): string {
  return `no validation rows of class ${missing.map((c) => `'${labels[c]}'`).join(', ')}: its forget rows are compared with the pooled validation accuracy`;
}
