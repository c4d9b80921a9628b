import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS_SOURCES } from '../src/text/corpus';
import { TextTokenizer, toBigInt64Array } from '../src/text/tokenizer';
import { trainTokenizerToDir } from '../src/text/train-tokenizer-cli';

const mobyDick = CORPUS_SOURCES.find((s) => s.id === 'moby-dick');
const TEXTS = (mobyDick?.readParagraphs() ?? []).slice(0, 400);

function trainedDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tok-'));
  trainTokenizerToDir(dir, { texts: TEXTS, vocabSize: 1500 });
  return dir;
}

const dir = trainedDir();

test('tokenizer folder has the HF files and tokenizer.json structure', () => {
  for (const name of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
    assert.ok(fs.existsSync(path.join(dir, name)), name);
  }
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'no temp files left');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  assert.equal(json.version, '1.0');
  assert.equal(json.model.type, 'WordPiece');
  assert.equal(json.normalizer.type, 'BertNormalizer');
  assert.equal(json.pre_tokenizer.type, 'BertPreTokenizer');
  assert.equal(json.post_processor.type, 'TemplateProcessing');
  const vocabLines = fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8').trimEnd().split('\n');
  assert.equal(vocabLines.length, 1500);
  assert.deepEqual(vocabLines.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.equal(json.model.vocab[vocabLines[1234] as string], 1234);
});

test('trained tokenizer loads in @huggingface/tokenizers and round-trips', () => {
  const tok = TextTokenizer.fromDir(dir);
  assert.deepEqual(tok.specialTokenIds, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  assert.equal(tok.vocabSize, 1500);
  const text = 'Call me Ishmael. Some years ago, having little or no money in my purse, I thought I would sail about.';
  const enc = tok.encode(text);
  assert.equal(enc.tokens[0], '[CLS]');
  assert.equal(enc.tokens[enc.tokens.length - 1], '[SEP]');
  assert.ok(enc.tokens.some((t) => t.startsWith('##')), 'some word split into pieces');
  assert.equal(tok.decode(enc.ids), text.toLowerCase());
  const withUnknown = tok.encode('whale ☃ 中');
  assert.deepEqual(withUnknown.tokens.slice(-3), ['[UNK]', '[UNK]', '[SEP]']);
});

test('encodeBatch pads and truncates with correct masks and shapes', () => {
  const tok = TextTokenizer.fromDir(dir);
  const short = 'the whale';
  const long = 'the sea the sea the sea the sea the sea the sea the sea the sea the sea';
  const nShort = tok.encode(short).ids.length;
  const batch = tok.encodeBatch([short, long], { maxLength: 12, padding: 'longest', truncation: true });
  assert.deepEqual(batch.shape, [2, 12]);
  assert.equal(batch.inputIds.length, 24);
  const row = (a: Int32Array, r: number): number[] => Array.from(a.subarray(r * 12, r * 12 + 12));
  assert.deepEqual(row(batch.attentionMask, 0), [...Array(nShort).fill(1), ...Array(12 - nShort).fill(0)]);
  assert.deepEqual(row(batch.inputIds, 0).slice(nShort), Array(12 - nShort).fill(0));
  assert.deepEqual(row(batch.attentionMask, 1), Array(12).fill(1));
  assert.equal(row(batch.inputIds, 1)[0], 2);
  assert.equal(row(batch.inputIds, 1)[11], 3, 'truncated row still ends with [SEP]');
  assert.deepEqual(Array.from(batch.tokenTypeIds), Array(24).fill(0));

  const shortOnly = tok.encodeBatch([short, 'a'], { maxLength: 12, padding: 'longest' });
  assert.deepEqual(shortOnly.shape, [2, nShort]);
  const fixed = tok.encodeBatch([short], { maxLength: 16, padding: 'max_length' });
  assert.deepEqual(fixed.shape, [1, 16]);
  assert.throws(() => tok.encodeBatch([long], { maxLength: 8, truncation: false }), /truncation is off/);
  assert.equal(toBigInt64Array(fixed.inputIds)[0], 2n);
});

test('clear errors for missing or malformed tokenizer.json', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-tok-bad-'));
  assert.throws(() => TextTokenizer.fromDir(empty), (e: Error) => e.message.includes(path.join(empty, 'tokenizer.json')));
  fs.writeFileSync(path.join(empty, 'tokenizer.json'), '{"model": ');
  assert.throws(() => TextTokenizer.fromDir(empty), /malformed JSON in .*tokenizer\.json/);
  fs.writeFileSync(path.join(empty, 'tokenizer.json'), '{"version": "1.0"}');
  assert.throws(() => TextTokenizer.fromDir(empty), /malformed .*tokenizer\.json.*model/);
});

test('loads a hand-made RoBERTa-style byte-level BPE tokenizer.json', () => {
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 4 };
  for (const t of ['h', 'e', 'l', 'o', 'w', 'r', 'd', 'Ġ', 'he', 'll', 'hell', 'hello', 'Ġw', 'or', 'Ġwor', 'Ġworl', 'Ġworld']) {
    vocab[t] = Object.keys(vocab).length;
  }
  const special = (content: string, id: number) => ({
    id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<s>', 0), special('<pad>', 1), special('</s>', 2), special('<unk>', 3), special('<mask>', 4)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab,
      merges: ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'Ġwor l', 'Ġworl d'],
    },
  };
  const dirRoberta = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-roberta-'));
  fs.writeFileSync(path.join(dirRoberta, 'tokenizer.json'), JSON.stringify(json));
  const tok = TextTokenizer.fromDir(dirRoberta);
  assert.deepEqual(tok.specialTokenIds, { pad: 1, unk: 3, cls: 0, sep: 2, mask: 4 });
  const enc = tok.encode('hello world');
  assert.deepEqual(enc.tokens, ['<s>', 'hello', 'Ġworld', '</s>']);
  assert.equal(tok.decode(enc.ids), 'hello world');
  const batch = tok.encodeBatch(['hello', 'hello world'], { maxLength: 8 });
  assert.deepEqual(batch.shape, [2, 4]);
  assert.deepEqual(Array.from(batch.inputIds), [0, vocab.hello, 2, 1, 0, vocab.hello, vocab['Ġworld'], 2]);
});
