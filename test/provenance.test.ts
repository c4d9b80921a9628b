// Lineage, ledger and verify (issue 17): two successive deletion requests on a tiny model, the
// retrain reference of generation 2, tampering detected and named, an unlearned folder scored
// with its own recipe, a folder from before lineages, pretrain refusing a non-empty folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveForgetSet, splitOf } from '../src/data';
import { idSetHash } from '../src/data/hash';
import { unlearn } from '../src/methods/unlearn';
import { recordedRecipe } from '../src/methods/recipe';
import { finetuneToFolder } from '../src/train/run';
import { evaluateUnlearning } from '../src/api/workflow';
import { macroF1OverPresent } from '../src/eval/evaluate';
import { classificationReport } from '../src/eval/classification';
import { hashModel, manifestText, sha256File } from '../src/provenance/hash';
import { readLedgerLines } from '../src/provenance/ledger';
import { readLineage, type Lineage } from '../src/provenance/lineage';
import { verifyFolder } from '../src/provenance/verify';
import { run as runCli } from '../src/cli/main';
import { tinyRun, TINY_HYPERPARAMETERS } from './helpers/tiny-run';

const LOOP = { steps: 10, evalEvery: 5, forgetBatch: 8, retainBatch: 16, lr: 5e-4 };
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;

interface Chain { root: string; original: string; gen1: string; gen2: string; retrain2: string; a: string[]; b: string[]; train: string[] }
let chain: Promise<Chain> | undefined;

/** original (finetuneToFolder, with lineage + ledger) → forget A → gen1 → forget B → gen2; retrain of gen 2 from gen1. */
function twoRequests(): Promise<Chain> {
  chain ??= (async () => {
    const tiny = await tinyRun();
    const ds = tiny.dataset;
    const root = fs.mkdtempSync(path.join(tiny.root, 'lineage-'));
    const original = path.join(root, 'original');
    const { checkpointDir: _c, resume: _r, onStep: _o, ...settings } = { ...TINY_HYPERPARAMETERS, epochs: 2, maxLength: 40 };
    finetuneToFolder({ base: tiny.base, dataset: ds, out: original, settings, splitSeed: 42 });
    const A = resolveForgetSet(ds, 'largest-user', { seed: 42 });
    const B = resolveForgetSet(ds, 'largest-user:2', { seed: 42 });
    const gen1 = path.join(root, 'gen1');
    const gen2 = path.join(root, 'gen2');
    const retrain2 = path.join(root, 'retrain2');
    await unlearn({ modelDir: original, dataset: ds, forget: A, method: 'neggrad-plus', out: gen1, hp: LOOP });
    await unlearn({ modelDir: gen1, dataset: ds, forget: B, method: 'neggrad-plus', out: gen2, hp: LOOP });
    await unlearn({ modelDir: gen1, dataset: ds, forget: B, method: 'retrain', out: retrain2 });
    return { root, original, gen1, gen2, retrain2, a: A.ids, b: B.ids, train: splitOf(ds, 'train').map((e) => e.id) };
  })();
  return chain;
}

test('two successive requests: the second run\'s retain set excludes A ∪ B, and so does its retrain reference', async () => {
  const c = await twoRequests();
  const union = new Set([...c.a, ...c.b]);
  assert.ok(c.a.length > 0 && c.b.length > 0 && c.a.every((id) => !c.b.includes(id)));
  const expectedRetain = c.train.filter((id) => !union.has(id));
  for (const dir of [c.gen2, c.retrain2]) {
    const u = readJson(path.join(dir, 'unlearn.json'));
    assert.equal(u.retain.count, expectedRetain.length, dir);
    assert.equal(u.retain.hash, idSetHash(expectedRetain), dir);
    assert.equal(u.generation, 2);
    assert.deepEqual(u.previously_forgotten, { count: c.a.length, hash: idSetHash(c.a) });
    assert.deepEqual(u.forgotten, { count: union.size, hash: idSetHash(union) });
    assert.equal(u.model, '../gen1', 'paths are relative to the record');
    assert.ok(path.isAbsolute(u.model_absolute));
    assert.equal(u.input_model_hash, hashModel(c.gen1).manifest_hash);
    assert.equal(u.output_model_hash, hashModel(dir).manifest_hash);
    assert.ok(u.provenance.deepcut_version && u.provenance.node && Array.isArray(u.provenance.argv));
    assert.equal(typeof u.provenance.threads.torch, 'number');
    const lineage = readJson(path.join(dir, 'lineage.json')) as Lineage;
    assert.equal(lineage.generation, 2);
    assert.deepEqual(lineage.deletions.map((d) => [d.spec, d.hash, d.count]), [['largest-user', idSetHash(c.a), c.a.length], ['largest-user:2', idSetHash(c.b), c.b.length]]);
    assert.ok(lineage.deletions.every((d) => d.subjects.length === 1), 'each request names its data subject');
    assert.equal(lineage.recipe.max_length, 40);
    assert.equal(lineage.recipe.split_seed, 42);
    assert.equal(lineage.recipe.base_model, '../../base');
  }
  // The retrain of generation 2 trained on exactly that retain set, from the base encoder.
  assert.equal(readJson(path.join(c.retrain2, 'unlearn.json')).method, 'retrain');
  // Snake case in train.json, manifest hash of the base recorded.
  const t = readJson(path.join(c.original, 'train.json'));
  assert.equal(t.hyperparameters.max_length, 40);
  assert.equal(t.hyperparameters.batch_size, 16);
  assert.equal(t.hyperparameters.maxLength, undefined);
  assert.equal(t.base_model, '../../base');
  // The ledger of gen2 = original's entry, gen1's entry, gen2's entry.
  const lines = readLedgerLines(c.gen2)!;
  assert.deepEqual(lines.map((l) => JSON.parse(l).type), ['finetune', 'unlearn', 'unlearn']);
  assert.deepEqual(readLedgerLines(c.gen1), lines.slice(0, 2));
});

test('train.json names the manifest hash of the folder it describes and of its start', async () => {
  const c = await twoRequests();
  const record = readJson(path.join(c.original, 'train.json'));
  assert.equal(record.model_hash, hashModel(c.original).manifest_hash);
  assert.equal(typeof record.base_model_hash, 'string');
  assert.notEqual(record.model_hash, record.base_model_hash);
});

test('the manifest hash is sha256 of sorted "sha256  path" lines (what sha256sum prints)', async () => {
  const c = await twoRequests();
  const h = hashModel(c.gen2);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(f in h.files, f);
  assert.ok(Object.keys(h.files).every((f) => !f.endsWith('.json') || !['unlearn.json', 'lineage.json', 'forget.json'].includes(f)));
  const text = manifestText(h.files);
  assert.equal(text, Object.keys(h.files).map((f) => `${sha256File(path.join(c.gen2, f))}  ${f}\n`).join(''));
  assert.equal(h.manifest_hash, require('node:crypto').createHash('sha256').update(text).digest('hex'));
});

test('verify passes on an untouched lineage and fails, naming it, after a byte of a weight file, a record or a ledger entry changes', async () => {
  const c = await twoRequests();
  for (const dir of [c.original, c.gen1, c.gen2, c.retrain2]) {
    const report = verifyFolder(dir);
    assert.ok(report.ok, `${dir}: ${JSON.stringify(report.checks, null, 1)}`);
  }
  assert.equal(await runCli(['node', 'deepcut', 'verify', c.gen2]), 0);
  const flipByte = (file: string, at: (size: number) => number) => {
    const bytes = fs.readFileSync(file);
    const i = at(bytes.length);
    bytes[i] = bytes[i]! ^ 0x01;
    fs.writeFileSync(file, bytes);
  };
  const cases: { name: string; file: string; at: (n: number) => number; expect: RegExp }[] = [
    { name: 'weight', file: 'model.safetensors', at: (n) => n - 3, expect: /model files: .*model\.safetensors changed/ },
    { name: 'record', file: 'unlearn.json', at: (n) => Math.floor(n / 2), expect: /records: .*unlearn\.json changed/ },
    { name: 'lineage', file: 'lineage.json', at: (n) => Math.floor(n / 3), expect: /records: .*lineage\.json changed/ },
  ];
  for (const k of cases) {
    const copy = path.join(c.root, `tamper-${k.name}`);
    fs.cpSync(c.gen2, copy, { recursive: true });
    flipByte(path.join(copy, k.file), k.at);
    const report = verifyFolder(copy);
    assert.equal(report.ok, false, k.name);
    const failed = report.checks.filter((x) => x.ok === false).map((x) => `${x.name}: ${x.detail}`).join('\n');
    assert.match(failed, k.expect, k.name);
    assert.equal(await runCli(['node', 'deepcut', 'verify', copy]), 1);
  }
  // A ledger entry: the middle one (caught by the next entry's prev and its own seal) and the last one (its seal).
  const lines = readLedgerLines(c.gen2)!;
  for (const [index, expect] of [[1, /ledger\.jsonl line 2 does not match its seal/], [2, /ledger\.jsonl line 3 does not match its seal/]] as const) {
    const copy = path.join(c.root, `tamper-ledger-${index}`);
    fs.cpSync(c.gen2, copy, { recursive: true });
    const edited = [...lines];
    edited[index] = edited[index]!.replace(/"method":"neggrad-plus"/, '"method":"neggrad-pluz"');
    assert.notEqual(edited[index], lines[index]);
    fs.writeFileSync(path.join(copy, 'ledger.jsonl'), edited.map((l) => `${l}\n`).join(''));
    const failed = verifyFolder(copy).checks.filter((x) => x.ok === false).map((x) => x.detail).join('\n');
    assert.match(failed, expect);
  }
  // Removing the middle entry breaks the chain at a named line.
  const copy = path.join(c.root, 'tamper-ledger-removed');
  fs.cpSync(c.gen2, copy, { recursive: true });
  fs.writeFileSync(path.join(copy, 'ledger.jsonl'), [lines[0], lines[2]].map((l) => `${l}\n`).join(''));
  assert.match(verifyFolder(copy).checks.filter((x) => x.ok === false).map((x) => x.detail).join('\n'), /line 2: seq is 2, expected 1/);
});

test('an unlearned folder evaluates (and retrains) with its own recipe, even with its original gone', async () => {
  const c = await twoRequests();
  const tiny = await tinyRun();
  const moved = path.join(c.root, 'gen1-alone');
  fs.cpSync(c.gen1, moved, { recursive: true });
  fs.cpSync(c.original, path.join(c.root, 'original-kept'), { recursive: true });
  fs.rmSync(c.original, { recursive: true });
  try {
    assert.equal(fs.existsSync(path.join(moved, 'train.json')), false);
    const recipe = recordedRecipe(moved);
    assert.equal(recipe.maxLength, 40);
    assert.equal(recipe.splitSeed, 42);
    assert.equal(recipe.settings?.batchSize, 16);
    const out = path.join(c.root, 'eval-gen2');
    const result = evaluateUnlearning({ model: c.gen2, reference: c.retrain2, data: tiny.dataset, forget: 'largest-user:2', out, retainSample: 0 });
    const metrics = readJson(result.files!.metrics);
    assert.equal(metrics.settings.max_length, 40);
    assert.equal(metrics.forget.previously_forgotten.count, c.a.length);
    // The retain set scored excludes A too.
    assert.equal(metrics.retain.count, c.train.length - c.a.length - c.b.length);
    const rows = fs.readFileSync(result.files!.samples, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.filter((r) => r.set === 'forget').length, c.b.length);
    assert.ok(rows.every((r) => !c.a.includes(r.id) || r.set !== 'retain'));
    assert.ok('reference_predicted' in rows[0] && 'loss' in rows[0] && 'correct' in rows[0]);
  } finally {
    fs.renameSync(path.join(c.root, 'original-kept'), c.original);
  }
});

test('a folder from before lineages (camelCase train.json, no ledger) still unlearns; verify says what it cannot prove', async () => {
  const tiny = await tinyRun();
  const legacy = readLineage(tiny.original);
  assert.equal(legacy.generation, 0);
  assert.match(legacy.notes!.join(' '), /no lineage\.json/);
  assert.equal(recordedRecipe(tiny.original).maxLength, 48);
  const report = verifyFolder(tiny.original);
  assert.equal(report.ok, false);
  assert.equal(report.head, null);
  assert.match(report.checks.map((x) => x.detail).join(' '), /no ledger\.jsonl.*nothing about its history can be verified/);
  assert.ok(report.does_not_prove.some((p) => /which data, base encoder or recipe/.test(p)));
  const out = path.join(tiny.root, 'legacy-gen1');
  const forget = resolveForgetSet(tiny.dataset, 'largest-user', { seed: 42 });
  const u = await unlearn({ modelDir: tiny.original, dataset: tiny.dataset, forget, method: 'neggrad-plus', out, hp: { ...LOOP, steps: 5 } });
  assert.equal(u.generation, 1);
  assert.match(u.notes!.join(' '), /no lineage\.json/);
  assert.equal(u.max_length, 48);
  // Its ledger starts with an import of the legacy model; everything after it verifies.
  const lines = readLedgerLines(out)!;
  assert.deepEqual(lines.map((l) => JSON.parse(l).type), ['import', 'unlearn']);
  const v = verifyFolder(out);
  assert.ok(v.ok, JSON.stringify(v.checks, null, 1));
});

test('macro_f1.forget averages over the classes the forget set holds', () => {
  // 500 spam, one predicted ham: 0.4995 over truth ∪ predictions, ~0.999 over the set's one class.
  const truth = new Array(500).fill(1);
  const predicted = [...new Array(499).fill(1), 0];
  const report = classificationReport(truth, predicted, 2);
  assert.ok(Math.abs(report.macroF1 - 0.4995) < 1e-3);
  assert.ok(Math.abs(macroF1OverPresent(report) - 2 * 499 / (2 * 499 + 1)) < 1e-12);
});

test('pretrain refuses a non-empty --out without --overwrite or --resume', async () => {
  const tiny = await tinyRun();
  const dir = path.join(tiny.root, 'pretrain-out');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'do not overwrite me');
  const corpus = path.join(tiny.root, 'corpus.txt');
  fs.writeFileSync(corpus, 'one document\nanother document\n');
  const errors: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['node', 'deepcut', 'pretrain', '--corpus', corpus, '--out', dir, '--steps', '1']), 2);
  } finally {
    process.stderr.write = original;
  }
  assert.match(errors.join(''), /exists and is not empty \(pass --overwrite/);
  assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'do not overwrite me');
});
