// The library's workflow (finetuneModel, unlearn, evaluateUnlearning, predictTexts, imported from
// the package's entry point) and `deepcut predict`, on a tiny random-init encoder and the
// SpamAssassin slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  evaluateUnlearning, finetuneModel, loadDatasetFile, loadPretrained, loadTextClassifier, predictTexts, resolveForgetSet,
  splitOf, unlearn, type Dataset, type SequenceClassifier, type TextPrediction,
} from '../src';
import { predict } from '../src/train/predict';
import { trainSisa } from '../src/methods/sisa';
import { loadSisaEnsemble } from '../src/methods/sisa/ensemble';
import { makeTinyBase, SPAM_SLICE } from './helpers/tiny-run';

const CLI = path.join(__dirname, '../../dist/src/cli/main.js');
const SETTINGS = { epochs: 3, batchSize: 16, lr: 2e-3, maxLength: 48, patience: 3 };

interface Fixture { root: string; data: Dataset; base: string; original: string }
let cached: Promise<Fixture> | undefined;

function fixture(): Promise<Fixture> {
  cached ??= (async () => {
    const data = await loadDatasetFile(SPAM_SLICE);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-api-'));
    const base = path.join(root, 'base');
    makeTinyBase(base, data).model.dispose();
    const original = path.join(root, 'original');
    finetuneModel({ data, base, out: original, settings: SETTINGS });
    return { root, data, base, original };
  })();
  return cached;
}

test.after(async () => {
  if (cached) fs.rmSync((await cached).root, { recursive: true, force: true });
});

function checkPrediction(p: TextPrediction, labels: readonly string[]): void {
  assert.deepEqual(Object.keys(p.probabilities), labels);
  const values = Object.values(p.probabilities);
  assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
  assert.equal(p.label, labels[p.labelId]);
  assert.equal(p.probabilities[p.label], Math.max(...values), 'the label is the most probable');
}

test('finetuneModel writes a model folder with train.json (its settings, the split seed)', async () => {
  const { data, original } = await fixture();
  const record = JSON.parse(fs.readFileSync(path.join(original, 'train.json'), 'utf8')) as { hyperparameters: { max_length: number; epochs: number }; split_seed: number; labels: string[] };
  // JSON records are snake_case (docs/provenance.md).
  assert.equal(record.hyperparameters.max_length, 48);
  assert.equal(record.hyperparameters.epochs, 3);
  assert.equal(record.split_seed, 42);
  assert.deepEqual(record.labels, data.labels);
  assert.ok(fs.existsSync(path.join(original, 'model.safetensors')) && fs.existsSync(path.join(original, 'tokenizer.json')));
});

test('predictTexts: labels and probabilities equal the model\'s softmax, in input order', async () => {
  const { data, original } = await fixture();
  const examples = splitOf(data, 'test').slice(0, 12);
  const got = predictTexts(original, examples.map((e) => e.text));
  assert.equal(got.length, examples.length);
  const { model, tokenizer } = loadPretrained(original);
  const want = predict(model as SequenceClassifier, tokenizer!, examples, { maxLength: 48, batchSize: 5 });
  model.dispose();
  got.forEach((p, i) => {
    checkPrediction(p, data.labels);
    assert.equal(p.labelId, want.predictions[i], `example ${i}`);
    const row = Array.from(want.logits.subarray(i * 2, i * 2 + 2));
    const max = Math.max(...row);
    const exp = row.map((v) => Math.exp(v - max));
    const sum = exp[0]! + exp[1]!;
    for (const [c, name] of data.labels.entries()) assert.ok(Math.abs(p.probabilities[name]! - exp[c]! / sum) < 1e-6, `example ${i} ${name}`);
  });
  // Batching does not change the answer; maxLength defaults to train.json's 48.
  const classifier = loadTextClassifier(original);
  assert.equal(classifier.maxLength, 48);
  assert.equal(classifier.kind, 'hf');
  const again = classifier.predict(examples.map((e) => e.text), { batchSize: 3 });
  got.forEach((p, i) => {
    assert.equal(again[i]!.label, p.label);
    for (const name of data.labels) assert.ok(Math.abs(again[i]!.probabilities[name]! - p.probabilities[name]!) < 1e-5);
  });
  assert.deepEqual(classifier.predict([]), []);
  classifier.dispose();
  classifier.dispose();
  assert.throws(() => classifier.predict(['x']), /after dispose/);
});

test('unlearn + evaluateUnlearning against a retrained reference write metrics.json and report.html', async () => {
  const { root, data, base, original } = await fixture();
  const forget = resolveForgetSet(data, 'largest-user');
  const retrain = path.join(root, 'retrain');
  finetuneModel({ data, base, forget: 'largest-user', out: retrain, settings: SETTINGS });
  const unlearned = path.join(root, 'unlearned');
  const record = await unlearn({ modelDir: original, dataset: data, forget, method: 'deepcut', out: unlearned, hp: { steps: 10, lr: 5e-4 } });
  assert.equal(record.method, 'deepcut');
  // The unlearned folder has no train.json: prediction and evaluation read unlearn.json's window.
  const unlearnedClassifier = loadTextClassifier(unlearned);
  assert.equal(unlearnedClassifier.maxLength, 48);
  unlearnedClassifier.dispose();
  const out = path.join(root, 'eval');
  const result = evaluateUnlearning({ model: unlearned, reference: retrain, data, forget: 'largest-user', out, retainSample: 50 });
  assert.equal(result.metrics.forget.count, forget.ids.length);
  assert.equal(result.metrics.retain.scored, 50);
  assert.ok(result.metrics.gap && Number.isFinite(result.metrics.gap.average));
  assert.ok(result.metrics.reference);
  const written = JSON.parse(fs.readFileSync(result.files!.metrics, 'utf8')) as { accuracy: { forget: number }; forget: { spec: string }; gap: { average: number } };
  assert.equal(written.accuracy.forget, result.metrics.accuracy.forget);
  assert.equal(written.forget.spec, 'largest-user');
  assert.equal(written.gap.average, result.metrics.gap.average);
  assert.match(fs.readFileSync(result.files!.report, 'utf8'), /^<!DOCTYPE html>/i);
  // Labels that do not match the dataset's are refused by name.
  const other = { ...data, labels: ['a', 'b'] };
  assert.throws(() => evaluateUnlearning({ model: unlearned, data: other, forget }), /labels \[ham, spam\].*\[a, b\]/);
});

test('deepcut predict --text / --data prints one JSON line per text, as predictTexts', async () => {
  const { root, data, original } = await fixture();
  const texts = ['Cheap meds, order now!!!', 'Minutes of the meeting attached, see you Tuesday.'];
  const lib = predictTexts(original, texts);
  const out = execFileSync(process.execPath, [CLI, 'predict', '--model', original, '--text', texts[0]!, '--text', texts[1]!], { encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { text?: string; id?: string; label: string; probabilities: Record<string, number> });
  assert.equal(lines.length, 2);
  lines.forEach((line, i) => {
    assert.deepEqual(Object.keys(line), ['text', 'label', 'probabilities']);
    assert.equal(line.text, texts[i]);
    assert.equal(line.label, lib[i]!.label);
    for (const name of data.labels) assert.ok(Math.abs(line.probabilities[name]! - lib[i]!.probabilities[name]!) < 1e-6);
  });

  // A dataset file as is (ids, labels and other fields), CSV with a text column, plain lines.
  const records = splitOf(data, 'train').slice(0, 4);
  const jsonl = path.join(root, 'some.jsonl');
  fs.writeFileSync(jsonl, records.map((e) => JSON.stringify({ id: e.id, text: e.text, label: e.labelName, user: e.user ?? null })).join('\n') + '\n\n');
  const fromJsonl = execFileSync(process.execPath, [CLI, 'predict', '--model', original, '--data', jsonl], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: string });
  assert.deepEqual(fromJsonl.map((l) => l.id), records.map((e) => e.id));
  const expected = predictTexts(original, records.map((e) => e.text));
  assert.deepEqual(fromJsonl.map((l) => l.label), expected.map((p) => p.label));
  const csv = path.join(root, 'some.csv');
  fs.writeFileSync(csv, `other,text\n1,"${texts[0]}"\n2,"${texts[1]}, with ""quotes"""\n`);
  const fromCsv = execFileSync(process.execPath, [CLI, 'predict', '--model', original, '--data', csv], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as { text: string });
  assert.deepEqual(fromCsv.map((l) => l.text), [texts[0], `${texts[1]}, with "quotes"`]);
  const txt = path.join(root, 'some.txt');
  fs.writeFileSync(txt, `${texts[0]}\n\n${texts[1]}\n`);
  const fromTxt = execFileSync(process.execPath, [CLI, 'predict', '--model', original, '--data', txt], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(fromTxt.length, 2);
  const noText = path.join(root, 'notext.csv');
  fs.writeFileSync(noText, 'id,body\n1,hello\n');
  const r = spawnSync(process.execPath, [CLI, 'predict', '--model', original, '--data', noText], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /notext\.csv: line 1: no 'text' column/);
});

test('a SISA folder predicts by majority vote, probabilities its mean softmax (library and CLI)', async () => {
  const { root, data, base } = await fixture();
  const sisa = path.join(root, 'sisa');
  trainSisa({
    out: sisa, base, labels: data.labels, train: splitOf(data, 'train'), validation: splitOf(data, 'validation'), shards: 3, slices: 1, seed: 0,
    settings: { ...SETTINGS, epochs: 1, weightDecay: 0.01, warmupFraction: 0.1 }, splitSeed: 42,
  });
  const examples = splitOf(data, 'test').slice(0, 10);
  const got = predictTexts(sisa, examples.map((e) => e.text));
  const ensemble = loadSisaEnsemble(sisa);
  const scores = ensemble.score(examples, { maxLength: 48, batchSize: 32 });
  ensemble.dispose();
  got.forEach((p, i) => {
    assert.equal(p.labelId, scores.predictions[i], `vote of example ${i}`);
    assert.equal(p.label, data.labels[p.labelId]);
    for (const [c, name] of data.labels.entries()) assert.ok(Math.abs(p.probabilities[name]! - scores.probabilities[i * 2 + c]!) < 1e-6);
  });
  const out = execFileSync(process.execPath, [CLI, 'predict', '--model', sisa, '--text', examples[0]!.text], { encoding: 'utf8' });
  assert.equal((JSON.parse(out) as { label: string }).label, got[0]!.label);
});
