/**
 * Per-sample quantities from classifier logits: the raw material of membership-inference
 * attacks and of accuracy. Logits are row-major n × C (one row per sample).
 *
 * Everything goes through log-sum-exp, so huge or very negative logits (a collapsed model after
 * gradient ascent) give finite losses and exact zeros/ones rather than NaN.
 */

export interface PerSampleStats {
  /** Softmax probabilities, row-major n × C. */
  probs: Float64Array;
  /** Cross-entropy of the true class: logsumexp(z) - z[y]. */
  loss: Float64Array;
  /** Probability of the true class. */
  confidence: Float64Array;
  /** Largest class probability. */
  maxProb: Float64Array;
  /** Entropy (nats) of the predictive distribution. */
  entropy: Float64Array;
  /** Argmax class (lowest index wins ties, like numpy/torch argmax). */
  predictions: Int32Array;
}

/** Number of rows of an n × numClasses row-major buffer; throws if the length does not divide. */
export function rowCount(logits: ArrayLike<number>, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  if (logits.length % numClasses !== 0) {
    throw new RangeError(`logits length ${logits.length} is not a multiple of numClasses ${numClasses}`);
  }
  return logits.length / numClasses;
}

/** log(sum(exp(row))) for row `i`, shifted by the row max for stability. */
function rowLogSumExp(logits: ArrayLike<number>, i: number, numClasses: number): number {
  const offset = i * numClasses;
  let max = -Infinity;
  for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[offset + c] as number);
  if (!Number.isFinite(max)) {
    throw new RangeError(`row ${i} of logits has a non-finite maximum (${max})`);
  }
  let sum = 0;
  for (let c = 0; c < numClasses; c++) sum += Math.exp((logits[offset + c] as number) - max);
  return max + Math.log(sum);
}

/** Row-wise softmax of n × numClasses logits. */
export function softmax(logits: ArrayLike<number>, numClasses: number): Float64Array {
  const n = rowCount(logits, numClasses);
  const probs = new Float64Array(logits.length);
  for (let i = 0; i < n; i++) {
    const lse = rowLogSumExp(logits, i, numClasses);
    for (let c = 0; c < numClasses; c++) {
      probs[i * numClasses + c] = Math.exp((logits[i * numClasses + c] as number) - lse);
    }
  }
  return probs;
}

/** Argmax per row (first maximum wins). */
export function argmaxRows(values: ArrayLike<number>, numClasses: number): Int32Array {
  const n = rowCount(values, numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if ((values[i * numClasses + c] as number) > (values[i * numClasses + best] as number)) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** All per-sample statistics in one pass. `labels[i]` is the true class of row i. */
export function perSampleStats(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): PerSampleStats {
  const n = rowCount(logits, numClasses);
  if (labels.length !== n) throw new RangeError(`logits have ${n} rows but there are ${labels.length} labels`);
  const probs = new Float64Array(logits.length);
  const loss = new Float64Array(n);
  const confidence = new Float64Array(n);
  const maxProb = new Float64Array(n);
  const entropy = new Float64Array(n);
  const predictions = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RangeError(`labels[${i}] = ${label} is not a class index in [0, ${numClasses})`);
    }
    const offset = i * numClasses;
    const lse = rowLogSumExp(logits, i, numClasses);
    let best = 0;
    let h = 0;
    for (let c = 0; c < numClasses; c++) {
      const logProb = (logits[offset + c] as number) - lse;
      const p = Math.exp(logProb);
      probs[offset + c] = p;
      // p * log p → 0 as p → 0; skipping exact zeros avoids 0 * -Infinity = NaN.
      if (p > 0) h -= p * logProb;
      if ((logits[offset + c] as number) > (logits[offset + best] as number)) best = c;
    }
    loss[i] = lse - (logits[offset + label] as number);
    confidence[i] = probs[offset + label] as number;
    maxProb[i] = probs[offset + best] as number;
    entropy[i] = h;
    predictions[i] = best;
  }
  return { probs, loss, confidence, maxProb, entropy, predictions };
}
