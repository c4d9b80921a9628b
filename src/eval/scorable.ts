/**
 * Scorable: the one face of a model that evaluation needs — logits and a representation vector
 * per example. Anything that can produce those (a single fine-tuned classifier today, a SISA
 * ensemble later) can be evaluated and compared by src/eval/evaluate.ts.
 *
 * Unlike the rest of src/eval this module runs models (it loads libtorch), so it is not
 * re-exported from src/eval/index.ts; import it by path.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { noGrad, scope, type DeviceSpec } from '../engine';
import type { Example } from '../data';
import { loadClassifier, type ClassifierTask, type UnitClassifier } from '../model';
import type { SequenceTokenizer } from '../text/types';
import { chunks, isTaggedBatch, makeBatch } from '../train/batches';
import { loadSisaEnsemble } from '../methods/sisa/ensemble';
import { SISA_FILE } from '../methods/sisa/layout';
import { hashModel } from '../provenance/hash';
import { concatFloat32 } from '../util/arrays';

export interface ScoreOptions {
  /** Tokens per text (longer texts are truncated). */
  maxLength: number;
  /** Examples per forward pass. */
  batchSize: number;
  /** Called after each batch with the number of examples scored so far. */
  onProgress?: (done: number) => void;
}

export interface ModelScores {
  /** Row-major units × numLabels (a unit: a text; for a tagger, each word inside the window). */
  logits: Float32Array;
  /** Row-major units × dim: the representation the model classifies from. */
  embeddings: Float32Array;
  dim: number;
  /** A tagger's units: their true tags, and unitOffsets[i]..unitOffsets[i+1] the units of example i. */
  unitLabels?: Int32Array;
  unitOffsets?: Int32Array;
}


export interface Scorable {
  /** What a unit is: a text (sequence-classification, also when absent) or a tagged word. */
  readonly task?: ClassifierTask;
  readonly numLabels: number;
  /** Label names in id order (logit column i is labels[i]). */
  readonly labels: readonly string[];
  /** Deterministic scores (eval mode, no gradients) for `examples`, in input order. */
  score(examples: readonly Example[], options: ScoreOptions): ModelScores;
  /** Frees what the scorable owns (idempotent). */
  dispose(): void;
}

/**
 * A Hugging Face-style sequence classifier as a Scorable. The embedding is the model's `pooled`
 * output: the vector its final classifier layer reads. Dispose frees the model unless
 * `disposeModel: false` (for a model the caller keeps using).
 */
export function hfScorable(model: UnitClassifier, tokenizer: SequenceTokenizer, options: { disposeModel?: boolean } = {}): Scorable {
  const disposeModel = options.disposeModel ?? true;
  let disposed = false;
  return {
    task: model.task,
    numLabels: model.numLabels,
    labels: [...model.config.labels],
    score(examples, scoreOptions) {
      if (disposed) throw new Error('hfScorable: score() after dispose()');
      const dim = model.config.hiddenSize;
      const taggedInput = isTaggedBatch(examples);
      if (examples.length > 0 && taggedInput !== (model.task === 'token-classification')) {
        throw new Error(taggedInput ? 'a text classifier cannot score tagged sentences (tokens and tags): give it texts, or give the sentences to a tagger'
          : 'a tagger scores words: give it tokenised sentences (examples with tokens and tags), not plain texts');
      }
      // Per labelled unit: a text, or (a tagger) each word inside the window.
      const logitParts: Float32Array[] = [];
      const embeddingParts: Float32Array[] = [];
      const unitLabels: number[] = [];
      const unitOffsets = [0];
      const wasTraining = model.training;
      model.eval();
      try {
        let done = 0;
        noGrad(() => {
          for (const part of chunks(examples, scoreOptions.batchSize)) {
            scope(() => {
              const batch = makeBatch(tokenizer, part, scoreOptions.maxLength, model.device);
              const out = model.forward(batch);
              logitParts.push(out.logits.toArray() as Float32Array);
              if (out.pooled.size(out.pooled.shape.length - 1) !== dim) throw new Error(`pooled output has width ${out.pooled.size(1)}, expected hidden size ${dim}`);
              embeddingParts.push(out.pooled.toArray() as Float32Array);
              unitLabels.push(...batch.labels.toNumbers());
              const base = unitOffsets[unitOffsets.length - 1]!;
              for (let r = 1; r <= part.length; r++) unitOffsets.push(base + batch.unitOffsets[r]!);
            });
            done += part.length;
            scoreOptions.onProgress?.(done);
          }
        });
      } finally {
        model.train(wasTraining);
      }
      const logits = concatFloat32(logitParts);
      const embeddings = concatFloat32(embeddingParts);
      const tagged = model.task === 'token-classification';
      return { logits, embeddings, dim, ...(tagged ? { unitLabels: Int32Array.from(unitLabels), unitOffsets: Int32Array.from(unitOffsets) } : {}) };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (disposeModel) model.dispose();
    },
  };
}

/** The folder kinds loadScorable understands. */
export type ModelKind = 'hf' | 'sisa';

/**
 * What kind of model folder `dir` is, or undefined. THE place to recognise new kinds (e.g. a SISA
 * ensemble by its marker file) — add the check before the Hugging Face one and a branch in
 * loadScorable.
 */
export function detectModelKind(dir: string): ModelKind | undefined {
  if (fs.existsSync(path.join(dir, SISA_FILE))) return 'sisa';
  if (fs.existsSync(path.join(dir, 'config.json'))) return 'hf';
  return undefined;
}

export interface LoadedScorable {
  scorable: Scorable;
  kind: ModelKind;
  /** Absolute folder. */
  dir: string;
  /** Manifest hash of the model files (src/provenance/hash.ts, docs/provenance.md: recomputable with sha256sum). */
  hash: string;
}

/** sha256 over (relative name, bytes) of each file, in the given order. */
export function hashFiles(dir: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update('\u0000').update(fs.readFileSync(path.join(dir, file))).update('\u0001');
  return hash.digest('hex');
}

/** Loads a model folder as a Scorable on `device` (default cpu; it owns the model: dispose() frees it). */
export function loadScorable(dir: string, options: { device?: DeviceSpec } = {}): LoadedScorable {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a directory`);
  const kind = detectModelKind(root);
  switch (kind) {
    case 'hf': {
      const { model, tokenizer } = loadClassifier(root, { device: options.device });
      if (!tokenizer) {
        model.dispose();
        throw new Error(`${root}: no tokenizer.json (a model folder to evaluate needs its tokenizer)`);
      }
      return { scorable: hfScorable(model, tokenizer), kind, dir: root, hash: hashModel(root).manifest_hash };
    }
    case 'sisa': {
      // Majority vote lives in the ensemble's own score() result (predictions); through this
      // interface logits are the log mean softmax, so argmax here is the mean-softmax decision.
      const ensemble = loadSisaEnsemble(root, options);
      return { scorable: ensemble, kind, dir: root, hash: hashModel(root).manifest_hash };
    }
    case undefined:
      throw new Error(`${root}: not a model folder (no config.json of a Hugging Face model)`);
  }
}
