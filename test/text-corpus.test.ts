import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkParagraph, loadCorpusDocuments, normaliseWhitespace, splitHeldOut, splitSentences } from '../src/text/corpus';
import { findContaminatedDocuments, readEvaluationTexts, wordTokens, type EvaluationText } from '../src/text/decontaminate';

test('whitespace, sentence split, chunking and held-out split are deterministic', () => {
  assert.equal(normaliseWhitespace('  a\n\tb\u00a0 c '), 'a b c');
  assert.deepEqual(splitSentences('He went. "Stop!" she said. Mr. X came? Yes.'), ['He went.', '"Stop!" she said.', 'Mr.', 'X came?', 'Yes.']);
  assert.deepEqual(chunkParagraph('Aa bb. Cc dd. Ee ff.', 14), ['Aa bb. Cc dd.', 'Ee ff.']);
  const { train, heldOut } = splitHeldOut(Array.from({ length: 100 }, (_, i) => i), 50);
  assert.deepEqual(heldOut, [49, 99]);
  assert.equal(train.length, 98);
});

/** Every k-th sentence of >= 8 words from the evaluation datasets, 200 in all, spread over the three. */
function sampleEvaluationSentences(perDataset: number): EvaluationText[] {
  const samples: EvaluationText[] = [];
  for (const dataset of ['spam-assassin', 'sotu', 'brown'] as const) {
    const all: EvaluationText[] = [];
    for (const doc of readEvaluationTexts([dataset])) {
      // Email headers are not prose: use the body after the first blank line.
      const text = dataset === 'spam-assassin' ? doc.text.slice(doc.text.indexOf('\n\n') + 2) : doc.text;
      for (const sentence of splitSentences(normaliseWhitespace(text))) {
        if (wordTokens(sentence).length >= 8) all.push({ dataset, file: doc.file, text: sentence });
      }
    }
    const step = Math.max(1, Math.floor(all.length / perDataset));
    for (let i = 0; i < perDataset && i * step < all.length; i++) samples.push(all[i * step] as EvaluationText);
  }
  return samples;
}

test('pretraining corpus is disjoint from the evaluation datasets (sampled sentences)', (t) => {
  const { documents, missing } = loadCorpusDocuments({ ifMissing: 'skip' });
  if (missing.length > 0) t.diagnostic(`corpus sources not installed (Debian packages), checked without them: ${missing.join(', ')}`);
  assert.ok(documents.length > 1000);
  const samples = sampleEvaluationSentences(67);
  assert.ok(samples.length >= 200, `sampled ${samples.length}`);
  // What decontamination would drop for these samples; the rest must not contain them verbatim.
  const report = findContaminatedDocuments(documents.map((d) => d.text), samples, 8);
  const dropped = new Set(report.droppedIndices);
  const haystack = `|${documents
    .filter((_d, i) => !dropped.has(i))
    .map((d) => wordTokens(d.text).join(' '))
    .join('|')}|`;
  const verbatim = samples.filter((s) => haystack.includes(wordTokens(s.text).join(' ')));
  assert.deepEqual(verbatim.map((s) => `${s.dataset}: ${s.text}`), []);
  t.diagnostic(`${samples.length} sampled sentences; ${dropped.size} corpus documents would be dropped for them`);
});
