import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assignSplit,
  countBySplit,
  datasetHash,
  loadDataset,
  loadLabelMap,
  mulberry32,
  saveLabelMap,
  shuffled,
  splitOf,
} from '../src/data';

const dir = mkdtempSync(join(tmpdir(), 'deepcut-data-format-'));
function file(name: string, contents: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

const JSONL = [
  '{"id":"a1","text":"hello there","label":"pos","user":"ann","split":"train"}',
  '{"id":"a2","text":"bad day","label":"neg","user":"bob","split":"train"}',
  '',
  '{"id":"a3","text":"fine, \\"quoted\\"\\nsecond line","label":"pos","split":"validation"}',
  '{"id":4,"text":"numbers as ids are text","label":"neg","split":"test"}',
  '{"id":"a5","text":"no split given","label":"pos","extra":"ignored"}',
].join('\n');

test('JSONL: fields, sorted label map, given and seeded splits, per-split log line', async () => {
  const lines: string[] = [];
  const ds = await loadDataset(file('small.jsonl', JSONL + '\n'), { seed: 42, log: (m) => lines.push(m) });
  assert.equal(ds.name, 'small');
  assert.deepEqual(ds.labels, ['neg', 'pos']);
  assert.deepEqual(
    ds.examples.map((e) => [e.id, e.label, e.labelName, e.user, e.split]),
    [
      ['a1', 1, 'pos', 'ann', 'train'],
      ['a2', 0, 'neg', 'bob', 'train'],
      ['a3', 1, 'pos', undefined, 'validation'],
      ['4', 0, 'neg', undefined, 'test'],
      ['a5', 1, 'pos', undefined, assignSplit('a5', 42)],
    ],
  );
  assert.equal(ds.examples[2]?.text, 'fine, "quoted"\nsecond line');
  const counts = countBySplit(ds.examples);
  assert.equal(lines.length, 1);
  assert.equal(lines[0], `read 5 rows from ${join(dir, 'small.jsonl')}: train=${counts.train} validation=${counts.validation} test=${counts.test}`);
});

test('CSV (RFC 4180: quotes, commas, doubled quotes, line breaks in fields, CRLF, BOM) equals the same JSONL', async () => {
  const csv =
    '\ufeffid,label,text,user,split\r\n' +
    'a1,pos,hello there,ann,train\r\n' +
    'a2,neg,"bad day",bob,train\r\n' +
    'a3,pos,"fine, ""quoted""\r\nsecond line",,validation\r\n' +
    '4,neg,numbers as ids are text,,test\r\n' +
    'a5,pos,no split given,,\r\n';
  const fromCsv = await loadDataset(file('small.csv', csv), { seed: 42 });
  const fromJsonl = await loadDataset(file('same.jsonl', JSONL), { seed: 42 });
  assert.deepEqual(fromCsv.examples, fromJsonl.examples);
  assert.equal(datasetHash(fromCsv.examples), datasetHash(fromJsonl.examples));
});

test('large JSONL streams: 20,000 rows, seeded 80/10/10 split stable per seed, different across seeds', async () => {
  const rows: string[] = [];
  for (let i = 0; i < 20000; i++) rows.push(JSON.stringify({ id: `r${i}`, text: `text ${i}`, label: i % 3 === 0 ? 'x' : 'y' }));
  const path = file('big.jsonl', rows.join('\n'));
  const a = await loadDataset(path, { seed: 1 });
  const b = await loadDataset(path, { seed: 1 });
  const c = await loadDataset(path, { seed: 2 });
  assert.equal(a.examples.length, 20000);
  assert.deepEqual(a.examples.map((e) => e.split), b.examples.map((e) => e.split));
  const counts = countBySplit(a.examples);
  assert.ok(Math.abs(counts.train / 20000 - 0.8) < 0.01, `train share ${counts.train}`);
  assert.ok(Math.abs(counts.validation / 20000 - 0.1) < 0.01, `validation share ${counts.validation}`);
  const moved = a.examples.filter((e, i) => e.split !== c.examples[i]?.split).length;
  assert.ok(moved > 5000, `seed 2 moved only ${moved} records`);
  assert.notEqual(datasetHash(splitOf(a, 'train')), datasetHash(splitOf(c, 'train')));
});

test('split of a record depends only on (seed, id)', () => {
  assert.equal(assignSplit('easy-ham-1/00001', 42), assignSplit('easy-ham-1/00001', 42));
  const splits = new Set(Array.from({ length: 50 }, (_, s) => assignSplit('same-id', s)));
  assert.deepEqual([...splits].sort(), ['test', 'train', 'validation']);
});

test('label map round-trips through JSON and can be imposed on a load', async () => {
  const path = join(dir, 'labels.json');
  saveLabelMap(path, ['neg', 'neutral', 'pos']);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { labels: ['neg', 'neutral', 'pos'] });
  const labels = loadLabelMap(path);
  const ds = await loadDataset(join(dir, 'small.jsonl'), { labels });
  assert.deepEqual(ds.labels, ['neg', 'neutral', 'pos']);
  assert.deepEqual(ds.examples.map((e) => e.label), [2, 0, 2, 0, 2]);
  writeFileSync(path, '{"labels":["pos","neg"]}');
  assert.throws(() => loadLabelMap(path), /unique label names in sorted order/);
});

test('datasetHash is sha256 hex over id/label/text and sees every change', async () => {
  const ds = await loadDataset(join(dir, 'small.jsonl'));
  const h = datasetHash(ds.examples);
  assert.match(h, /^[0-9a-f]{64}$/);
  const changed = ds.examples.map((e, i) => (i === 1 ? { ...e, text: e.text + '!' } : e));
  assert.notEqual(datasetHash(changed), h);
  const relabelled = ds.examples.map((e, i) => (i === 1 ? { ...e, labelName: 'pos' } : e));
  assert.notEqual(datasetHash(relabelled), h);
});

test('mulberry32 is deterministic and shuffled() is a seeded permutation', () => {
  const r1 = mulberry32(42);
  const r2 = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => r1());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => r2()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, mulberry32(43)));
  const items = Array.from({ length: 100 }, (_, i) => i);
  const s = shuffled(items, mulberry32(7));
  assert.deepEqual([...s].sort((a, b) => a - b), items);
  assert.deepEqual(s, shuffled(items, mulberry32(7)));
  assert.notDeepEqual(s, items);
});

test('data without validation rows: 10% of train becomes validation (by the split seed), never a label\'s last train row, and the log says so', async () => {
  const rows = Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `text ${i}`, label: i % 4 === 0 ? 'a' : 'b', split: i % 5 === 0 ? 'test' : 'train' }));
  rows.push(JSON.stringify({ id: 'only-c', text: 'the one c row', label: 'c', split: 'train' }));
  const lines: string[] = [];
  const ds = await loadDataset(file('no-validation.jsonl', rows.join('\n')), { seed: 42, log: (m) => lines.push(m) });
  const counts = countBySplit(ds.examples);
  assert.equal(counts.test, 80);
  assert.equal(ds.validationCarved, counts.validation);
  assert.ok(counts.validation >= 20 && counts.validation <= 45, `about 10% of 321 train rows carved: ${counts.validation}`);
  assert.equal(counts.train + counts.validation, 321);
  assert.equal(ds.examples.find((e) => e.id === 'only-c')!.split, 'train', 'a label keeps its last train row');
  assert.match(lines[1]!, /has no validation rows: \d+ train rows \(10%, chosen by the split seed\) are the validation split/);
  const again = await loadDataset(file('no-validation.jsonl', rows.join('\n')), { seed: 42 });
  assert.deepEqual(again.examples.map((e) => e.split), ds.examples.map((e) => e.split), 'deterministic');
  const other = await loadDataset(file('no-validation.jsonl', rows.join('\n')), { seed: 7 });
  assert.notDeepEqual(other.examples.map((e) => e.split), ds.examples.map((e) => e.split), 'another split seed, another carve');
  // Data with its own validation rows is left alone.
  const own = await loadDataset(file('small.jsonl', JSONL + '\n'), { seed: 42 });
  assert.equal(own.validationCarved, undefined);
});
