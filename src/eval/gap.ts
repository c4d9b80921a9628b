/**
 * Gaps to a reference model (normally Retrain, the gold standard): |metric − reference metric|
 * per numeric entry, and the literature's "average gap" over forget/retain/test accuracy and MIA.
 */

/** Keys of the average gap: forget, retain and test accuracy and the loss-MIA AUC. */
export const AVERAGE_GAP_KEYS: readonly string[] = ['accuracy.forget', 'accuracy.retain', 'accuracy.test', 'mia.loss_auc'];

/**
 * Flatten nested plain objects and arrays to dotted keys (`{accuracy: {forget: 0.9}}` →
 * `accuracy.forget`, arrays by index: `f1.0`). Only numbers are kept (NaN included); strings,
 * booleans, null and typed arrays (per-sample data, not metrics) are skipped.
 */
export function flattenMetrics(metrics: object, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'number') {
      out[key] = value;
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, key === '' ? String(i) : `${key}.${i}`));
    } else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      for (const [child, childValue] of Object.entries(value)) visit(childValue, key === '' ? child : `${key}.${child}`);
    }
  };
  visit(metrics, prefix);
  return out;
}

export interface GapResult {
  /** |metrics[key] − reference[key]| for every dotted key numeric in both. */
  byKey: Record<string, number>;
  /** Mean of byKey over `averageKeys`; NaN if none are available or any used one is NaN. */
  average: number;
  /** Keys the average was actually taken over (those of the requested keys present in both). */
  averageKeys: string[];
  /** Requested average keys missing from either side (the average then covers fewer terms). */
  missingAverageKeys: string[];
  /** Numeric keys present on only one side (no gap computed). */
  unmatchedKeys: string[];
}

/**
 * Gap of `metrics` to `reference`. Both are nested metric objects, e.g.
 * `{ accuracy: { forget, retain, test }, mia: { loss_auc } }`. A NaN on either side gives a NaN
 * gap (an undefined metric is not "no gap").
 */
export function gap(metrics: object, reference: object, options: { averageKeys?: readonly string[] } = {}): GapResult {
  const requested = options.averageKeys ?? AVERAGE_GAP_KEYS;
  const flat = flattenMetrics(metrics);
  const flatReference = flattenMetrics(reference);
  const byKey: Record<string, number> = {};
  const unmatchedKeys: string[] = [];
  for (const key of Object.keys(flat)) {
    if (key in flatReference) byKey[key] = Math.abs(flat[key]! - flatReference[key]!);
    else unmatchedKeys.push(key);
  }
  for (const key of Object.keys(flatReference)) if (!(key in flat)) unmatchedKeys.push(key);
  const averageKeys = requested.filter((key) => key in byKey);
  const missingAverageKeys = requested.filter((key) => !(key in byKey));
  const average = averageKeys.length > 0 ? averageKeys.reduce((sum, key) => sum + byKey[key]!, 0) / averageKeys.length : NaN;
  return { byKey, average, averageKeys, missingAverageKeys, unmatchedKeys };
}
