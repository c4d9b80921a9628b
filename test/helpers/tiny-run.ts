// A tiny "pretrained" encoder and a tiny model fine-tuned from it on the SpamAssassin slice,
// saved as HF folders with train.json: the inputs every unlearning test needs. Built once per
// process (a few seconds) and shared.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed } from '../../src/engine';
import { createModel, savePretrained, type SequenceClassifier } from '../../src/model';
import type { Module } from '../../src/nn';
import { loadDatasetFile, splitOf, type Dataset } from '../../src/data';
import { trainTokenizerToDir } from '../../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../../src/text/tokenizer';
import { finetune, FINETUNE_DEFAULTS } from '../../src/train/finetune';
import { writeFileAtomic } from '../../src/io/atomic';

export const SPAM_SLICE = path.join(__dirname, '../../../test/fixtures/data/spamassassin-slice.jsonl');

export interface TinyRun {
  root: string;
  /** Random-init tiny encoder + tokenizer (stands in for the pretrained encoder). */
  base: string;
  /** Fine-tuned on the slice's train split, with train.json. */
  original: string;
  dataset: Dataset;
}

let cached: Promise<TinyRun> | undefined;

/**
 * A random-init tiny encoder with a WordPiece tokenizer trained on the dataset's train texts,
 * saved as an HF folder at `dir`: stands in for the pretrained encoder. Returns the model too.
 */
export function makeTinyBase(dir: string, dataset: Dataset): { model: SequenceClassifier & Module; tokenizer: TextTokenizer } {
  fs.mkdirSync(dir, { recursive: true });
  trainTokenizerToDir(dir, { vocabSize: 600, texts: splitOf(dataset, 'train').map((e) => e.text), modelMaxLength: 64 });
  const tokenizer = TextTokenizer.fromDir(dir);
  manualSeed(0);
  const model = createModel({
    vocabSize: tokenizer.vocabSize, hiddenSize: 64, numLayers: 1, numHeads: 2, intermediateSize: 128, maxPositionEmbeddings: 64, labels: dataset.labels,
  }) as SequenceClassifier & Module;
  savePretrained(model, dir, { tokenizerDir: dir, overwrite: true });
  return { model, tokenizer };
}

// No linear probe: on a random tiny encoder without a validation split the probed head (C = 1)
// plus 30 epochs saturates the softmax (training loss 0.000), and gradient ascent has no gradient
// to climb; these tests need a model that memorised its training set, not the product's recipe.
export const TINY_HYPERPARAMETERS = { ...FINETUNE_DEFAULTS, epochs: 30, batchSize: 16, lr: 2e-3, maxLength: 48, patience: 12, seed: 0, linearProbe: false };

export function tinyRun(): Promise<TinyRun> {
  cached ??= (async () => {
    const dataset = await loadDatasetFile(SPAM_SLICE);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tiny-'));
    const base = path.join(root, 'base');
    const { model, tokenizer } = makeTinyBase(base, dataset);
    // No validation split here: train all epochs so the model memorises its training set.
    finetune(model, tokenizer, splitOf(dataset, 'train'), [], TINY_HYPERPARAMETERS);
    const original = path.join(root, 'original');
    savePretrained(model, original, { tokenizerDir: base });
    model.dispose();
    writeFileAtomic(path.join(original, 'train.json'), JSON.stringify({
      base_model: base, dataset: dataset.name, seed: 0, split_seed: 42, hyperparameters: TINY_HYPERPARAMETERS,
    }));
    return { root, base, original, dataset };
  })();
  return cached;
}
