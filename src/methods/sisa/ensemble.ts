// Prediction with a SISA model: every shard classifies (a tagger: every word inside the window,
// the shards sharing one tokenizer and so the same words), the majority of their argmax votes
// wins (ties go to the tied class with the highest mean softmax probability, then the lowest
// label id). For evaluation the ensemble is also one Scorable: logits = log of the mean softmax
// (so argmax, loss and membership statistics work as for one model) and the embedding is the
// concatenation of each shard's L2-normalised pooled vector (each shard learns its own space;
// normalising keeps one shard from dominating distances).
//
// The Scorable interface has no place for predictions, so code that takes the argmax of
// `logits` gets the mean-softmax decision, which can differ from the majority vote when the
// shards split; `score()` here also returns `predictions` (the vote) for callers that know a
// SISA ensemble.
import type { DeviceSpec } from '../../engine/device';
import * as path from 'node:path';
import type { Example } from '../../data';
import { loadClassifier, type ClassifierTask, type UnitClassifier } from '../../model';
import type { SequenceTokenizer } from '../../text/types';
import { hfScorable, type ModelScores, type Scorable, type ScoreOptions } from '../../eval/scorable';
import { readSisaManifest, shardDir, sisaTask, type SisaManifest } from './layout';

export interface SisaScores extends ModelScores {
  /** Majority vote per unit (a text, or a tagger's word). */
  predictions: Int32Array;
  /** Row-major n × numLabels: how many shards voted for each label. */
  votes: Int32Array;
  /** Row-major n × numLabels: mean of the shards' softmax. */
  probabilities: Float32Array;
}

/** One shard's raw output for n units (texts, or a tagger's words). */
export interface ShardOutput {
  /** Row-major n × numLabels. */
  logits: Float32Array;
  /** Row-major n × dim (the pooled vector the shard's classifier reads). */
  pooled: Float32Array;
  dim: number;
  /** A tagger's units: their tags and where each example's words start (ModelScores). */
  unitLabels?: Int32Array;
  unitOffsets?: Int32Array;
}

function softmaxRow(logits: Float32Array, row: number, k: number, into: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, logits[row * k + c]!);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += (into[c] = Math.exp(logits[row * k + c]! - max));
  for (let c = 0; c < k; c++) into[c]! /= sum;
}

function argmax(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/**
 * Majority vote: votes[i*k + c] shards chose label c for example i; the most votes win, ties
 * go to the tied label with the highest mean probability, then to the lowest label id.
 */
export function majorityVote(votes: ArrayLike<number>, probabilities: ArrayLike<number>, numLabels: number): Int32Array {
  const n = Math.floor(votes.length / numLabels);
  if (n * numLabels !== votes.length || probabilities.length !== votes.length) {
    throw new Error(`majorityVote: ${votes.length} votes and ${probabilities.length} probabilities do not make rows of ${numLabels} labels`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numLabels; c++) {
      const v = votes[i * numLabels + c]!;
      const b = votes[i * numLabels + best]!;
      if (v > b || (v === b && probabilities[i * numLabels + c]! > probabilities[i * numLabels + best]!)) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** Combines the shards' outputs for the same n units into the ensemble's scores. */
export function combineShards(shards: readonly ShardOutput[], n: number, numLabels: number): SisaScores {
  if (shards.length === 0) throw new Error('a SISA ensemble needs at least one shard with training data');
  const units = sameUnits(shards);
  const probabilities = new Float32Array(n * numLabels);
  const votes = new Int32Array(n * numLabels);
  const p = new Float64Array(numLabels);
  for (const s of shards) {
    if (s.logits.length !== n * numLabels) throw new Error(`shard output has ${s.logits.length} logits, expected ${n} x ${numLabels}`);
    for (let i = 0; i < n; i++) {
      softmaxRow(s.logits, i, numLabels, p);
      for (let c = 0; c < numLabels; c++) probabilities[i * numLabels + c]! += p[c]! / shards.length;
      votes[i * numLabels + argmax(s.logits, i * numLabels, numLabels)]!++;
    }
  }
  // log of the mean probability, floored so that a label no shard believes in is not -Infinity.
  const logits = probabilities.map((q) => Math.log(Math.max(q, 1e-30)));
  const dim = shards.reduce((sum, s) => sum + s.dim, 0);
  const embeddings = new Float32Array(n * dim);
  let column = 0;
  for (const s of shards) {
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let d = 0; d < s.dim; d++) norm += s.pooled[i * s.dim + d]! ** 2;
      const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
      for (let d = 0; d < s.dim; d++) embeddings[i * dim + column + d] = s.pooled[i * s.dim + d]! * scale;
    }
    column += s.dim;
  }
  return { logits, embeddings, dim, probabilities, votes, predictions: majorityVote(votes, probabilities, numLabels), ...units };
}

/** The units every shard scored: the same words, or the vote would mix different ones. */
function sameUnits(shards: readonly ShardOutput[]): Pick<ShardOutput, 'unitLabels' | 'unitOffsets'> {
  const first = shards[0]!;
  const same = (a?: Int32Array, b?: Int32Array) => a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]));
  for (const s of shards) {
    if (!same(s.unitLabels, first.unitLabels) || !same(s.unitOffsets, first.unitOffsets)) {
      throw new Error('SISA shards scored different words (their tokenizers or windows differ); a per-word vote needs the same words from every shard');
    }
  }
  return first.unitOffsets ? { unitLabels: first.unitLabels!, unitOffsets: first.unitOffsets } : {};
}

function scoreShard(model: UnitClassifier, tokenizer: SequenceTokenizer, examples: readonly Example[], options: ScoreOptions): ShardOutput {
  // One shard scores exactly like a single model; progress is reported per shard by the caller.
  const { logits, embeddings, dim, unitLabels, unitOffsets } = hfScorable(model, tokenizer, { disposeModel: false }).score(examples, { ...options, onProgress: undefined });
  return { logits, pooled: embeddings, dim, ...(unitOffsets ? { unitLabels: unitLabels!, unitOffsets } : {}) };
}

export interface SisaEnsemble extends Scorable {
  readonly manifest: SisaManifest;
  readonly task: ClassifierTask;
  /** The shards that vote (a shard whose every training id was forgotten does not). */
  readonly shards: readonly number[];
  score(examples: readonly Example[], options: ScoreOptions): SisaScores;
}

/** Loads every voting shard of a SISA folder on `device` (default cpu; the ensemble owns them: dispose() frees them). */
export function loadSisaEnsemble(dir: string, options: { device?: DeviceSpec } = {}): SisaEnsemble {
  const root = path.resolve(dir);
  const manifest = readSisaManifest(root);
  const voting = manifest.assignment.map((slices, k) => (slices.some((ids) => ids.length > 0) ? k : -1)).filter((k) => k >= 0);
  if (voting.length === 0) throw new Error(`${root}: every shard's training data has been forgotten; the SISA model cannot predict`);
  const models: { model: UnitClassifier; tokenizer: SequenceTokenizer }[] = [];
  try {
    for (const k of voting) {
      const { model, tokenizer } = loadClassifier(shardDir(root, k), { device: options.device });
      models.push({ model, tokenizer: tokenizer! });
      if (!tokenizer) throw new Error(`${shardDir(root, k)}: no tokenizer.json`);
      if (model.task !== sisaTask(manifest)) throw new Error(`${shardDir(root, k)}: a ${model.task} model in a SISA folder of ${sisaTask(manifest)} shards (sisa.json)`);
      const labels = model.config.labels;
      if (labels.length !== manifest.labels.length || labels.some((l, i) => l !== manifest.labels[i])) {
        throw new Error(`${shardDir(root, k)}: labels [${labels.join(', ')}] differ from sisa.json's [${manifest.labels.join(', ')}]`);
      }
    }
  } catch (err) {
    for (const m of models) m.model.dispose();
    throw err;
  }
  let disposed = false;
  return {
    manifest,
    task: sisaTask(manifest),
    shards: voting,
    numLabels: manifest.labels.length,
    labels: [...manifest.labels],
    score(examples, options) {
      if (disposed) throw new Error('SISA ensemble: score() after dispose()');
      const outputs: ShardOutput[] = [];
      models.forEach(({ model, tokenizer }, i) => {
        outputs.push(scoreShard(model, tokenizer, examples, options));
        // Progress in examples over all shards, scaled to the example count the caller expects.
        options.onProgress?.(Math.floor((examples.length * (i + 1)) / models.length));
      });
      const units = outputs[0]!.unitOffsets ? outputs[0]!.unitOffsets[examples.length]! : examples.length;
      return combineShards(outputs, units, manifest.labels.length);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const m of models) m.model.dispose();
    },
  };
}
