// Unlearning evaluation end to end on a tiny random-init model and a real data slice:
// every metrics.json key in range, zero gap to itself, reusable reference scores, the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { manualSeed, liveTensors } from '../src/engine';
import { createModel, savePretrained, type SequenceClassifier } from '../src/model';
import type { Module } from '../src/nn';
import { loadDatasetFile, splitOf, resolveForgetSet, retainSplit, type Dataset, type Example } from '../src/data';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';
import { TextTokenizer } from '../src/text/tokenizer';
import { evaluateModel, flattenMetrics, latentProjection, selectEvalSets } from '../src/eval';
import { hfScorable, loadScorable, type Scorable } from '../src/eval/scorable';
import { evaluationReportInput } from '../src/report';

const SLICE = path.join(__dirname, '../../test/fixtures/data/spamassassin-slice.jsonl');
const CLI = path.join(__dirname, '../src/cli/main.js');
const OPTIONS = { maxLength: 32, batchSize: 32, retainSample: 60, seed: 0 };

/** Every key the issue asks for, plus the counts; all must be numbers after flattening. */
const REQUIRED = [
  'accuracy.forget', 'accuracy.retain', 'accuracy.test', 'macro_f1.forget', 'macro_f1.retain', 'macro_f1.test',
  'mia.loss_auc', 'mia.confidence_auc', 'mia.entropy_auc', 'mia.efficacy',
  'latent.own_centroid_cosine', 'latent.nearest_other_centroid_cosine', 'latent.centroid_margin', 'latent.closer_to_other_share', 'latent.knn_agreement',
  'forget.count', 'retain.count', 'retain.scored', 'test.count', 'wall_seconds',
];
const UNIT = REQUIRED.filter((k) => /^(accuracy|macro_f1|mia)\.|latent\.(closer|knn)/.test(k));

interface Fixture { ds: Dataset; dir: string; forget: Example[]; retain: Example[]; test: Example[]; spec: string }

/** A tiny random-init classifier saved as a HF folder with its own small tokenizer. */
async function fixture(): Promise<Fixture> {
  const ds = await loadDatasetFile(SLICE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-eval-model-'));
  trainTokenizerToDir(dir, { vocabSize: 300, texts: splitOf(ds, 'train').map((e) => e.text), modelMaxLength: 32 });
  const tokenizer = TextTokenizer.fromDir(dir);
  manualSeed(0);
  const model = createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32, labels: ds.labels });
  const modelDir = path.join(dir, 'model');
  savePretrained(model, modelDir, { tokenizerDir: dir });
  model.dispose();
  const spec = 'random:0.1';
  const forgetSet = resolveForgetSet(ds, spec, { seed: 42 });
  const ids = new Set(forgetSet.ids);
  return { ds, dir: modelDir, forget: splitOf(ds, 'train').filter((e) => ids.has(e.id)), retain: retainSplit(ds, forgetSet), test: splitOf(ds, 'test'), spec };
}

const shared = fixture();

test('evaluateModel: every metric present and in range; the gap of a model to itself is 0', async () => {
  const f = await shared;
  const before = liveTensors();
  const { scorable, hash } = loadScorable(f.dir);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(scorable.labels, f.ds.labels);
  const result = evaluateModel({ scorable, reference: scorable, forget: f.forget, retain: f.retain, test: f.test, options: OPTIONS, modelHash: hash });
  const flat = flattenMetrics(result.metrics);
  for (const key of REQUIRED) assert.equal(typeof flat[key], 'number', `${key} is a number`);
  for (const key of UNIT) assert.ok(flat[key]! >= 0 && flat[key]! <= 1, `${key} = ${flat[key]} in [0, 1]`);
  for (const key of ['latent.own_centroid_cosine', 'latent.nearest_other_centroid_cosine']) assert.ok(Math.abs(flat[key]!) <= 1 + 1e-9, `${key} is a cosine`);
  assert.equal(flat['forget.count'], 20, 'random:0.1 of 199 train emails');
  assert.equal(flat['retain.count'], 179);
  assert.equal(flat['retain.scored'], 60, 'retainSample');
  assert.equal(flat['test.count'], 21);
  assert.equal(result.metrics.model?.hash, hash);
  // Accuracy is computed from the scored logits: recount it by hand for the test set.
  const testScores = result.model.scores.test;
  let correct = 0;
  testScores.labels.forEach((label, i) => (correct += testScores.logits[2 * i + label]! > testScores.logits[2 * i + 1 - label]! ? 1 : 0));
  assert.equal(flat['accuracy.test'], correct / 21);
  // The reference is the same model: its metrics are the model's, every gap is exactly 0.
  const { accuracy, macro_f1, mia, latent, subjects } = result.metrics;
  assert.ok(subjects, "the slice's forgotten senders have test emails");
  assert.equal(result.metrics.test.subject_rows, result.sets.subjectTest.length);
  assert.deepEqual(result.metrics.reference, { accuracy, macro_f1, mia, latent, subjects });
  const gaps = Object.entries(flattenMetrics(result.metrics.gap!, 'gap'));
  assert.equal(gaps.length, 17, "a gap per accuracy, macro-F1, MIA and latent metric and the subjects' test accuracy, plus the average");
  for (const [key, value] of gaps) assert.equal(value, 0, `${key} = 0`);
  scorable.dispose();
  assert.equal(liveTensors(), before, 'scoring and disposing leak no tensors');
});

test('a precomputed reference evaluation is reused (not re-scored) and must match the sets', async () => {
  const f = await shared;
  const { scorable } = loadScorable(f.dir);
  let calls = 0;
  const counting: Scorable = { numLabels: scorable.numLabels, labels: scorable.labels, score: (e, o) => (calls++, scorable.score(e, o)), dispose: () => {} };
  const first = evaluateModel({ scorable: counting, reference: counting, forget: f.forget, retain: f.retain, test: f.test, options: OPTIONS });
  assert.equal(calls, 6, 'model and reference each scored on forget, retain and test');
  const second = evaluateModel({ scorable: counting, reference: first.reference!, forget: f.forget, retain: f.retain, test: f.test, options: OPTIONS });
  assert.equal(calls, 9, 'only the evaluated model is scored again');
  assert.deepEqual(second.metrics.gap, first.metrics.gap);
  assert.throws(
    () => evaluateModel({ scorable: counting, reference: first.reference!, forget: f.forget, retain: f.retain, test: f.test, options: { ...OPTIONS, retainSample: 50 } }),
    /different forget\/retain\/test sets/,
  );
  // Same seed, same retain sample; a different seed draws a different one of the same size.
  const a = selectEvalSets(f, { retainSample: 60, seed: 0 });
  assert.equal(a.fingerprint, first.sets.fingerprint);
  const b = selectEvalSets(f, { retainSample: 60, seed: 1 });
  assert.equal(b.retain.length, 60);
  assert.notEqual(b.fingerprint, a.fingerprint);
  assert.equal(selectEvalSets(f, { retainSample: 0 }).retain.length, 179, '0 = all');
  // One PCA basis per model: forget points all present, background capped per set.
  const latent = latentProjection(first.model.scores, { background: 10 });
  assert.equal(latent.points.filter((p) => p.set === 'forget').length, 20);
  assert.equal(latent.points.filter((p) => p.set === 'retain').length, 10);
  assert.equal(latent.points.filter((p) => p.set === 'test').length, 10);
  assert.ok(latent.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  assert.ok(latent.explainedVarianceRatio[0] >= latent.explainedVarianceRatio[1]);
  // Report rows: the measurements (and gap) only; time only when the model's production time is known.
  const report = evaluationReportInput({
    title: 't', dataset: 'd', forget: { spec: 'random:0.1', count: 20, hash: 'h' }, labels: f.ds.labels,
    model: { name: 'unlearned', metrics: first.metrics, latent },
    reference: { name: 'retrained', metrics: first.reference!.metrics, wallSeconds: 12 },
  });
  assert.equal(report.referenceModel, 'retrained');
  const [row, referenceRow] = report.models;
  assert.equal(row!.metrics['accuracy.forget'], first.metrics.accuracy.forget);
  assert.equal(row!.metrics['gap.average'], 0);
  assert.equal(row!.metrics['wall_seconds'], undefined, "the evaluation's own time is not the model's");
  assert.equal(row!.metrics['forget.count'], undefined);
  assert.equal(referenceRow!.metrics['wall_seconds'], 12);
  assert.equal(row!.latent!.points.filter((p) => p.isForget).length, 20);
  assert.ok(row!.latent!.points.every((p) => f.ds.labels.includes(p.label)));
  scorable.dispose();
});

test('hfScorable leaves a model it does not own alive and restores train mode', async () => {
  const f = await shared;
  const tokenizer = TextTokenizer.fromDir(f.dir);
  manualSeed(1);
  const model = createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32, labels: f.ds.labels }) as SequenceClassifier & Module;
  model.train();
  const scorable = hfScorable(model, tokenizer, { disposeModel: false });
  const one = scorable.score(f.test.slice(0, 5), { maxLength: 32, batchSize: 2 });
  const two = scorable.score(f.test.slice(0, 5), { maxLength: 32, batchSize: 5 });
  assert.equal(one.dim, 16);
  assert.equal(one.embeddings.length, 5 * 16);
  for (let i = 0; i < one.logits.length; i++) assert.ok(Math.abs(one.logits[i]! - two.logits[i]!) < 1e-5, 'eval mode: batching does not change scores');
  assert.equal(model.training, true, 'train mode restored');
  scorable.dispose();
  assert.equal(model.parameters()[0]!.shape.length > 0, true, 'model still usable');
  model.dispose();
});

test('deepcut eval writes metrics.json and report.html; refuses bad folders, label mismatch and overwrite', async () => {
  const f = await shared;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-eval-out-'));
  const args = ['eval', '--model', f.dir, '--data', SLICE, '--forget', f.spec, '--out', out, '--max-length', '32', '--retain-sample', '50'];
  const stdout = execFileSync(process.execPath, [CLI, ...args, '--reference', f.dir, '--overwrite'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(stdout, /MIA loss AUC/);
  assert.match(stdout, /gap\.average 0\.000/);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  const flat = flattenMetrics(metrics);
  for (const key of [...REQUIRED, 'gap.average', 'gap.accuracy.forget', 'gap.mia.loss_auc', 'reference.accuracy.test', 'reference.latent.knn_agreement']) {
    assert.equal(typeof flat[key], 'number', `metrics.json has ${key}`);
  }
  assert.equal(flat['retain.scored'], 50);
  assert.equal(flat['gap.average'], 0);
  const forget = metrics.forget as { hash: string; spec: string };
  assert.equal(forget.spec, f.spec);
  assert.equal(forget.hash, resolveForgetSet(f.ds, f.spec, { seed: 42 }).hash);
  assert.match((metrics.model as { hash: string }).hash, /^[0-9a-f]{64}$/);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /chart-latent-0/);
  assert.match(html, /chart-latent-1/, 'a scatter for the reference too');

  const fails = (extra: string[], pattern: RegExp): void => {
    assert.throws(() => execFileSync(process.execPath, [CLI, ...extra], { stdio: 'pipe' }), (e: unknown) => {
      const err = e as { status: number; stderr: Buffer };
      assert.equal(err.status, 2, err.stderr.toString());
      assert.match(err.stderr.toString(), pattern);
      return true;
    });
  };
  fails(args, /exists and is not empty \(pass --overwrite to replace it\)/);
  const fresh = path.join(out, 'fresh');
  const withOut = (o: string[]): string[] => [...o.slice(0, o.indexOf('--out') + 1), fresh, ...o.slice(o.indexOf('--out') + 2)];
  fails(withOut(args.map((a) => (a === f.dir ? path.join(out, 'missing') : a))), /--model .*missing: no such folder/);
  fails(withOut(args.map((a) => (a === f.dir ? out : a))), /not a model folder/);
  fails(withOut(args.map((a) => (a === SLICE ? SLICE.replace('spamassassin', 'sotu') : a)).map((a) => (a === f.spec ? 'random:0.05' : a))), /labels \[ham, spam\] .* do not match dataset sotu-slice/);
  assert.equal(fs.existsSync(fresh), false, 'nothing written on failure');
  fs.rmSync(out, { recursive: true });
});

test("subjects.test_accuracy: the forget set's subjects on their own test rows, compared with the reference", () => {
  // Sender 'a' is forgotten; 'b' stays; 'c' has no train rows in the forget set. A row without a user is its own subject.
  const ex = (id: string, split: Example['split'], label: number, user?: string): Example => ({ id, text: id, label, labelName: String(label), split, ...(user ? { user } : {}) });
  const forget = [ex('f1', 'train', 0, 'a'), ex('f2', 'train', 0, 'a'), ex('f3', 'train', 1)];
  const retain = [ex('r1', 'train', 0, 'b'), ex('r2', 'train', 1, 'c'), ex('r3', 'train', 1, 'b'), ex('r4', 'train', 0, 'c')];
  const test = [ex('t1', 'test', 0, 'a'), ex('t2', 'test', 1, 'b'), ex('t3', 'test', 0, 'a'), ex('t4', 'test', 1, 'a'), ex('t5', 'test', 0, 'c'), ex('t6', 'test', 1, 'b')];
  /** Predicts class 1 for the ids listed, class 0 for the rest. */
  const predicting = (ones: readonly string[]): Scorable => ({
    numLabels: 2, labels: ['0', '1'], dispose: () => {},
    score: (examples) => ({
      logits: Float32Array.from(examples.flatMap((e) => (ones.includes(e.id) ? [0, 2] : [2, 0]))),
      embeddings: Float32Array.from(examples.flatMap((e, i) => [1 + i, e.label])), dim: 2,
    }),
  });
  const sets = selectEvalSets({ forget, retain, test }, { retainSample: 0 });
  assert.deepEqual([...sets.subjectTest], [0, 2, 3], "t1, t3 and t4 are sender a's");
  // The model gets all of a's test rows right (t4 is class 1); the reference, which never saw a, only t4.
  const model = predicting(['t4', 't2', 't6', 'r2', 'r3']);
  const reference = predicting(['t1', 't3', 't4', 't2', 't6', 'r2', 'r3']);
  const result = evaluateModel({ scorable: model, reference, forget, retain, test, options: { ...OPTIONS, retainSample: 0 } });
  assert.equal(result.metrics.subjects?.test_accuracy, 1);
  assert.equal(result.metrics.reference?.subjects?.test_accuracy, 1 / 3);
  assert.ok(Math.abs(result.metrics.gap!.subjects!.test_accuracy - 2 / 3) < 1e-12);
  assert.equal(result.metrics.test.subject_rows, 3);
  assert.equal(result.metrics.accuracy.test, 1, 'every test row right');
  // Not part of the average gap (the literature's four terms).
  assert.equal(result.metrics.gap!.average, (result.metrics.gap!.accuracy.forget + result.metrics.gap!.accuracy.retain + result.metrics.gap!.accuracy.test + result.metrics.gap!.mia.loss_auc) / 4);
  // A forget set whose subjects have no test rows (records without users) has no such metric.
  const none = evaluateModel({ scorable: model, forget: [forget[2]!], retain, test, options: { ...OPTIONS, retainSample: 0 } });
  assert.equal(none.metrics.subjects, undefined);
  assert.equal(none.metrics.test.subject_rows, 0);
});
