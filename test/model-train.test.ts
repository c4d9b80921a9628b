// Training-side behaviour: dropout follows the mode, gradients reach every
// parameter, scopes leak nothing, fresh models are HF-initialised, and the
// token-classification and masked-LM heads work end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { scope, noGrad, manualSeed, liveTensors, zeroGrad, tensor, randint, arange, ones, F, AdamW, type Tensor } from '../src/engine';
import { loadSafetensors } from '../src/io/safetensors';
import { Linear, LayerNorm, Embedding } from '../src/nn';
import { loadPretrained, createModel, initWeights, BertForMaskedLM, type EncoderBatch } from '../src/model';

const FIXTURES = path.join(__dirname, '../../test/fixtures/parity');
const MODELS = ['bert', 'roberta', 'distilbert'] as const;

function referenceOf(name: string): { batch: EncoderBatch; ref: Map<string, Tensor> } {
  const ref = loadSafetensors(path.join(FIXTURES, name, 'reference.safetensors'));
  return { ref, batch: { inputIds: ref.get('input_ids')!, attentionMask: ref.get('attention_mask')!, tokenTypeIds: ref.get('token_type_ids') } };
}

const TINY = { vocabSize: 50, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };

for (const name of MODELS) {
  test(`${name}: dropout is active in train mode only`, () => scope(() => {
    const { model } = loadPretrained(path.join(FIXTURES, name));
    const { batch } = referenceOf(name);
    const run = () => noGrad(() => model.forward(batch, { outputHiddenStates: true }));
    model.train();
    manualSeed(1);
    const a = run();
    const b = run();
    assert.notDeepEqual(a.logits.toNumbers(), b.logits.toNumbers(), 'train: two passes differ');
    assert.notDeepEqual(a.hiddenStates![0]!.toNumbers(), b.hiddenStates![0]!.toNumbers(), 'train: embedding dropout');
    manualSeed(1);
    assert.deepEqual(run().logits.toNumbers(), a.logits.toNumbers(), 'train: same seed, same masks');
    model.eval();
    const c = run();
    assert.deepEqual(c.logits.toNumbers(), run().logits.toNumbers(), 'eval: deterministic');
    assert.notDeepEqual(c.logits.toNumbers(), a.logits.toNumbers());
    model.dispose();
  }));

  test(`${name}: a classification loss gives every parameter a non-zero gradient`, () => scope(() => {
    const { model } = loadPretrained(path.join(FIXTURES, name));
    const { batch } = referenceOf(name);
    model.train();
    manualSeed(0);
    F.crossEntropy(model.forward(batch).logits, tensor([0, 1, 2], { dtype: 'int64' })).backward();
    // None is exempt: every parameter lies on the path to the [CLS] logits (RoBERTa's single
    // token-type row and each embedding's used rows included; only the padding rows of the
    // word embeddings, and position rows past T, get zero, which the tensor-level check allows).
    const without = model.namedParameters().filter(([, p]) => !p.grad || p.grad.abs().maxAll().item() === 0).map(([n]) => n);
    assert.deepEqual(without, []);
    const padRow = model.encoder.stateDict().get('embeddings.word_embeddings.weight')!.grad!.select(0, model.config.padTokenId);
    assert.equal(padRow.abs().maxAll().item(), 0, 'padding row gets no gradient (padding_idx)');
    zeroGrad(model.parameters());
    model.dispose();
  }));
}

test('forward + backward inside a scope leaves no tensors behind', () => {
  const { model } = loadPretrained(path.join(FIXTURES, 'bert'));
  const { batch, ref } = referenceOf('bert');
  const labels = tensor([0, 1, 2], { dtype: 'int64' });
  const step = () => scope(() => {
    const out = model.train().forward(batch, { outputHiddenStates: true });
    F.crossEntropy(out.logits, labels).add(out.hiddenStates![1]!.pow(2).mean().mul(1e-3)).backward();
    return model.parameters().filter((p) => p.grad !== undefined).length;
  });
  step(); // first backward allocates the .grad buffers (owned by libtorch's parameters, not JS handles)
  const before = liveTensors();
  assert.equal(step(), model.parameters().length);
  noGrad(() => scope(() => model.eval().forward(batch, { outputHiddenStates: true }).pooled.sum().item()));
  assert.equal(liveTensors(), before, 'live tensors before and after');
  zeroGrad(model.parameters());
  model.dispose();
  labels.dispose();
  for (const t of ref.values()) t.dispose();
});

test('createModel builds a fresh, HF-initialised BERT; initWeights follows HF', () => scope(() => {
  manualSeed(0);
  const model = createModel({ ...TINY, initializerRange: 0.05 }, { task: 'masked-lm' });
  assert.ok(model instanceof BertForMaskedLM);
  for (const [name, m] of model.namedModules()) {
    if (m instanceof Linear) {
      const std = Math.sqrt(m.weight.pow(2).mean().item());
      assert.ok(std > 0.035 && std < 0.065, `${name}.weight std ${std}`);
      assert.equal(m.bias!.abs().maxAll().item(), 0, `${name}.bias`);
    } else if (m instanceof LayerNorm) {
      assert.equal(m.weight.sub(1).abs().maxAll().item(), 0);
      assert.equal(m.bias.abs().maxAll().item(), 0);
    } else if (m instanceof Embedding && m.paddingIdx !== undefined) {
      assert.equal(m.weight.select(0, m.paddingIdx).abs().maxAll().item(), 0, `${name} padding row`);
    }
  }
  assert.equal(model.cls.predictions.bias.abs().maxAll().item(), 0);
  assert.equal(model.config.layerNormEps, 1e-12);
  assert.equal(model.architecture, 'BertForMaskedLM');
  // Same seed, same weights.
  manualSeed(0);
  const again = createModel({ ...TINY, initializerRange: 0.05 }, { task: 'masked-lm' });
  assert.ok(again instanceof BertForMaskedLM);
  assert.deepEqual(again.bert.embeddings.word_embeddings.weight.toNumbers(), model.bert.embeddings.word_embeddings.weight.toNumbers());
  // initWeights on a loaded model resets it the same way.
  const { model: loaded } = loadPretrained(path.join(FIXTURES, 'bert'));
  initWeights(loaded, 0.02);
  const std = Math.sqrt(loaded.encoder.stateDict().get('encoder.layer.0.intermediate.dense.weight')!.pow(2).mean().item());
  assert.ok(std > 0.015 && std < 0.025, `std ${std}`);
  for (const m of [model, again, loaded]) m.dispose();
}));

test('masked LM: logits at selected positions equal those rows of the full output; a few steps learn', () => scope(() => {
  manualSeed(3);
  const model = createModel(TINY, { task: 'masked-lm' });
  const inputIds = randint(5, 50, [4, 10]);
  const batch = { inputIds, attentionMask: ones([4, 10], 'int64') };
  const positions = tensor([0, 7, 13, 39], { dtype: 'int64' });
  model.eval();
  const full = noGrad(() => model.forward(batch).logits);
  const picked = noGrad(() => model.forward(batch, { positions }).logits);
  assert.deepEqual(full.shape, [4, 10, 50]);
  assert.deepEqual(picked.shape, [4, 50]);
  const expected = full.flatten(0, 1).indexSelect(0, positions);
  assert.ok(picked.sub(expected).abs().maxAll().item() < 1e-6);

  model.train();
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  const targets = inputIds.flatten().indexSelect(0, positions);
  const losses: number[] = [];
  for (let i = 0; i < 30; i++) {
    losses.push(scope(() => {
      optimizer.zeroGrad();
      const loss = F.crossEntropy(model.forward(batch, { positions }).logits, targets);
      loss.backward();
      optimizer.step();
      return loss.item();
    }));
  }
  assert.ok(losses.at(-1)! < losses[0]! * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
  model.dispose();
}));

for (const modelType of MODELS) {
  test(`${modelType}: token classification gives [B, T, labels] logits; sequence classification [B, labels]`, () => scope(() => {
    manualSeed(0);
    const config = { ...TINY, modelType, labels: ['O', 'B', 'I'] };
    const tokens = createModel(config, { task: 'token-classification' });
    const sequences = createModel(config);
    const batch = { inputIds: randint(2, 50, [2, 6]), attentionMask: tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], { dtype: 'int64' }) };
    const out = noGrad(() => tokens.eval().forward(batch, { outputHiddenStates: true }));
    assert.deepEqual(out.logits.shape, [2, 6, 3]);
    assert.equal(out.hiddenStates!.length, 3);
    assert.ok(!tokens.stateDict().has(`${tokens.basePrefix}.pooler.dense.weight`), 'token heads have no pooler (HF)');
    assert.deepEqual(noGrad(() => sequences.eval().forward(batch)).logits.shape, [2, 3]);
    assert.equal(sequences.numLabels, 3);
    tokens.dispose();
    sequences.dispose();
  }));
}

test('padding does not change the real tokens\' outputs (the mask works)', () => scope(() => {
  manualSeed(2);
  for (const modelType of MODELS) {
    const model = createModel({ ...TINY, modelType }).eval();
    const pad = model.config.padTokenId;
    const short = tensor([[5, 6, 7, 8]], { dtype: 'int64' });
    const padded = tensor([[5, 6, 7, 8, pad, pad]], { dtype: 'int64' });
    const a = noGrad(() => model.forward({ inputIds: short }));
    const b = noGrad(() => model.forward({ inputIds: padded, attentionMask: tensor([[1, 1, 1, 1, 0, 0]], { dtype: 'int64' }) }));
    const err = a.logits.sub(b.logits).abs().maxAll().item();
    assert.ok(err < 1e-5, `${modelType}: logits moved by ${err}`);
    model.dispose();
  }
}));

test('inputs are checked with readable errors', () => scope(() => {
  manualSeed(0);
  const model = createModel(TINY);
  assert.throws(() => model.forward({ inputIds: tensor([[1, 2]]) }), /inputIds must be int64, got float32/);
  assert.throws(() => model.forward({ inputIds: arange(0, 3) }), /inputIds must be \[batch, seq\]/);
  assert.throws(() => model.forward({ inputIds: randint(0, 50, [1, 33]) }), /sequence length 33 needs 33 position embeddings, the model has 32/);
  assert.throws(() => model.forward({ inputIds: randint(0, 50, [2, 4]), attentionMask: ones([2, 5], 'int64') }), /attentionMask has shape \[2, 5\], inputIds \[2, 4\]/);
  model.dispose();
}));
