// --dropout: a fine-tune's own dropout replaces the encoder's, is saved in the model's config.json
// and recorded in train.json, and retraining repeats it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDatasetFile, resolveForgetSet } from '../src/data';
import { loadClassifier } from '../src/model';
import { finetuneToFolder } from '../src/train/run';
import { unlearn } from '../src/methods/unlearn';
import { makeTinyBase, SPAM_SLICE, TINY_HYPERPARAMETERS } from './helpers/tiny-run';

test('loadClassifier replaces every dropout probability, and refuses one outside [0, 1)', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dropout-'));
  const data = await loadDatasetFile(SPAM_SLICE);
  makeTinyBase(path.join(root, 'base'), data).model.dispose();
  const { model } = loadClassifier(path.join(root, 'base'), { dropout: 0 });
  assert.deepEqual([model.config.hiddenDropout, model.config.attentionDropout, model.config.classifierDropout], [0, 0, 0]);
  model.dispose();
  const own = loadClassifier(path.join(root, 'base')).model;
  assert.equal(own.config.hiddenDropout, 0.1, "without the option: the encoder's own");
  own.dispose();
  assert.throws(() => loadClassifier(path.join(root, 'base'), { dropout: 1 }), /dropout must be in \[0, 1\)/);
});

test('a fine-tune with dropout 0 saves and records it, and its retrain uses it too', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-dropout-'));
  const data = await loadDatasetFile(SPAM_SLICE);
  makeTinyBase(path.join(root, 'base'), data).model.dispose();
  const original = path.join(root, 'original');
  finetuneToFolder({ base: path.join(root, 'base'), dataset: data, out: original, settings: { ...TINY_HYPERPARAMETERS, epochs: 1, dropout: 0 }, splitSeed: 42 });
  const config = JSON.parse(fs.readFileSync(path.join(original, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.hidden_dropout_prob, 0);
  assert.equal(config.attention_probs_dropout_prob, 0);
  const record = JSON.parse(fs.readFileSync(path.join(original, 'train.json'), 'utf8')) as { hyperparameters: Record<string, unknown> };
  assert.equal(record.hyperparameters.dropout, 0);
  const retrain = path.join(root, 'retrain');
  const user = data.examples.find((e) => e.split === 'train' && e.user !== undefined)!.user!;
  await unlearn({ modelDir: original, dataset: data, forget: resolveForgetSet(data, `user:${user}`, { seed: 42 }), method: 'retrain', out: retrain });
  const retrained = JSON.parse(fs.readFileSync(path.join(retrain, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(retrained.hidden_dropout_prob, 0, 'retraining repeats the recorded dropout');
});
