// Frozen-encoder features, computed once per process. Linear probing reads the pooled vector of
// the untouched pretrained encoder, and an original, its retrained models and its reference models
// all start from the same encoder on (subsets of) the same rows: an experiment or the demo would
// otherwise encode each row once per fine-tune.
//
// A cached vector must equal the one a fresh computation gives, bit for bit, or a run's result
// would depend on what ran before it in the process. Measured on the CPU: a row's output does not
// depend on the other rows of its batch when the batch's shape is the same (and does when it is
// not: a batch of 1 differs from a batch of 16 by 4e-7). So every vector, cached or not, comes from
// a batch of exactly `batchSize` rows padded to the window, the last one filled with repeats.
import { createHash } from 'node:crypto';
import { noGrad, scope, tensor, type Tensor } from '../engine';
import type { SequenceTokenizer } from '../text/types';
import type { Example } from '../data';
import type { UnitClassifier } from '../model';
import { chunks, encoderInputs } from './batches';

/** Encoders whose features are kept (least recently used dropped first). */
const MAX_ENCODERS = 4;
const cache = new Map<string, Map<string, Float32Array>>();
const stats = { hits: 0, computed: 0 };

/** Rows served from the cache and rows encoded, since the process started (or the last clear). */
export function featureCacheStats(): { hits: number; computed: number } {
  return { ...stats };
}

/** sha256 of every weight and buffer except the output layer's: what the pooled vector depends on. */
function encoderFingerprint(model: UnitClassifier): string {
  const head = new Set(model.outputLayer.parameters());
  const hash = createHash('sha256');
  noGrad(() => {
    for (const [name, t] of model.stateDict()) {
      if (head.has(t)) continue;
      hash.update(name);
      hash.update(t.toBytes());
    }
  });
  return hash.digest('hex');
}

function rowsOf(key: string): Map<string, Float32Array> {
  let rows = cache.get(key);
  if (rows) {
    cache.delete(key); // re-inserted last: most recently used
  } else {
    rows = new Map();
    while (cache.size >= MAX_ENCODERS) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, rows);
  return rows;
}

/** Forgets every cached feature (tests; a caller that changed weights in place gets a new fingerprint anyway). */
export function clearFeatureCache(): void {
  cache.clear();
  stats.hits = 0;
  stats.computed = 0;
}

/**
 * The representation the output layer reads (`pooled`), eval mode, no gradient: [N, hidden] on the
 * model's device. Rows seen before with the same encoder weights and token ids come from the cache.
 * Call inside a scope.
 */
export function cachedPooledFeatures(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: { maxLength: number; batchSize: number }): Tensor {
  const rows = rowsOf(encoderFingerprint(model));
  // Tokenised once, every row padded to the window: the keys and the rows of the fixed-shape batches.
  const encoded = tokenizer.encodeBatch(examples.map((e) => e.text), { maxLength: options.maxLength, padding: 'max_length', truncation: true });
  const seq = encoded.shape[1]!;
  const keys = examples.map((_, i) => {
    const mask = encoded.attentionMask.subarray(i * seq, (i + 1) * seq);
    let length = 0;
    while (length < seq && mask[length] === 1) length++;
    return Array.from(encoded.inputIds.subarray(i * seq, i * seq + length)).join(',');
  });
  const missing = [...new Set(keys.filter((k) => !rows.has(k)))];
  stats.computed += missing.length;
  stats.hits += keys.filter((k) => rows.has(k)).length;
  if (missing.length > 0) {
    const wasTraining = model.training;
    model.eval();
    const rowOf = new Map(keys.map((k, i) => [k, i] as const));
    const pick = (data: Int32Array, at: readonly number[]): Int32Array => {
      const out = new Int32Array(at.length * seq);
      at.forEach((r, j) => out.set(data.subarray(r * seq, (r + 1) * seq), j * seq));
      return out;
    };
    for (const part of chunks(missing, options.batchSize)) {
      const at = [...part, ...Array.from({ length: options.batchSize - part.length }, () => part[0]!)].map((k) => rowOf.get(k)!);
      const enc = { inputIds: pick(encoded.inputIds, at), attentionMask: pick(encoded.attentionMask, at), tokenTypeIds: pick(encoded.tokenTypeIds, at), shape: [at.length, seq] as [number, number] };
      const values = noGrad(() => scope(() => model.forward(encoderInputs(enc, model.device)).pooled.to('cpu').toArray())) as Float32Array;
      const width = values.length / options.batchSize;
      part.forEach((k, i) => rows.set(k, values.slice(i * width, (i + 1) * width)));
    }
    model.train(wasTraining);
  }
  const width = rows.get(keys[0]!)?.length ?? 0;
  const all = new Float32Array(examples.length * width);
  keys.forEach((k, i) => all.set(rows.get(k)!, i * width));
  return tensor(all, { shape: [examples.length, width], device: model.device });
}
