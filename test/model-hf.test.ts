// Hugging Face folders: clear errors for broken checkpoints and configs, fresh
// heads on encoder-only / MLM checkpoints, tied and legacy names, tokenizer
// files, and a save that never clobbers or half-writes a folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scope, noGrad, randn, type Tensor } from '../src/engine';
import { StateDictError } from '../src/nn';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors';
import { trainWordPiece } from '../src/text/wordpiece-trainer';
import { buildTokenizerFiles } from '../src/text/tokenizer-json';
import { loadPretrained, savePretrained, ConfigError, BertForSequenceClassification, BertForMaskedLM, type EncoderBatch } from '../src/model';

const FIXTURES = path.join(__dirname, '../../test/fixtures/parity');

/** A scratch copy of a fixture folder whose weights and config `edit` may change. */
function modifiedCopy(
  name: string,
  edit: { tensors?: (t: Map<string, Tensor>) => void; config?: (c: Record<string, unknown>) => void } = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deepcut-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  if (edit.tensors) {
    const tensors = loadSafetensors(path.join(dir, 'model.safetensors'));
    edit.tensors(tensors);
    saveSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    for (const t of tensors.values()) t.dispose();
  }
  if (edit.config) {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    edit.config(config);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  }
  return dir;
}

function dropKeys(tensors: Map<string, Tensor>, prefix: string): void {
  for (const key of [...tensors.keys()]) if (key.startsWith(prefix)) { tensors.get(key)!.dispose(); tensors.delete(key); }
}

function referenceOf(name: string): { batch: EncoderBatch; ref: Map<string, Tensor> } {
  const ref = loadSafetensors(path.join(FIXTURES, name, 'reference.safetensors'));
  return { ref, batch: { inputIds: ref.get('input_ids')!, attentionMask: ref.get('attention_mask')!, tokenTypeIds: ref.get('token_type_ids') } };
}

const maxAbsError = (a: Tensor, b: Tensor): number => a.sub(b).abs().maxAll().item();

test('wrong shape, missing and unexpected tensors are all named in one StateDictError', () => scope(() => {
  const dir = modifiedCopy('bert', {
    tensors: (t) => {
      t.get('bert.encoder.layer.1.attention.self.key.weight')!.dispose();
      t.set('bert.encoder.layer.1.attention.self.key.weight', randn([32, 31]));
      t.get('bert.encoder.layer.0.output.dense.bias')!.dispose();
      t.delete('bert.encoder.layer.0.output.dense.bias');
      t.set('bert.encoder.layer.2.output.dense.bias', randn([32]));
    },
  });
  assert.throws(() => loadPretrained(dir), (e: unknown) => {
    assert.ok(e instanceof StateDictError, String(e));
    assert.match(e.message, /model\.safetensors into BertForSequenceClassification: 3 problem/);
    assert.match(e.message, /bert\.encoder\.layer\.1\.attention\.self\.key\.weight: shape \[32, 31\] in checkpoint, \[32, 32\] in model/);
    assert.match(e.message, /bert\.encoder\.layer\.0\.output\.dense\.bias: missing from checkpoint/);
    assert.match(e.message, /bert\.encoder\.layer\.2\.output\.dense\.bias: unexpected/);
    return true;
  });
  fs.rmSync(dir, { recursive: true });
}));

test('a head tensor missing from a checkpoint that has the head is an error, not a silent re-init', () => {
  const dir = modifiedCopy('distilbert', { tensors: (t) => dropKeys(t, 'classifier.bias') });
  assert.throws(() => loadPretrained(dir), /classifier\.bias: missing from checkpoint/);
  fs.rmSync(dir, { recursive: true });
});

test('numLabels different from the checkpoint head is a shape error naming the head', () => {
  assert.throws(() => loadPretrained(path.join(FIXTURES, 'roberta'), { numLabels: 2 }), /classifier\.out_proj\.weight: shape \[3, 32\] in checkpoint, \[2, 32\] in model/);
});

test('a pytorch_model.bin-only folder explains the out-of-scope format and how to convert', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-bin-'));
  fs.copyFileSync(path.join(FIXTURES, 'bert/config.json'), path.join(dir, 'config.json'));
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not really a pickle');
  assert.throws(() => loadPretrained(dir), (e: unknown) => {
    const message = String(e);
    assert.match(message, /only pytorch_model\.bin found/);
    assert.match(message, /out of scope/);
    assert.match(message, /from safetensors\.torch import save_file/);
    assert.match(message, /safe_serialization=True/);
    return true;
  });
  fs.rmSync(dir, { recursive: true });
});

test('malformed configs fail naming the file and the field', () => {
  const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ['bert', (c) => { c.hidden_size = '32'; }, /config\.json: invalid config field "hidden_size": Expected number, received string/],
    ['bert', (c) => { delete c.num_attention_heads; }, /invalid config field "num_attention_heads": Required/],
    ['bert', (c) => { c.num_attention_heads = 5; }, /"num_attention_heads": hidden_size 32 is not divisible by 5 heads/],
    ['bert', (c) => { c.model_type = 'gpt2'; }, /"model_type": "gpt2" is not supported/],
    ['bert', (c) => { c.hidden_act = 'swish'; }, /"hidden_act"/],
    ['bert', (c) => { c.position_embedding_type = 'relative_key'; }, /"position_embedding_type": only "absolute"/],
    ['distilbert', (c) => { c.n_layers = -1; }, /"n_layers"/],
    ['roberta', (c) => { c.id2label = { 0: 'a', 2: 'b' }; }, /"id2label": ids must be 0\.\.n-1/],
  ];
  for (const [name, edit, pattern] of cases) {
    const dir = modifiedCopy(name, { config: edit });
    assert.throws(() => loadPretrained(dir), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.includes(path.join(dir, 'config.json')), e.message);
      assert.match(e.message, pattern);
      return true;
    });
    fs.rmSync(dir, { recursive: true });
  }
  const broken = modifiedCopy('bert');
  fs.writeFileSync(path.join(broken, 'config.json'), '{"model_type": "bert",');
  assert.throws(() => loadPretrained(broken), /config\.json: invalid config field "\(root\)": malformed JSON/);
  fs.rmSync(path.join(broken, 'config.json'));
  assert.throws(() => loadPretrained(broken), /config\.json: not found/);
  fs.rmSync(broken, { recursive: true });
});

test('an encoder-only checkpoint loads into a classifier with a fresh HF-initialised head', () => scope(() => {
  const dir = modifiedCopy('bert', {
    tensors: (t) => { dropKeys(t, 'classifier.'); dropKeys(t, 'bert.pooler.'); },
    config: (c) => { c.architectures = ['BertModel']; delete c.id2label; delete c.label2id; },
  });
  const { model, report } = loadPretrained(dir, { labels: ['ham', 'spam'] });
  assert.deepEqual(report.newlyInitializedParts, ['pooler', 'classification head']);
  assert.deepEqual(report.newlyInitialized, ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
  assert.equal(model.numLabels, 2);
  assert.deepEqual(model.config.labels, ['ham', 'spam']);
  assert.deepEqual((model as BertForSequenceClassification).classifier.bias!.toNumbers(), [0, 0]);
  const w = (model as BertForSequenceClassification).bert.pooler!.dense.weight;
  const std = Math.sqrt(w.pow(2).mean().item());
  assert.ok(std > 0.015 && std < 0.025, `fresh weights ~ N(0, 0.02), got std ${std}`);
  const { batch, ref } = referenceOf('bert');
  const out = noGrad(() => model.eval().forward(batch, { outputHiddenStates: true }));
  assert.ok(maxAbsError(out.hiddenStates![2]!, ref.get('hidden_states.2')!) < 1e-4, 'the encoder weights were loaded');
  assert.deepEqual(out.logits.shape, [3, 2]);
  model.dispose();
  fs.rmSync(dir, { recursive: true });
}));

/** The bert fixture reshaped into what bert-base-uncased ships: BertForPreTraining with cls.* heads. */
function preTrainingCheckpoint(): string {
  return modifiedCopy('bert', {
    tensors: (t) => {
      dropKeys(t, 'classifier.');
      const words = t.get('bert.embeddings.word_embeddings.weight')!;
      t.set('cls.predictions.transform.dense.weight', randn([32, 32]).mul(0.1));
      t.set('cls.predictions.transform.dense.bias', randn([32]).mul(0.1));
      t.set('cls.predictions.transform.LayerNorm.weight', randn([32]).mul(0.1).add(1));
      t.set('cls.predictions.transform.LayerNorm.bias', randn([32]).mul(0.1));
      t.set('cls.predictions.bias', randn([100]).mul(0.1));
      t.set('cls.predictions.decoder.weight', words.clone());
      t.set('cls.predictions.decoder.bias', t.get('cls.predictions.bias')!.clone());
      t.set('cls.seq_relationship.weight', randn([2, 32]));
      t.set('cls.seq_relationship.bias', randn([2]));
      t.set('bert.embeddings.position_ids', noGrad(() => randn([1, 64]).mul(0).long()));
    },
    config: (c) => { c.architectures = ['BertForPreTraining']; },
  });
}

test('a pre-training checkpoint loads as masked LM: decoder tied to the word embeddings, extras reported', () => scope(() => {
  const dir = preTrainingCheckpoint();
  const { model, report } = loadPretrained(dir, { task: 'masked-lm' });
  assert.ok(model instanceof BertForMaskedLM);
  assert.deepEqual(report.newlyInitialized, []);
  assert.deepEqual(report.ignored.sort(), ['bert.embeddings.position_ids', 'cls.predictions.decoder.bias', 'cls.predictions.decoder.weight']);
  assert.deepEqual(report.unused.sort(), ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
  assert.equal(model.cls.predictions.decoderWeight, model.bert.embeddings.word_embeddings.weight, 'the decoder is the embedding tensor itself');
  assert.ok(!model.stateDict().has('cls.predictions.decoder.weight'), 'a tied weight is stored once, as HF saves it');
  const saved = loadSafetensors(path.join(dir, 'model.safetensors'));
  assert.deepEqual(model.cls.predictions.bias.toNumbers(), saved.get('cls.predictions.bias')!.toNumbers());
  const { batch } = referenceOf('bert');
  const logits = noGrad(() => model.eval().forward(batch).logits);
  assert.deepEqual(logits.shape, [3, 12, 100]);
  model.dispose();

  // The same checkpoint as a classifier: the MLM/NSP heads are unused, the classification head is new.
  const asClassifier = loadPretrained(dir, { numLabels: 4 });
  assert.deepEqual(asClassifier.report.newlyInitializedParts, ['classification head']);
  assert.ok(asClassifier.report.unused.includes('cls.seq_relationship.weight'));
  assert.ok(asClassifier.report.unused.includes('cls.predictions.decoder.weight'));
  asClassifier.model.dispose();
  fs.rmSync(dir, { recursive: true });
}));

test('legacy names load: LayerNorm gamma/beta and a base model saved without the "bert." prefix', () => scope(() => {
  const dir = modifiedCopy('bert', {
    tensors: (t) => {
      for (const [key, value] of [...t]) {
        t.delete(key);
        if (!key.startsWith('bert.')) { value.dispose(); continue; }
        t.set(key.slice('bert.'.length).replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), value);
      }
    },
    config: (c) => { c.architectures = ['BertModel']; },
  });
  const { model, report } = loadPretrained(dir);
  assert.ok(report.renamed > 30, `renamed ${report.renamed}`);
  assert.deepEqual(report.newlyInitializedParts, ['classification head']);
  const { batch, ref } = referenceOf('bert');
  const out = noGrad(() => model.eval().forward(batch));
  assert.ok(maxAbsError(out.pooled, ref.get('pooler_output')!) < 1e-4);
  model.dispose();
  fs.rmSync(dir, { recursive: true });
}));

test('a folder with tokenizer.json gives a tokenizer; savePretrained copies the tokenizer files', () => scope(() => {
  const tokenizerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tok-'));
  const vocab = trainWordPiece(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 60 });
  for (const [file, content] of Object.entries(buildTokenizerFiles(vocab))) fs.writeFileSync(path.join(tokenizerDir, file), content);
  const { model } = loadPretrained(path.join(FIXTURES, 'bert'));
  const target = path.join(tokenizerDir, 'model');
  savePretrained(model, target, { tokenizerDir });
  assert.ok(fs.existsSync(path.join(target, 'tokenizer.json')) && fs.existsSync(path.join(target, 'vocab.txt')));
  const loaded = loadPretrained(target);
  assert.ok(loaded.tokenizer, 'tokenizer loaded');
  const tokens = loaded.tokenizer.encode('the dog').tokens;
  assert.deepEqual([tokens[0], tokens[1], tokens.at(-1)], ['[CLS]', 'the', '[SEP]']);
  model.dispose();
  loaded.model.dispose();
  fs.rmSync(tokenizerDir, { recursive: true });
}));

test('savePretrained refuses an existing folder unless told, then replaces it whole', () => scope(() => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-save-'));
  const target = path.join(parent, 'out');
  const { model } = loadPretrained(path.join(FIXTURES, 'distilbert'));
  savePretrained(model, target);
  fs.writeFileSync(path.join(target, 'stale.txt'), 'from before');
  assert.throws(() => savePretrained(model, target), /already exists; refusing to overwrite/);
  assert.ok(fs.existsSync(path.join(target, 'stale.txt')), 'the refused save touched nothing');
  savePretrained(model, target, { overwrite: true });
  assert.deepEqual(fs.readdirSync(target).sort(), ['config.json', 'model.safetensors']);
  assert.deepEqual(fs.readdirSync(parent), ['out'], 'no staging or replaced folders left behind');
  // A failing save (tokenizer folder without tokenizer files) leaves the existing folder intact.
  assert.throws(() => savePretrained(model, target, { overwrite: true, tokenizerDir: parent }), /no tokenizer files/);
  assert.deepEqual(fs.readdirSync(parent), ['out']);
  assert.ok(loadPretrained(target).model, 'still loadable');
  model.dispose();
  fs.rmSync(parent, { recursive: true });
}));
