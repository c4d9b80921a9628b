import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bertNormalize, bertPreTokenize } from '../src/text/bert-pretokenize';
import { SPECIAL_TOKENS, countWords, trainWordPiece, trainWordPieceFromCounts } from '../src/text/wordpiece-trainer';

test('BERT normaliser lowercases, strips accents, cleans control chars and spaces CJK', () => {
  assert.equal(bertNormalize('Naïve  CAFÉ\u0000\u200b\tok'), 'naive  cafe ok');
  assert.equal(bertNormalize('ab中文'), 'ab 中  文 ');
});

test('BERT pre-tokeniser splits on whitespace and isolates punctuation', () => {
  assert.deepEqual(bertPreTokenize("don't stop-me now, $5!"), ['don', "'", 't', 'stop', '-', 'me', 'now', ',', '$', '5', '!']);
});

test('hand-checked merges: hug/pug/pun/bun/hugs', () => {
  const counts = new Map([
    ['hug', 10],
    ['pug', 5],
    ['pun', 12],
    ['bun', 4],
    ['hugs', 5],
  ]);
  const vocab = trainWordPieceFromCounts(counts, { vocabSize: 20, minFrequency: 1 });
  assert.deepEqual(vocab.tokens.slice(0, 5), [...SPECIAL_TOKENS]);
  assert.deepEqual(vocab.specialTokens, { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 });
  // alphabet (code-point order), then continuation forms, then merges by frequency:
  // ##u ##g (20), ##u ##n (16), h ##ug (15), p ##un (12)
  assert.deepEqual(vocab.tokens.slice(5, 16), ['b', 'g', 'h', 'n', 'p', 's', 'u', '##g', '##n', '##s', '##u']);
  assert.deepEqual(vocab.tokens.slice(16, 20), ['##ug', '##un', 'hug', 'pun']);
  assert.equal(vocab.tokens.length, 20);
});

const SUFFIX_TEXT = Array.from({ length: 30 }, (_, i) =>
  `Walking and talking, singing while running; jumping ${i} times, reading and thinking.`,
).join('\n');

test('trainer learns ##ing, honours vocab size, is deterministic', () => {
  const a = trainWordPiece([SUFFIX_TEXT], { vocabSize: 60 });
  const b = trainWordPiece([SUFFIX_TEXT], { vocabSize: 60 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.equal(a.tokens.length, 60);
  assert.ok(a.tokens.includes('##ing'), 'expected ##ing in the vocabulary');
  assert.equal(new Set(a.tokens).size, a.tokens.length, 'tokens are unique');
});

test('minFrequency stops merging early; limitAlphabet drops rare characters', () => {
  const counts = countWords(['aaa bbb aaa x']);
  const vocab = trainWordPieceFromCounts(counts, { vocabSize: 100, minFrequency: 3, limitAlphabet: 2 });
  assert.ok(!vocab.tokens.includes('x'), 'rare char x outside alphabet limit');
  assert.ok(vocab.tokens.includes('##a'));
  assert.ok(vocab.tokens.length < 100);
  assert.ok(vocab.tokens.every((t) => !t.includes('b') || t === 'b' || t === '##b'), 'pairs below minFrequency not merged');
});
