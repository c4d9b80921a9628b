// The frozen-prefix cache: with the lower layers frozen, their output is computed once per
// forget row and reused; a forward pass started above them gives the same outputs as the whole
// pass, in eval and train mode, for each architecture; a model that did not make the cached
// state ignores it; an unlearning run with the cache lands where the run without it lands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed, noGrad, scope } from '../src/engine';
import { buildModel, encoderConfig, freezeLowerLayers, loadPretrained, type ModelType } from '../src/model';
import type { Example } from '../src/data';
import { loadDatasetFile, resolveForgetSet } from '../src/data';
import { makeBatch } from '../src/train/batches';
import { FrozenPrefixCache } from '../src/methods/frozen-prefix';
import { unlearn } from '../src/methods/unlearn';
import type { Classifier } from '../src/methods/types';
import { makeTinyBase, SPAM_SLICE, tinyRun } from './helpers/tiny-run';
import { ScoredSample } from '../src/methods/scored-sample';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const modelType of ['use-lite', 'bert', 'distilbert'] as ModelType[]) {
  test(`${modelType}: a forward pass started above the cached frozen layers equals the whole pass`, async () => {
    const ds = await loadDatasetFile(SPAM_SLICE);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-prefix-'));
    const { tokenizer } = makeTinyBase(path.join(root, 'base'), ds);
    manualSeed(0);
    const config = encoderConfig({
      modelType, vocabSize: tokenizer.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64,
      maxPositionEmbeddings: 64, labels: ds.labels, ...(modelType === 'use-lite' ? { embeddingSize: 16 } : {}),
    });
    const model = buildModel(config, 'sequence-classification') as Classifier;
    freezeLowerLayers(model, 1);
    // Short rows among the 48-token ones, so batches pad.
    const shorten = (e: Example, i: number): Example => (i % 2 ? { ...e, text: e.text.slice(0, 10 + 12 * i) } : e);
    const forget = ds.examples.slice(0, 6).map(shorten);
    const other = ds.examples.slice(6, 9).map(shorten);
    const cache = new FrozenPrefixCache(model, 1, new Set<Example>(forget), 1 << 30);
    // Rows of different lengths, forget rows twice (two views), and rows the cache does not keep.
    const rows = [...forget.slice(0, 4), ...other, ...forget.slice(0, 4)];
    scope(() => {
      const mask = makeBatch(tokenizer, [...forget, ...other], 48).attentionMask!.sum([1]).toNumbers();
      assert.ok(new Set(mask).size >= 3, `rows of several lengths: ${mask.join(', ')}`);
    });
    for (const training of [false, true]) {
      model.train(training);
      scope(() => {
        const plain = makeBatch(tokenizer, rows, 48);
        manualSeed(7);
        const whole = noGrad(() => model.forward(plain).logits.toNumbers());
        manualSeed(7);
        const started = noGrad(() => model.forward(cache.attach(makeBatch(tokenizer, rows, 48), rows)).logits.toNumbers());
        assert.ok(maxAbsDiff(whole, started) < 1e-5, `${training ? 'train' : 'eval'} mode: max |diff| ${maxAbsDiff(whole, started)}`);
      });
    }
    // Each distinct row was computed once per batch; the kept (forget) rows once in all.
    assert.equal(cache.cachedRows, 4);
    assert.equal(cache.computed, 4 + 3 + 3);
    // A stopping check's scores are the same through the cache (forget rows 4 and 5 are new to it).
    const sample = new ScoredSample(forget, tokenizer, 48);
    const direct = sample.score(model);
    const through = sample.score(model, (batch, rows) => cache.attach(batch, rows));
    assert.deepEqual(through.correct, direct.correct);
    assert.ok(maxAbsDiff(through.loss, direct.loss) < 1e-5);
    assert.equal(cache.cachedRows, 6);
    // Rows added to keep (a check's held-out sample) are kept once computed.
    cache.keepAlso(other);
    scope(() => { cache.attach(makeBatch(tokenizer, other, 48), other); });
    assert.equal(cache.cachedRows, 9);
    scope(() => {
      // Another model given the batch starts from its own embeddings.
      const batch = cache.attach(makeBatch(tokenizer, forget.slice(0, 2), 48), forget.slice(0, 2));
      const twin = buildModel(config, 'sequence-classification') as Classifier;
      twin.eval();
      const plain = noGrad(() => twin.forward(makeBatch(tokenizer, forget.slice(0, 2), 48)).logits.toNumbers());
      assert.deepEqual(noGrad(() => twin.forward(batch).logits.toNumbers()), plain);
      // Unfrozen layers are not a fixed function of a row: no cache over them.
      assert.throws(() => new FrozenPrefixCache(twin, 1, [], 1), /needs the embeddings and those layers frozen/);
      twin.dispose();
    });
    assert.throws(() => new FrozenPrefixCache(model, 0, new Set(), 1), /at least one frozen layer/);
    cache.dispose();
    model.dispose();
    fs.rmSync(root, { recursive: true });
  });
}

test('an unlearning run with the frozen-prefix cache lands where the run without it lands', async () => {
  const { original, dataset: ds } = await tinyRun();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-prefix-run-'));
  const forget = resolveForgetSet(ds, 'random:0.1', { seed: 1 });
  const run = (name: string, frozenCacheMb: number) => unlearn({
    modelDir: original, dataset: ds, forget, method: 'deepcut', out: path.join(root, name),
    hp: { steps: 4, lr: 1e-3, freezeLayers: 1, frozenCacheMb }, stop: 'none',
  });
  const cached = await run('cached', 1024);
  await run('plain', 0);
  assert.equal(cached.hyperparameters.frozen_cache_mb, 1024);
  const a = loadPretrained(path.join(root, 'cached')).model;
  const b = loadPretrained(path.join(root, 'plain')).model;
  const wa = noGrad(() => a.namedParameters().flatMap(([, p]) => p.toNumbers()));
  const wb = noGrad(() => b.namedParameters().flatMap(([, p]) => p.toNumbers()));
  assert.ok(maxAbsDiff(wa, wb) < 1e-4, `weights differ by ${maxAbsDiff(wa, wb)}`);
  a.dispose();
  b.dispose();
  fs.rmSync(root, { recursive: true });
});
