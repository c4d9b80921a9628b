// Partial fine-tuning (freezeLowerLayers): frozen layers keep their weights bit for bit, take no
// gradient and no dropout; fine-tuning records the choice, and retraining and unlearning repeat it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed, noGrad, tensor, type Tensor } from '../src/engine';
import { createModel, freezeLowerLayers, loadPretrained, savePretrained, type SequenceClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { loadDatasetFile, resolveForgetSet, splitOf } from '../src/data';
import { finetune } from '../src/train/finetune';
import { unlearn } from '../src/methods/unlearn';
import { recordedRecipe } from '../src/methods/recipe';
import { writeFileAtomic } from '../src/io/atomic';
import { makeTinyBase, SPAM_SLICE, TINY_HYPERPARAMETERS } from './helpers/tiny-run';

function twoLayerModel(): SequenceClassifier & Module {
  manualSeed(0);
  return createModel({ vocabSize: 50, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, labels: ['a', 'b'] }) as SequenceClassifier & Module;
}

/** Copies of every weight whose name starts with one of the prefixes. */
function weights(model: Module, prefixes: string[]): Map<string, number[]> {
  return noGrad(() => new Map(model.namedParameters().filter(([n]) => prefixes.some((p) => n.startsWith(p))).map(([n, p]) => [n, p.toNumbers()])));
}

const LOWER = ['bert.embeddings.', 'bert.encoder.layer.0.'];
const UPPER = ['bert.encoder.layer.1.', 'bert.pooler.', 'classifier.'];

test('freezeLowerLayers: no gradient and no dropout in the embeddings and the lowest layers, the rest trains', () => {
  const model = twoLayerModel();
  freezeLowerLayers(model, 1);
  const named = model.namedParameters();
  for (const [name, p] of named) {
    const frozen = LOWER.some((prefix) => name.startsWith(prefix));
    assert.equal(p.requiresGrad, !frozen, `${name} requiresGrad`);
  }
  assert.equal(model.trainableParameters().length, named.filter(([n]) => !LOWER.some((p) => n.startsWith(p))).length);
  model.train();
  const { embeddings, layers } = model.encoder.stack();
  assert.equal(embeddings.training, false, 'frozen embeddings stay in eval mode (no dropout)');
  assert.equal(layers[0]!.training, false);
  assert.equal(layers[1]!.training, true);
  // Frozen, the lower part is a fixed function of its input even in train mode.
  const ids = tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int64' });
  const lower = (): number[] => noGrad(() => (layers[0] as unknown as { forward(x: Tensor, m: undefined): Tensor }).forward((embeddings as unknown as { forward(i: Tensor): Tensor }).forward(ids), undefined).toNumbers());
  manualSeed(1);
  const first = lower();
  manualSeed(2);
  assert.deepEqual(lower(), first);
  assert.throws(() => freezeLowerLayers(twoLayerModel(), 3), /freeze layers must be an integer from 0 to 2 \(the encoder's layers\), got 3/);
  model.dispose();
});

test('fine-tuning with freezeLayers leaves the frozen weights bit-identical; unlearning and retraining repeat the recipe', async () => {
  const ds = await loadDatasetFile(SPAM_SLICE);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-freeze-'));
  const base = path.join(root, 'base');
  makeTinyBase(base, ds).model.dispose();
  // Two layers, so one trains above the frozen one.
  const { model: loaded, tokenizer } = loadPretrained(base);
  loaded.dispose();
  manualSeed(0);
  const model = createModel({ vocabSize: tokenizer!.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64, labels: ds.labels }) as SequenceClassifier & Module;
  savePretrained(model, base, { tokenizerDir: base, overwrite: true });
  const lowerBefore = weights(model, LOWER);
  const upperBefore = weights(model, UPPER);
  const settings = { ...TINY_HYPERPARAMETERS, epochs: 3, freezeLayers: 1 };
  const result = finetune(model, tokenizer!, splitOf(ds, 'train'), [], settings);
  assert.ok(result.steps > 0);
  assert.deepEqual(weights(model, LOWER), lowerBefore, 'embeddings and layer 0 untouched');
  const upperAfter = weights(model, UPPER);
  assert.ok([...upperAfter].some(([n, v]) => v.some((x, i) => x !== upperBefore.get(n)![i])), 'layer 1 and the head trained');
  const original = path.join(root, 'original');
  savePretrained(model, original, { tokenizerDir: base });
  model.dispose();
  writeFileAtomic(path.join(original, 'train.json'), JSON.stringify({ base_model: base, dataset: ds.name, seed: 0, split_seed: 42, hyperparameters: settings }));
  assert.equal(recordedRecipe(original).settings?.freezeLayers, 1, 'the recipe carries the frozen layers (retrain repeats them)');

  const forget = resolveForgetSet(ds, 'random:0.1', { seed: 1 });
  const out = path.join(root, 'unlearned');
  const record = await unlearn({ modelDir: original, dataset: ds, forget, method: 'deepcut', out, hp: { steps: 3, lr: 1e-3 }, stop: 'none' });
  assert.equal(record.hyperparameters.freeze_layers, 1, "unlearning defaults to the original's frozen layers");
  const s = record.seconds!;
  assert.ok(s.steps > 0 && s.target === 0 && s.checks === 0, `seconds ${JSON.stringify(s)}: steps only under --stop none`);
  assert.ok(s.target + s.steps + s.checks <= record.wall_seconds, 'the parts fit in the wall time');
  const { model: unlearned } = loadPretrained(out);
  const { model: input } = loadPretrained(original);
  assert.deepEqual(weights(unlearned, LOWER), weights(input, LOWER), 'unlearning left the frozen layers alone');
  assert.notDeepEqual(weights(unlearned, UPPER), weights(input, UPPER));
  unlearned.dispose();
  const overridden = await unlearn({ modelDir: original, dataset: ds, forget, method: 'deepcut', out: path.join(root, 'all-layers'), hp: { steps: 3, lr: 1e-3, freezeLayers: 0 }, stop: 'none' });
  assert.equal(overridden.hyperparameters.freeze_layers, 0, '--hp freezeLayers=0 unfreezes');
  const { model: allLayers } = loadPretrained(path.join(root, 'all-layers'));
  assert.notDeepEqual(weights(allLayers, LOWER), weights(input, LOWER));
  allLayers.dispose();
  input.dispose();
  fs.rmSync(root, { recursive: true });
});
