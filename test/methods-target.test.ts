// Stopping targets estimated without retraining, on a synthetic case whose answer is known:
// references that never saw a subject whose labels no other data predicts put its target near
// 0; an ordinary subject's target sits near validation accuracy; class-matched compares a
// one-class forget set with held-out rows of that class; references for other data are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetHash, splitOf, type Dataset, type Example } from '../src/data';
import { loadPretrained, type SequenceClassifier } from '../src/model';
import { predict } from '../src/train/predict';
import { estimateTarget, partitionBySubject, readReferencesManifest, trainReferences, REFERENCES_FILE } from '../src/methods/target';
import { subjectOf } from '../src/methods/target/partition';
import { readUnseenScores, unseenScoresFile } from '../src/methods/target/unseen-scores';
import { readValidationScores, validationScoresFile } from '../src/methods/target/validation-scores';
import { ScoredSample } from '../src/methods/scored-sample';
import { hashModel } from '../src/provenance/hash';
import type { Classifier } from '../src/methods/types';
import type { StopTarget } from '../src/methods/stopping';
import { TINY_HYPERPARAMETERS } from './helpers/tiny-run';
import { FLIPPER, originalWithReferences, syntheticSubjects } from './helpers/synthetic-subjects';

interface Fixture { root: string; data: Dataset; original: string; references: string }
let cached: Promise<Fixture> | undefined;

const SETTINGS = { ...TINY_HYPERPARAMETERS, epochs: 12, patience: 12, maxLength: 16, lr: 3e-3 };

function fixture(): Promise<Fixture> {
  cached ??= (async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-target-'));
    const data = await syntheticSubjects(root);
    const { original, references } = originalWithReferences(root, data, SETTINGS);
    return { root, data, original, references };
  })();
  return cached;
}

function ofUser(data: Dataset, user: string): Example[] {
  return splitOf(data, 'train').filter((e) => e.user === user);
}

function withModel<T>(dir: string, fn: (model: Classifier, tokenizer: NonNullable<ReturnType<typeof loadPretrained>['tokenizer']>) => T): T {
  const { model, tokenizer } = loadPretrained(dir);
  try {
    return fn(model as Classifier, tokenizer!);
  } finally {
    model.dispose();
  }
}

function target(f: Fixture, rule: 'references' | 'class-matched', forget: readonly Example[], references = f.references, data = f.data, keptSubjects?: ReadonlySet<string>, modelFolder?: { dir: string; hash: string }): StopTarget {
  return withModel(f.original, (model, tokenizer) => estimateTarget({
    rule, model, tokenizer, forgetSample: forget, validation: splitOf(data, 'validation'), labels: data.labels, maxLength: SETTINGS.maxLength,
    ...(keptSubjects ? { keptSubjects } : {}), ...(modelFolder ? { modelFolder } : {}),
    references: { dir: references, dataset: data.name, splitSeed: 42, trainHash: datasetHash(splitOf(data, 'train')) },
  }));
}

test('subject partitions: disjoint, covering, one partition per subject, balanced', async () => {
  const { data } = await fixture();
  const train = splitOf(data, 'train');
  const parts = partitionBySubject(train, 4);
  const all = parts.flatMap((p) => p.ids);
  assert.equal(all.length, train.length);
  assert.equal(new Set(all).size, train.length, 'no record in two partitions');
  const subjectParts = new Map<string, number>();
  parts.forEach((p, i) => p.subjects.forEach((s) => { assert.ok(!subjectParts.has(s), `${s} in two partitions`); subjectParts.set(s, i); }));
  for (const e of train) assert.ok(parts[subjectParts.get(e.user!)!]!.ids.includes(e.id), 'a record sits with its subject');
  const sizes = parts.map((p) => p.ids.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 8, `balanced: ${sizes.join(', ')}`);
  assert.throws(() => partitionBySubject(train, 1), /k >= 2/);
});

test('references record what each saw; a subject no other data predicts gets a low target, an ordinary one a target near validation accuracy', async (t) => {
  const f = await fixture();
  const manifest = readReferencesManifest(f.references);
  assert.equal(manifest.k, 4);
  assert.equal(manifest.data_hash, datasetHash(splitOf(f.data, 'train')));
  assert.ok(manifest.partitions.every((p) => p.model_hash && fs.existsSync(path.join(f.references, p.folder, 'train.json'))));
  const validationAccuracy = withModel(f.original, (m, tok) => predict(m as SequenceClassifier, tok, splitOf(f.data, 'validation'), { maxLength: 16, batchSize: 32 }).accuracy);

  const flipped = target(f, 'references', ofUser(f.data, FLIPPER));
  const ordinary = target(f, 'references', ofUser(f.data, 'user-05'));
  t.diagnostic(`validation ${validationAccuracy.toFixed(3)}; flipper target ${flipped.accuracy.toFixed(3)} (${JSON.stringify(flipped.estimate.references_forget_accuracy)}), user-05 target ${ordinary.accuracy.toFixed(3)}`);
  assert.ok(validationAccuracy >= 0.9, `the tiny original learns the synthetic task (${validationAccuracy})`);
  assert.ok(flipped.accuracy <= 0.25, `flipper: references that never saw it get its labels wrong, target ${flipped.accuracy}`);
  assert.ok(Math.abs(ordinary.accuracy - validationAccuracy) <= 0.15, `user-05: target ${ordinary.accuracy} near validation ${validationAccuracy}`);
  assert.ok(flipped.loss > ordinary.loss, 'and the loss target follows');
  const perRef = flipped.estimate.per_reference as { unseen_forget_rows: number }[];
  assert.equal(perRef.filter((r) => r.unseen_forget_rows === 8).length, 3, 'three references never saw flipper, one saw all its records');
  assert.equal(perRef.filter((r) => r.unseen_forget_rows === 0).length, 1);
  assert.match(flipped.source, /3 that never saw its subject/);
});

test('a forget row whose subject keeps records in the retain set adds no reference gap: a random record of a staying user is judged like held-out data', async () => {
  const f = await fixture();
  const train = splitOf(f.data, 'train');
  const keptWithout = (forget: readonly Example[]) => new Set(train.filter((e) => !forget.some((x) => x.id === e.id)).map(subjectOf));
  const flipper = ofUser(f.data, FLIPPER);
  const whole = target(f, 'references', flipper, f.references, f.data, keptWithout(flipper));
  assert.equal(whole.estimate.whole_subject_rows, 8);
  // flipper leaves entirely, one of user-03's 8 records leaves: its subject is still trained on.
  const mixedForget = [...flipper, ofUser(f.data, 'user-03')[0]!];
  const mixed = target(f, 'references', mixedForget, f.references, f.data, keptWithout(mixedForget));
  assert.deepEqual([mixed.estimate.whole_subject_rows, mixed.estimate.kept_subject_rows], [8, 1]);
  const gap = (t: StopTarget) => t.estimate.accuracy_gap as number;
  assert.ok(Math.abs(gap(mixed) - (gap(whole) * 8) / 9) < 1e-12, `flipper's gap spread over 9 rows: ${gap(mixed)} vs ${gap(whole)}`);
  assert.match(mixed.source, /for the 8 of 9 rows whose whole subject is forgotten/);
  const one = [ofUser(f.data, 'user-03')[0]!];
  const random = target(f, 'references', one, f.references, f.data, keptWithout(one));
  const classMatched = target(f, 'class-matched', one);
  assert.equal(random.accuracy, classMatched.accuracy, 'no reference gap: the class-matched validation accuracy');
  assert.match(random.source, /no reference model scored/);
});

test('references.json keeps each reference\'s validation scores: a request scores only its forget rows, with the same target as scoring everything again', async () => {
  const f = await fixture();
  const manifest = readReferencesManifest(f.references);
  const validation = splitOf(f.data, 'validation');
  for (const p of manifest.partitions) {
    assert.equal(p.heldout!.ids.length, validation.length);
    assert.equal(p.heldout!.max_length, SETTINGS.maxLength);
  }
  const forget = ofUser(f.data, FLIPPER);
  const kept = target(f, 'references', forget);
  assert.equal(kept.estimate.heldout_scores_kept, true);
  // The same references without the kept scores: every reference scores the validation rows again.
  const bare = path.join(f.root, 'references-bare');
  fs.cpSync(f.references, bare, { recursive: true });
  const stripped = readReferencesManifest(bare);
  for (const p of stripped.partitions) delete p.heldout;
  fs.writeFileSync(path.join(bare, REFERENCES_FILE), JSON.stringify(stripped));
  // ... and without the kept unseen-row scores: the references score the forget rows again.
  for (const p of stripped.partitions) fs.rmSync(unseenScoresFile(bare, p.folder));
  const rescored = target(f, 'references', forget, bare);
  assert.equal(rescored.estimate.heldout_scores_kept, false);
  assert.equal(rescored.estimate.forget_scores_kept, false);
  assert.equal(kept.accuracy, rescored.accuracy);
  assert.ok(Math.abs(kept.loss - rescored.loss) < 1e-6, `${kept.loss} vs ${rescored.loss}`);
  // --resume on finished references fills in scores an older run did not keep: the validation
  // outcomes from each reference's own validation-scores.json (its fine-tune wrote them), ...
  trainReferences({ model: f.original, dataset: f.data, splitSeed: 42, k: 4, out: bare, resume: true });
  assert.ok(readReferencesManifest(bare).partitions.every((p, i) => JSON.stringify(p.heldout) === JSON.stringify(manifest.partitions[i]!.heldout)));
  // ... or, where that file is gone, by scoring the validation split: the same outcomes.
  const again = readReferencesManifest(bare);
  for (const p of again.partitions) {
    delete p.heldout;
    fs.rmSync(validationScoresFile(path.join(bare, p.folder)));
  }
  fs.writeFileSync(path.join(bare, REFERENCES_FILE), JSON.stringify(again));
  trainReferences({ model: f.original, dataset: f.data, splitSeed: 42, k: 4, out: bare, resume: true });
  assert.ok(readReferencesManifest(bare).partitions.every((p, i) => JSON.stringify(p.heldout) === JSON.stringify(manifest.partitions[i]!.heldout)), 'scored afresh: the same validation outcomes as the kept ones');
  for (const p of manifest.partitions) {
    assert.equal(fs.readFileSync(unseenScoresFile(bare, p.folder), 'utf8'), fs.readFileSync(unseenScoresFile(f.references, p.folder), 'utf8'), `${p.folder}: the same unseen-row scores again`);
  }
  fs.rmSync(bare, { recursive: true, force: true });
});

test('fine-tuning keeps the model\'s validation outcomes: a request\'s target reads them instead of scoring the split, with the same target', async () => {
  const f = await fixture();
  const validation = splitOf(f.data, 'validation');
  const hash = hashModel(f.original).manifest_hash;
  const forget = ofUser(f.data, FLIPPER);
  // The kept outcomes are the model's own: the same as scoring the split now.
  withModel(f.original, (model, tokenizer) => {
    const sample = new ScoredSample(validation, tokenizer, SETTINGS.maxLength);
    const kept = readValidationScores(f.original, validation, sample.layout, { modelHash: hash, maxLength: SETTINGS.maxLength })!;
    const now = sample.score(model);
    assert.deepEqual(kept.correct, now.correct);
    kept.loss.forEach((l, i) => assert.ok(Math.abs(l - now.loss[i]!) < 1e-6, `row ${i}: kept loss ${l} vs ${now.loss[i]}`));
    assert.equal(readValidationScores(f.original, validation, sample.layout, { modelHash: 'another-model', maxLength: SETTINGS.maxLength }), undefined, 'outcomes of another model are not used');
    assert.equal(readValidationScores(f.original, validation, sample.layout, { modelHash: hash, maxLength: SETTINGS.maxLength + 1 }), undefined, 'outcomes at another max length are not used');
    assert.equal(readValidationScores(f.original, validation.slice(1), sample.layout, { modelHash: hash, maxLength: SETTINGS.maxLength }), undefined, 'outcomes on other rows are not used');
  });
  for (const rule of ['references', 'class-matched'] as const) {
    const read = target(f, rule, forget, f.references, f.data, undefined, { dir: f.original, hash });
    const scored = target(f, rule, forget, f.references, f.data, undefined, { dir: f.original, hash: 'changed-since' });
    assert.equal(read.estimate.model_heldout_scores_kept, true, rule);
    assert.equal(scored.estimate.model_heldout_scores_kept, false, rule);
    assert.equal(read.accuracy, scored.accuracy, rule);
    assert.ok(Math.abs(read.loss - scored.loss) < 1e-6, `${rule}: ${read.loss} vs ${scored.loss}`);
    assert.ok(Math.abs(read.inputHeldout!.meanLoss - scored.inputHeldout!.meanLoss) < 1e-6, rule);
  }
  // A damaged file is an error naming it, not a silent rescoring.
  const copy = path.join(f.root, 'damaged-model');
  fs.cpSync(f.original, copy, { recursive: true });
  fs.writeFileSync(validationScoresFile(copy), '{"format":');
  assert.throws(() => target(f, 'class-matched', forget, f.references, f.data, undefined, { dir: copy, hash }), /damaged-model\/validation-scores\.json: not valid JSON/);
  fs.rmSync(copy, { recursive: true, force: true });
});

test('each reference keeps its outcomes on every train record it never saw: a request\'s target is a lookup that runs no reference model', async () => {
  const f = await fixture();
  const manifest = readReferencesManifest(f.references);
  const train = splitOf(f.data, 'train');
  for (const p of manifest.partitions) {
    const own = new Set(p.ids);
    const kept = readUnseenScores(unseenScoresFile(f.references, p.folder), { modelHash: p.model_hash!, maxLength: SETTINGS.maxLength })!;
    assert.deepEqual([...kept.at.keys()].sort(), train.filter((e) => !own.has(e.id)).map((e) => e.id).sort(), `${p.folder}: exactly the records it never saw`);
    assert.equal(readUnseenScores(unseenScoresFile(f.references, p.folder), { modelHash: 'another-model', maxLength: SETTINGS.maxLength }), undefined, 'scores of another model are not used');
  }
  const flipper = ofUser(f.data, FLIPPER);
  const fromKept = target(f, 'references', flipper);
  assert.equal(fromKept.estimate.forget_scores_kept, true);
  assert.equal(fromKept.estimate.heldout_scores_kept, true);
  // The kept outcomes are the references' own: the flipper's 8 records, each judged by the 3 that never saw it.
  const perRef = fromKept.estimate.per_reference as { index: number; unseen_forget_rows: number; forget_accuracy: number | null }[];
  for (const r of perRef.filter((x) => x.unseen_forget_rows > 0)) {
    const p = manifest.partitions[r.index]!;
    const scored = withModel(path.join(f.references, p.folder), (m, tok) => predict(m as SequenceClassifier, tok, flipper, { maxLength: SETTINGS.maxLength, batchSize: 32 }).accuracy);
    assert.equal(r.forget_accuracy, scored, `${p.folder}: the kept outcomes equal scoring it now`);
  }
  // A damaged file is an error naming it, never a silent rescore.
  const file = unseenScoresFile(f.references, manifest.partitions[0]!.folder);
  const copy = path.join(f.root, 'damaged.unseen-scores.json');
  fs.writeFileSync(copy, fs.readFileSync(file, 'utf8').slice(0, 100));
  assert.throws(() => readUnseenScores(copy, { modelHash: manifest.partitions[0]!.model_hash!, maxLength: SETTINGS.maxLength }), /damaged\.unseen-scores\.json: not valid JSON/);
  // So is a field of the wrong type (validated with the file's schema, not trusted).
  fs.writeFileSync(copy, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), max_length: 'sixty-four' }));
  assert.throws(() => readUnseenScores(copy, { modelHash: manifest.partitions[0]!.model_hash!, maxLength: SETTINGS.maxLength }), /damaged\.unseen-scores\.json: field 'max_length'.*delete it to score the references again/);
});

test('class-matched: a one-class forget set is compared with held-out rows of that class', async () => {
  const f = await fixture();
  const omega = splitOf(f.data, 'train').filter((e) => e.labelName === 'omega').slice(0, 20);
  const got = target(f, 'class-matched', omega);
  const heldOmega = splitOf(f.data, 'validation').filter((e) => e.labelName === 'omega');
  const expected = withModel(f.original, (m, tok) => predict(m as SequenceClassifier, tok, heldOmega, { maxLength: 16, batchSize: 32 }).accuracy);
  assert.equal(got.accuracy, expected);
  assert.deepEqual(got.estimate.forget_class_mix, { omega: 20 });
  // A class without held-out rows falls back to the pooled rate, with a note (never NaN).
  const noOmega = { ...f.data, examples: f.data.examples.filter((e) => e.split !== 'validation' || e.labelName === 'alpha') };
  const fallback = target(f, 'class-matched', omega, f.references, noOmega);
  assert.ok(Number.isFinite(fallback.accuracy));
  assert.match(fallback.notes?.[0] ?? '', /no validation rows of class 'omega'/);
});

test('references for other data, unfinished or changed references are refused with a clear message', async () => {
  const f = await fixture();
  const flipper = ofUser(f.data, FLIPPER);
  const changed = { ...f.data, examples: f.data.examples.map((e, i) => (i === 0 ? { ...e, text: `${e.text} changed` } : e)) };
  assert.throws(() => target(f, 'references', flipper, f.references, changed), /field 'data_hash' .* is not this run's train split/);
  assert.throws(() => target(f, 'references', flipper, path.join(f.root, 'nowhere')), /no references.json \(train reference models with 'deepcut references/);

  const copy = path.join(f.root, 'references-copy');
  fs.cpSync(f.references, copy, { recursive: true });
  const file = path.join(copy, REFERENCES_FILE);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete manifest.partitions[2].model_hash;
  fs.writeFileSync(file, JSON.stringify(manifest));
  assert.throws(() => target(f, 'references', flipper, copy), /reference 2 \(ref-2\) is not finished; continue with 'deepcut references .* --resume'/);
  manifest.partitions[2].model_hash = 'f'.repeat(64);
  fs.writeFileSync(file, JSON.stringify(manifest));
  assert.throws(() => target(f, 'references', flipper, copy), /reference 2 \(ref-2\) changed since it was trained/);

  // A finished set is not retrained on resume; another k cannot reuse the folder.
  const again = trainReferences({ model: f.original, dataset: f.data, splitSeed: 42, k: 4, out: f.references, resume: true });
  assert.deepEqual(again.partitions.map((p) => p.model_hash), readReferencesManifest(f.references).partitions.map((p) => p.model_hash));
  assert.throws(() => trainReferences({ model: f.original, dataset: f.data, splitSeed: 42, k: 3, out: f.references, resume: true }), /planned for another original, data, k, seed or recipe/);
  assert.throws(() => trainReferences({ model: f.original, dataset: f.data, splitSeed: 42, k: 4, out: f.references }), /already holds references.json \(pass --resume/);
});
