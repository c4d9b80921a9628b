import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataError,
  brownToUniversal,
  buildDataset,
  countByLabel,
  countBySplit,
  countByTag,
  datasetHash,
  getBuiltinDataset,
  isTagging,
  largestUsers,
  loadDataset,
  resolveForgetSet,
  retainSplit,
  splitOf,
  taggedRecord,
  tokenCount,
  type Dataset,
} from '../src/data';
import { mostFrequentTagBaseline } from '../src/eval/tag-baseline';

// Compiled to dist/test/, so the sources are two levels up.
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'data', 'tagging');
const tmp = mkdtempSync(join(tmpdir(), 'deepcut-tagging-'));

function tagsOf(ds: Dataset, id: string): string[] {
  const ex = ds.examples.find((e) => e.id === id);
  assert.ok(ex, `no example ${id}`);
  return ex.tags!.map((t) => ds.labels[t]!);
}

async function rejects(name: string, body: string, pattern: RegExp, line?: number): Promise<void> {
  const file = join(tmp, name);
  writeFileSync(file, body);
  await assert.rejects(loadDataset(file), (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.equal(err.file, file);
    assert.equal(err.line, line);
    return true;
  });
}

test('brown-pos: 57,340 sentences, 1,161,192 tokens, 12 universal tags, documents as users, genres as groups', () => {
  const ds = getBuiltinDataset('brown-pos', { seed: 42 });
  assert.ok(isTagging(ds));
  assert.deepEqual(ds.labels, ['.', 'ADJ', 'ADP', 'ADV', 'CONJ', 'DET', 'NOUN', 'NUM', 'PRON', 'PRT', 'VERB', 'X']);
  assert.equal(ds.examples.length, 57340);
  assert.equal(tokenCount(ds.examples), 1161192);
  assert.deepEqual(countBySplit(ds.examples), { train: 45847, validation: 5718, test: 5775 });
  assert.equal(tokenCount(splitOf(ds, 'train')), 928781);
  // NLTK's brown.tagged_words(tagset='universal') totals differ by at most 7 tokens per tag (docs/datasets/brown-pos.md).
  assert.deepEqual(countByTag(ds, ds.examples), {
    NOUN: 275551, VERB: 182751, '.': 147565, ADP: 144766, DET: 137019, ADJ: 83722,
    ADV: 56244, PRON: 49334, CONJ: 38151, PRT: 29827, NUM: 14879, X: 1383,
  });
  assert.equal(new Set(ds.examples.map((e) => e.user)).size, 500);
  assert.equal(new Set(ds.examples.map((e) => e.group)).size, 15);
  for (const ex of ds.examples) {
    assert.equal(ex.label, -1);
    assert.equal(ex.labelName, '');
    assert.equal(ex.tokens!.length, ex.tags!.length);
    assert.equal(ex.text, ex.tokens!.join(' '));
    assert.equal(ex.id.split('#')[0], ex.user);
  }
  const first = ds.examples[0]!;
  assert.deepEqual([first.id, first.user, first.group], ['ca01#001', 'ca01', 'news']);
  assert.deepEqual(first.tokens!.slice(0, 4), ['The', 'Fulton', 'County', 'Grand']);
  assert.deepEqual(largestUsers(ds, 2), [{ user: 'ck07', count: 188 }, { user: 'cp24', count: 186 }]);
  assert.equal(ds.card?.task, 'token-classification');
  assert.equal(ds.card?.records, 57340);
  assert.equal(ds.card?.tokens, 1161192);
  assert.deepEqual(ds.card?.tokenSplitCounts, { train: 928781, validation: 116109, test: 116302 });
  assert.equal(ds.card?.labelCounts.X, 1383);
  assert.deepEqual(ds.card?.classes, ds.labels);
  assert.throws(() => countByLabel(ds.examples), /no sentence label/);
});

test('brown-pos: hand-checked sentences (the first of ca01; negation, contractions, slashes, foreign words)', () => {
  const ds = getBuiltinDataset('brown-pos', { seed: 42 });
  // The/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in
  // Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs
  // any/dti irregularities/nns took/vbd place/nn ./.
  assert.deepEqual(tagsOf(ds, 'ca01#001'), [
    'DET', 'NOUN', 'NOUN', 'ADJ', 'NOUN', 'VERB', 'NOUN', 'DET', 'NOUN', 'ADP',
    'NOUN', 'ADJ', 'NOUN', 'NOUN', 'VERB', '.', 'DET', 'NOUN', '.', 'ADP',
    'DET', 'NOUN', 'VERB', 'NOUN', '.',
  ]);
  const cases: Array<[string, string]> = [
    ['at', 'DET'], ['np-tl', 'NOUN'], ['nn-tl-hl', 'NOUN'], ['*', 'ADV'], ['*-hl', 'ADV'], ['bez*', 'VERB'], ['ber*-nc', 'VERB'],
    ['pps+bez', 'PRT'], ['ppss+md', 'PRT'], ['vb+ppo', 'VERB'], ['md+hv', 'VERB'], ['in+ppo', 'ADP'], ['ap+ap-nc', 'ADJ'],
    ['fw-nn', 'X'], ['fw-in+at-tl', 'X'], ['nil', 'X'], ['pp$', 'DET'], ['wp$', 'DET'], ['pp$$', 'PRON'], ['ex', 'PRT'],
    ['uh', 'PRT'], ['cs', 'ADP'], ['od', 'ADJ'], ['ql', 'ADV'], ['abn', 'PRT'], ['abx', 'DET'], ['to', 'PRT'], ['---hl', '.'],
    ['NP-TL', 'NOUN'],
  ];
  for (const [brown, universal] of cases) assert.equal(brownToUniversal(brown), universal, brown);
  assert.equal(brownToUniversal('zz'), undefined);
  // ca10's "1-1/2/cd": the last slash separates the tag, the word keeps its own.
  const half = ds.examples.find((e) => e.user === 'ca10' && e.tokens!.includes('1-1/2'));
  assert.ok(half);
  assert.equal(half.tags![half.tokens!.indexOf('1-1/2')], ds.labels.indexOf('NUM'));
});

test('brown-pos-full keeps the corpus tags as written; same sentences and splits as brown-pos', () => {
  const full = getBuiltinDataset('brown-pos-full', { seed: 42 });
  const universal = getBuiltinDataset('brown-pos', { seed: 42 });
  assert.ok(isTagging(full));
  assert.equal(full.labels.length, 472);
  assert.deepEqual(tagsOf(full, 'ca01#001').slice(0, 8), ['at', 'np-tl', 'nn-tl', 'jj-tl', 'nn-tl', 'vbd', 'nr', 'at']);
  assert.equal(countByTag(full, full.examples).nn, 152470);
  assert.deepEqual(full.examples.map((e) => `${e.id} ${e.split}`), universal.examples.map((e) => `${e.id} ${e.split}`));
  assert.notEqual(datasetHash(full.examples.slice(0, 10)), datasetHash(universal.examples.slice(0, 10)));
  assert.equal(full.card?.labelCounts['pps+bez'], 430);
});

test('most-frequent-tag baseline: exact numbers on a hand-made dataset', () => {
  const at = { file: 'hand' };
  const r = (id: string, tokens: string[], tags: string[], split: 'train' | 'test') => taggedRecord(id, tokens, tags, at, { split, user: 'u' });
  const ds = buildDataset('hand', [
    // train: "run" VERB twice, NOUN once -> VERB; "the" DET; "dog" NOUN; overall NOUN 3, VERB 2, DET 2 -> NOUN for unseen words.
    r('t1', ['the', 'dog', 'run'], ['DET', 'NOUN', 'VERB'], 'train'),
    r('t2', ['the', 'run', 'run'], ['DET', 'NOUN', 'VERB'], 'train'),
    r('t3', ['dog'], ['NOUN'], 'train'),
    r('v1', ['dog'], ['NOUN'], 'train'),
    // test: the/DET ok, run/NOUN -> VERB wrong, cat/NOUN unseen -> NOUN ok, sleeps/VERB unseen -> NOUN wrong.
    r('e1', ['the', 'run', 'cat', 'sleeps'], ['DET', 'NOUN', 'NOUN', 'VERB'], 'test'),
  ]);
  const b = mostFrequentTagBaseline(ds);
  assert.equal(b.tokens, 4);
  assert.equal(b.accuracy, 0.5);
  assert.equal(b.unseenTokens, 2);
  assert.equal(b.unseenAccuracy, 0.5);
  assert.equal(b.fallbackTag, 'NOUN');
  // DET: P=R=1 -> F1 1. NOUN: predicted run?no: predictions DET VERB NOUN NOUN; NOUN P=1/2 R=1/2 -> 0.5. VERB: P=0 R=0 -> 0.
  assert.ok(Math.abs(b.macroF1 - 0.5) < 1e-12, String(b.macroF1));
  assert.throws(() => mostFrequentTagBaseline(getBuiltinDataset('brown')), /not token classification/);
});

test('brown-pos baseline on test (train word tags): universal 94.55%, full tag set 90.04%', () => {
  const universal = mostFrequentTagBaseline(getBuiltinDataset('brown-pos', { seed: 42 }));
  assert.equal(universal.tokens, 116302);
  assert.equal(universal.accuracy.toFixed(4), '0.9455');
  assert.equal(universal.macroF1.toFixed(4), '0.8957');
  const full = mostFrequentTagBaseline(getBuiltinDataset('brown-pos-full', { seed: 42 }));
  assert.equal(full.accuracy.toFixed(4), '0.9004');
  assert.equal(full.macroF1.toFixed(4), '0.4672');
});

test('tagged JSONL: tokens/tags/user/split/group read, tag map = every tag, numeric id accepted', async () => {
  const ds = await loadDataset(join(FIXTURES, 'tiny.jsonl'));
  assert.ok(isTagging(ds));
  assert.deepEqual(ds.labels, ['.', 'DET', 'NOUN', 'VERB', 'X']);
  assert.deepEqual(ds.examples.map((e) => e.id), ['s1', 's2', 's3', '4']);
  assert.deepEqual(countBySplit(ds.examples), { train: 2, validation: 1, test: 1 });
  assert.deepEqual(tagsOf(ds, '4'), ['X', '.']);
  assert.equal(ds.examples[1]!.group, 'pets');
  assert.equal(ds.examples[0]!.text, 'The dog runs');
  assert.equal(ds.examples[0]!.label, -1);
});

test('CoNLL: token first, tag last, -DOCSTART- documents, # user = comments, # inside a sentence is a token', async () => {
  const ds = await loadDataset(join(FIXTURES, 'tiny.conll'));
  assert.ok(isTagging(ds));
  assert.deepEqual(ds.examples.map((e) => [e.id, e.user, e.tokens!.join(' ')]), [
    ['tiny#1', 'tiny:1', 'EU rejects German call .'],
    ['tiny#2', 'tiny:1', 'Peter Blackburn'],
    ['tiny#3', 'reuters-desk', 'BRUSSELS # 1996-08-22'],
  ]);
  assert.deepEqual(tagsOf(ds, 'tiny#1'), ['B-ORG', 'O', 'B-MISC', 'O', 'O']);
  assert.deepEqual(ds.labels, ['B-LOC', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER', 'O']);
});

test('CoNLL-U: FORM and UPOS, ranges and empty nodes skipped, # newdoc starts a document', async () => {
  const ds = await loadDataset(join(FIXTURES, 'tiny.conllu'));
  assert.deepEqual(ds.examples.map((e) => [e.id, e.user, e.tokens!.join(' ')]), [
    ['tiny#1', 'tiny:1', 'It works .'],
    ['tiny#2', 'tiny:1', "do n't go"],
    ['tiny#3', 'tiny:2', 'Hi'],
  ]);
  assert.deepEqual(tagsOf(ds, 'tiny#2'), ['AUX', 'PART', 'VERB']);
});

test('bad tagged JSONL is refused with file, line and field', async () => {
  const ok = '{"id": "a", "tokens": ["x"], "tags": ["N"]}\n';
  await rejects('len.jsonl', ok + '{"id": "b", "tokens": ["x", "y"], "tags": ["N"]}\n', /id 'b' has 2 tokens but 1 tags/, 2);
  await rejects('empty-token.jsonl', ok + '\n{"id": "b", "tokens": ["x", " "], "tags": ["N", "V"]}\n', /empty token at position 2 of 'tokens' for id 'b'/, 3);
  await rejects('number-token.jsonl', '{"id": "b", "tokens": ["x", 3], "tags": ["N", "V"]}\n', /token at position 2 of 'tokens' must be a string for id 'b', got number/, 1);
  await rejects('number-tag.jsonl', ok + '{"id": "b", "tokens": ["x"], "tags": [1]}\n', /tag at position 1 of 'tags' must be a string for id 'b', got number/, 2);
  await rejects('no-tags.jsonl', ok + '{"id": "b", "tokens": ["x"]}\n', /missing field 'tags' for id 'b'/, 2);
  await rejects('tokens-not-array.jsonl', '{"id": "b", "tokens": "x y", "tags": ["N"]}\n', /field 'tokens' must be an array of strings for id 'b'/, 1);
  await rejects('no-tokens-in-sentence.jsonl', '{"id": "b", "tokens": [], "tags": []}\n', /field 'tokens' is empty for id 'b'/, 1);
  await rejects('empty-tag.jsonl', '{"id": "b", "tokens": ["x"], "tags": [""]}\n', /empty tag at position 1 of 'tags'/, 1);
  await rejects('no-id.jsonl', '{"tokens": ["x"], "tags": ["N"]}\n', /missing field 'id'/, 1);
  await rejects('mixed.jsonl', ok + '{"id": "b", "text": "hello", "label": "pos"}\n', /a text\/label record \(no field 'tokens'\) in a file of tagged sentences \(line 1 has 'tokens'\)/, 2);
  await rejects('mixed2.jsonl', '{"id": "b", "text": "hello", "label": "pos"}\n' + ok, /a tagged sentence \(field 'tokens'\) in a file of text\/label records/, 2);
  await rejects('dup.jsonl', ok + ok, /duplicate id 'a' \(first seen at .* line 1\)/, 2);
  await rejects('split.jsonl', '{"id": "b", "tokens": ["x"], "tags": ["N"], "split": "dev"}\n', /invalid split 'dev' for id 'b'/, 1);
});

test('bad CoNLL / CoNLL-U is refused with file and line', async () => {
  await rejects('one-column.conll', 'EU B-ORG\nrejects\n', /line 2: one column 'rejects'/, 2);
  await rejects('empty.conll', '', /no sentences \(empty CoNLL file\)/, undefined);
  await rejects('only-docstart.conll', '-DOCSTART- O\n\n# a comment\n', /no sentences/, undefined);
  await rejects('empty-user.conll', '# user =\nEU B-ORG\n', /empty name in '# user =' comment/, 1);
  await rejects('columns.conllu', '1\tIt\tit\tPRON\n', /4 tab-separated columns; a CoNLL-U token line has 10/, 1);
  await rejects('upos.conllu', '1\tIt\tit\t_\tPRP\t_\t0\troot\t_\t_\n', /no UPOS tag \(column 4 is '_'\) for token 'It'/, 1);
  await rejects('id.conllu', 'x\tIt\tit\tPRON\tPRP\t_\t0\troot\t_\t_\n', /ID column 'x' is not a token number/, 1);
  await rejects('wrong.txt', 'EU B-ORG\n', /unsupported dataset file type '.txt' \(expected .jsonl, .csv, .conll or .conllu\)/, undefined);
});

test('forget specs on a tagging dataset: ids, user, largest-user by sentences, random; class: refused', async () => {
  const ds = getBuiltinDataset('brown-pos', { seed: 42 });
  const train = splitOf(ds, 'train');
  const user = resolveForgetSet(ds, 'user:ca01');
  assert.equal(user.ids.length, train.filter((e) => e.user === 'ca01').length);
  assert.ok(user.ids.every((id) => id.startsWith('ca01#')));
  const largest = resolveForgetSet(ds, 'largest-user');
  assert.deepEqual(largest.notes, ["largest-user = user 'ck07' (188 train records)"]);
  assert.equal(largest.ids.length, 188);
  const random = resolveForgetSet(ds, 'random:0.05', { seed: 1 });
  assert.equal(random.ids.length, Math.round(0.05 * train.length));
  assert.equal(retainSplit(ds, random).length, train.length - random.ids.length);
  const idFile = join(tmp, 'ids.txt');
  writeFileSync(idFile, `# two sentences\n${train[0]!.id}\n${train[1]!.id}\n`);
  assert.deepEqual(resolveForgetSet(ds, `ids:${idFile}`).ids, [train[0]!.id, train[1]!.id].sort());
  assert.throws(() => resolveForgetSet(ds, 'class:NOUN'), /is token classification: its sentences have no class label/);
  assert.throws(() => resolveForgetSet(ds, 'user:ca01+class:X'), DataError);
  assert.deepEqual(random.warnings, []);

  // A forget set holding every train token of a tag warns that the tag leaves the retain set.
  const small = await loadDataset(join(FIXTURES, 'tiny.jsonl'));
  assert.deepEqual(resolveForgetSet(small, 'ids:' + writeIds(['s2'])).warnings, [
    "forget set contains every train token tagged '.' (1): the tag would vanish from the retain set",
  ]);
});

function writeIds(ids: string[]): string {
  const file = join(tmp, `ids-${ids.join('-')}.txt`);
  writeFileSync(file, ids.join('\n') + '\n');
  return file;
}

test('a stored tag map is honoured and a tag outside it refused; mixing record kinds is refused', () => {
  const at = { file: 'mem', line: 1 };
  const rec = taggedRecord('a', ['x', 'y'], ['N', 'V'], at, { split: 'train' });
  const ds = buildDataset('m', [rec], { labels: ['N', 'V', 'X'] });
  assert.deepEqual(ds.labels, ['N', 'V', 'X']);
  assert.deepEqual(ds.examples[0]!.tags, [0, 1]);
  assert.throws(() => buildDataset('m', [rec], { labels: ['N'] }), /mem: line 1: unknown tag 'V' for id 'a' \(not in the tag map\)/);
  assert.throws(
    () => buildDataset('m', [rec, { id: 'b', text: 't', labelName: 'pos', where: { file: 'mem', line: 2 } }]),
    /line 2: record 'b' is a text\/label record but the first record 'a' is a tagged sentence/,
  );
});

test('brown-pos slice: 250 sentences of 10 documents, loads back through the tagged JSONL reader', async () => {
  const slice = await loadDataset(join(FIXTURES, '..', 'brown-pos-slice.jsonl'));
  assert.ok(isTagging(slice));
  assert.equal(slice.examples.length, 250);
  assert.equal(new Set(slice.examples.map((e) => e.user)).size, 10);
  assert.ok(slice.examples.every((e) => e.group !== undefined && e.tokens!.length === e.tags!.length));
  assert.ok(slice.labels.length <= 12);
  const [top] = largestUsers(slice, 1);
  assert.ok(top !== undefined && top.count > 0);
  assert.equal(resolveForgetSet(slice, `user:${top.user}`).ids.length, top.count);
});
