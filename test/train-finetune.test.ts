// Fine-tuning end to end on a tiny model and a real data slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { manualSeed, liveTensors } from '../src/engine';
import { createModel, type SequenceClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { loadDatasetFile, splitOf, resolveForgetSet, retainSplit } from '../src/data';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import { finetune } from '../src/train/finetune';
import { predict } from '../src/train/predict';
import { ScoredSample } from '../src/methods/scored-sample';

const SLICE = path.join(__dirname, '../../test/fixtures/data/spamassassin-slice.jsonl');

test('fine-tuning a tiny encoder on a SpamAssassin slice lowers the loss and beats chance', async () => {
  const ds = await loadDatasetFile(SLICE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-ft-'));
  trainTokenizerToDir(dir, { vocabSize: 600, texts: splitOf(ds, 'train').map((e) => e.text), modelMaxLength: 64 });
  const tokenizer = TextTokenizer.fromDir(dir);
  manualSeed(0);
  const model = createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64, labels: ds.labels }) as SequenceClassifier & Module;
  const before = liveTensors();
  const result = finetune(model, tokenizer, splitOf(ds, 'train'), splitOf(ds, 'validation'), {
    epochs: 8, batchSize: 16, lr: 3e-3, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 64, patience: 8, seed: 0,
  });
  assert.equal(liveTensors(), before, 'the training loop leaks no tensors');
  const losses = result.epochs.map((e) => e.trainLoss);
  assert.ok(losses[losses.length - 1]! < losses[0]! - 0.1, `training loss fell: ${losses.map((l) => l.toFixed(3)).join(' -> ')}`);
  const best = Math.max(...result.epochs.map((e) => e.validationAccuracy));
  assert.equal(result.epochs[result.bestEpoch - 1]!.validationAccuracy, best, 'the best epoch is the one kept');
  const val = predict(model, tokenizer, splitOf(ds, 'validation'), { maxLength: 64, batchSize: 32 });
  assert.equal(val.accuracy, best, 'best weights were restored');
  // The kept epoch's validation outcomes come back with the weights (validation-scores.json is written from them).
  const now = new ScoredSample(splitOf(ds, 'validation'), tokenizer, 64).score(model);
  assert.ok(result.bestValidation, 'a fine-tuning epoch was kept, so its validation pass is returned');
  assert.deepEqual(result.bestValidation.scores.correct, now.correct);
  result.bestValidation.scores.loss.forEach((l, i) => assert.ok(Math.abs(l - now.loss[i]!) < 1e-6, `row ${i}: ${l} vs ${now.loss[i]}`));
  assert.equal(result.bestValidation.scores.accuracy, best);
  // 30 validation emails are too few to judge learning; the 199 training emails show it.
  const trainSet = splitOf(ds, 'train');
  const spamShare = trainSet.filter((e) => e.labelName === 'spam').length / trainSet.length;
  const trainAccuracy = predict(model, tokenizer, trainSet, { maxLength: 64, batchSize: 32 }).accuracy;
  assert.ok(trainAccuracy > Math.max(spamShare, 1 - spamShare) + 0.05, `training accuracy ${trainAccuracy} beats the majority class (${Math.max(spamShare, 1 - spamShare)})`);
  model.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('retain set excludes the forget set; the CLI refuses to overwrite an existing folder', async () => {
  const ds = await loadDatasetFile(SLICE);
  const forget = resolveForgetSet(ds, 'random:0.1', { seed: 1 });
  const retain = retainSplit(ds, forget);
  assert.equal(retain.length, splitOf(ds, 'train').length - forget.ids.length);
  assert.ok(retain.every((e) => !forget.ids.includes(e.id)));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-ft-out-'));
  fs.writeFileSync(path.join(out, 'keep.txt'), 'user data');
  const cli = path.join(__dirname, '../src/cli/main.js');
  assert.throws(() => execFileSync(process.execPath, [cli, 'finetune', '--data', SLICE, '--out', out], { stdio: 'pipe' }), (e: unknown) => {
    const err = e as { status: number; stderr: Buffer };
    assert.equal(err.status, 2);
    assert.match(err.stderr.toString(), /exists and is not empty \(pass --overwrite to replace it\)/);
    return true;
  });
  assert.equal(fs.readFileSync(path.join(out, 'keep.txt'), 'utf8'), 'user data');
  fs.rmSync(out, { recursive: true });
});

test('a fine-tune killed mid-epoch resumes from its last epoch checkpoint to the same weights', async () => {
  const ds = await loadDatasetFile(SLICE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-ft-resume-'));
  trainTokenizerToDir(dir, { vocabSize: 400, texts: splitOf(ds, 'train').map((e) => e.text), modelMaxLength: 32 });
  const tokenizer = TextTokenizer.fromDir(dir);
  const fresh = () => {
    manualSeed(5);
    return createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32, labels: ds.labels }) as SequenceClassifier & Module;
  };
  const options = { epochs: 3, batchSize: 32, lr: 3e-3, weightDecay: 0.01, warmupFraction: 0.1, maxLength: 32, patience: 3, seed: 2 };
  const train = splitOf(ds, 'train');
  const validation = splitOf(ds, 'validation');
  const a = fresh();
  const full = finetune(a, tokenizer, train, validation, options);
  const checkpointDir = path.join(dir, 'checkpoint');
  const b = fresh();
  const perEpoch = Math.ceil(train.length / options.batchSize);
  assert.throws(() => finetune(b, tokenizer, train, validation, {
    ...options, checkpointDir, onStep: ({ step }) => { if (step === perEpoch * 2 + 1) throw new Error('killed'); },
  }), /killed/);
  b.dispose();
  const c = fresh();
  const resumed = finetune(c, tokenizer, train, validation, { ...options, checkpointDir, resume: true });
  assert.deepEqual(resumed.epochs.map((e) => e.trainLoss), full.epochs.map((e) => e.trainLoss));
  assert.equal(resumed.steps, full.steps);
  // Only epoch 3 ran in the resumed process: its validation outcomes are returned only if it is the kept one.
  assert.equal(resumed.bestValidation === undefined, resumed.bestEpoch <= 2, `best epoch ${resumed.bestEpoch}`);
  assert.ok(full.bestValidation);
  for (const [name, t] of a.stateDict()) assert.deepEqual(c.stateDict().get(name)!.toArray(), t.toArray(), name);
  assert.throws(() => finetune(fresh(), tokenizer, train, validation, { ...options, lr: 1e-3, checkpointDir, resume: true }), /other fine-tuning settings/);
  a.dispose();
  c.dispose();
  fs.rmSync(dir, { recursive: true });
});
