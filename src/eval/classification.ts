/**
 * Classification metrics on integer label arrays: accuracy, confusion matrix, per-class
 * precision / recall / F1 and macro-F1.
 *
 * Conventions (match scikit-learn's defaults):
 * - A class's precision is 0 when it is never predicted, recall is 0 when it never occurs, and
 *   F1 is 0 when precision + recall is 0 (sklearn's `zero_division` → 0).
 * - Macro-F1 averages F1 over the classes that occur in the truth OR the predictions. A class
 *   absent from both carries no evidence either way and is excluded (sklearn with `labels`
 *   left at its default, i.e. the union of labels seen). This matters for forget sets, which
 *   often cover only a few classes: including the absent classes would add F1 = 0 terms.
 * - Empty input gives accuracy NaN and macro-F1 NaN (nothing to measure, not "0% correct").
 */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true label is this class. */
  support: number;
  /** Number of samples predicted as this class. */
  predicted: number;
}

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  /** Classes that took part in the macro mean (present in truth or prediction). */
  macroClasses: number[];
  perClass: ClassMetrics[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  count: number;
}

function checkLabels(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses?: number): void {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  }
  if (numClasses === undefined) return;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  for (let i = 0; i < yTrue.length; i++) {
    for (const [name, value] of [['yTrue', yTrue[i]], ['yPred', yPred[i]]] as const) {
      if (value === undefined || !Number.isInteger(value) || value < 0 || value >= numClasses) {
        throw new RangeError(`${name}[${i}] = ${value} is not a class index in [0, ${numClasses})`);
      }
    }
  }
}

/** Share of positions where yTrue equals yPred; NaN for empty input. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLabels(yTrue, yPred);
  if (yTrue.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** confusion[t][p] = number of samples with true class t predicted as p (numClasses × numClasses). */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkLabels(yTrue, yPred, numClasses);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    matrix[yTrue[i]!]![yPred[i]!]! += 1;
  }
  return matrix;
}

/** Per-class precision, recall, F1 and support derived from a confusion matrix. */
export function perClassMetricsFromConfusion(confusion: readonly (readonly number[])[]): ClassMetrics[] {
  const numClasses = confusion.length;
  return Array.from({ length: numClasses }, (_, c) => {
    const row = confusion[c] as readonly number[];
    const truePositives = row[c] as number;
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < numClasses; k++) {
      support += row[k] as number;
      predicted += (confusion[k] as readonly number[])[c] as number;
    }
    const precision = predicted > 0 ? truePositives / predicted : 0;
    const recall = support > 0 ? truePositives / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support, predicted };
  });
}

/** Per-class precision, recall, F1 and support. */
export function perClassMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): ClassMetrics[] {
  return perClassMetricsFromConfusion(confusionMatrix(yTrue, yPred, numClasses));
}

function macroOver(perClass: readonly ClassMetrics[]): { macroF1: number; macroClasses: number[] } {
  const macroClasses: number[] = [];
  let sum = 0;
  perClass.forEach((m, c) => {
    if (m.support > 0 || m.predicted > 0) {
      macroClasses.push(c);
      sum += m.f1;
    }
  });
  return { macroF1: macroClasses.length > 0 ? sum / macroClasses.length : NaN, macroClasses };
}

/** Unweighted mean F1 over classes present in truth or prediction (see module comment). */
export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  return macroOver(perClassMetrics(yTrue, yPred, numClasses)).macroF1;
}

/** Everything at once, computed from one pass over the labels. */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): ClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred, numClasses);
  const perClass = perClassMetricsFromConfusion(confusion);
  let correct = 0;
  for (let c = 0; c < numClasses; c++) correct += (confusion[c] as number[])[c] as number;
  const count = yTrue.length;
  return {
    accuracy: count > 0 ? correct / count : NaN,
    ...macroOver(perClass),
    perClass,
    confusion,
    count,
  };
}
