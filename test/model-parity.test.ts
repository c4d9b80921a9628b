// Parity with Hugging Face (the PyTorch re-implementation in tools/parity):
// logits, every hidden state and BERT's pooler output at 1e-4, plus the
// save -> load round trip reproducing outputs exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scope, noGrad, type Tensor } from '../src/engine';
import { loadSafetensors } from '../src/io/safetensors';
import { loadPretrained, savePretrained, robertaPositionIds, type SequenceClassifier, type EncoderBatch } from '../src/model';

const FIXTURES = path.join(__dirname, '../../test/fixtures/parity');
const TOLERANCE = 1e-4;

const maxAbsError = (a: Tensor, b: Tensor): number => a.sub(b).abs().maxAll().item();

function referenceBatch(ref: Map<string, Tensor>): EncoderBatch {
  return { inputIds: ref.get('input_ids')!, attentionMask: ref.get('attention_mask')!, tokenTypeIds: ref.get('token_type_ids') };
}

function disposeAll(tensors: Map<string, Tensor>): void {
  for (const t of tensors.values()) t.dispose();
}

for (const name of ['bert', 'roberta', 'distilbert', 'bert_f16', 'bert_bf16']) {
  test(`${name}: logits, hidden states${name.startsWith('bert') ? ', pooler output' : ''} match HF within ${TOLERANCE}`, () => {
    const dir = path.join(FIXTURES, name);
    const { model, report } = loadPretrained(dir);
    const ref = loadSafetensors(path.join(dir, 'reference.safetensors'));
    assert.deepEqual(report.newlyInitialized, [], 'every tensor came from the checkpoint');
    model.eval();
    scope(() => noGrad(() => {
      const out = model.forward(referenceBatch(ref), { outputHiddenStates: true });
      const check = (what: string, actual: Tensor, expected: Tensor): void => {
        assert.deepEqual(actual.shape, expected.shape, `${name} ${what} shape`);
        const err = maxAbsError(actual, expected);
        assert.ok(err < TOLERANCE, `${name} ${what}: max abs error ${err.toExponential(2)} >= ${TOLERANCE}`);
      };
      check('logits', out.logits, ref.get('logits')!);
      assert.equal(out.hiddenStates!.length, model.config.numLayers + 1);
      out.hiddenStates!.forEach((h, i) => check(`hidden_states.${i}`, h, ref.get(`hidden_states.${i}`)!));
      if (ref.has('pooler_output')) check('pooler_output', out.pooled, ref.get('pooler_output')!);
      check('cls (last hidden state at position 0)', out.cls, ref.get(`hidden_states.${model.config.numLayers}`)!.select(1, 0));
    }));
    disposeAll(ref);
    model.dispose();
  });
}

test('roberta: position ids are cumsum(ids != pad) * mask + pad, as HF computes them', () => scope(() => {
  const ref = loadSafetensors(path.join(FIXTURES, 'roberta/reference.safetensors'));
  assert.deepEqual(robertaPositionIds(ref.get('input_ids')!, 1).toNumbers(), ref.get('position_ids')!.toNumbers());
  disposeAll(ref);
}));

test('hidden states are only computed when asked for', () => scope(() => {
  const dir = path.join(FIXTURES, 'distilbert');
  const { model } = loadPretrained(dir);
  const ref = loadSafetensors(path.join(dir, 'reference.safetensors'));
  model.eval();
  const out = noGrad(() => model.forward(referenceBatch(ref)));
  assert.equal(out.hiddenStates, undefined);
  assert.ok(maxAbsError(out.logits, ref.get('logits')!) < TOLERANCE);
  disposeAll(ref);
  model.dispose();
}));

for (const name of ['bert', 'roberta', 'distilbert']) {
  test(`${name}: savePretrained -> loadPretrained reproduces the outputs exactly`, () => {
    const source = path.join(FIXTURES, name);
    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-model-')), 'saved');
    const { model } = loadPretrained(source);
    savePretrained(model, target);
    const { model: reloaded, report } = loadPretrained<'sequence-classification'>(target);
    const ref = loadSafetensors(path.join(source, 'reference.safetensors'));
    scope(() => noGrad(() => {
      const run = (m: SequenceClassifier) => m.eval().forward(referenceBatch(ref), { outputHiddenStates: true });
      const a = run(model);
      const b = run(reloaded);
      assert.deepEqual(a.logits.toNumbers(), b.logits.toNumbers());
      a.hiddenStates!.forEach((h, i) => assert.deepEqual(h.toNumbers(), b.hiddenStates![i]!.toNumbers(), `hidden_states.${i}`));
      assert.deepEqual(a.pooled.toNumbers(), b.pooled.toNumbers());
    }));
    assert.deepEqual(report.newlyInitialized, []);
    const config = JSON.parse(fs.readFileSync(path.join(target, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, [model.architecture]);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    assert.deepEqual(config.label2id, { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
    assert.equal(config.model_type, name);
    // The written state dict has exactly the checkpoint's names.
    const written = loadSafetensors(path.join(target, 'model.safetensors'));
    const original = loadSafetensors(path.join(source, 'model.safetensors'));
    assert.deepEqual([...written.keys()].sort(), [...original.keys()].sort());
    disposeAll(written);
    disposeAll(original);
    disposeAll(ref);
    model.dispose();
    reloaded.dispose();
    fs.rmSync(path.dirname(target), { recursive: true, force: true });
  });
}
