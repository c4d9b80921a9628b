import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSlices, countByLabel, countBySplit, largestUsers, loadDataset, resolveForgetSet, retainSplit } from '../src/data';

// Compiled to dist/test/, so the sources are two levels up.
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'data');

test('committed slices are exactly what tools/make-data-slices.ts produces', () => {
  for (const [file, text] of builtinSlices()) {
    assert.equal(readFileSync(join(FIXTURES, file), 'utf8'), text, `${file} is stale: rerun tools/make-data-slices.ts`);
  }
});

test('spamassassin slice loads through the JSONL reader with its stored splits', async () => {
  const ds = await loadDataset(join(FIXTURES, 'spamassassin-slice.jsonl'));
  assert.equal(ds.examples.length, 250);
  assert.deepEqual(countByLabel(ds.examples), { ham: 187, spam: 63 });
  assert.deepEqual(countBySplit(ds.examples), { train: 199, validation: 30, test: 21 });
  assert.deepEqual(largestUsers(ds, 1), [{ user: 'eugen@leitl.org', count: 40 }]);
  const fs = resolveForgetSet(ds, 'user:eugen@leitl.org+random:0.1', { seed: 42 });
  // 40 of the sender's train emails + round(0.1 * 199) = 20 random ones, 3 of which overlap.
  assert.equal(fs.ids.length, 57);
  assert.equal(retainSplit(ds, fs).length, 199 - 57);
});

test('sotu and brown slices load with every label present in train', async () => {
  const sotu = await loadDataset(join(FIXTURES, 'sotu-slice.jsonl'));
  assert.equal(sotu.examples.length, 253);
  assert.equal(sotu.labels.length, 8);
  assert.deepEqual(largestUsers(sotu, 1), [{ user: 'Joseph R Biden', count: 30 }]);
  const brown = await loadDataset(join(FIXTURES, 'brown-slice.jsonl'));
  assert.equal(brown.examples.length, 248);
  assert.equal(brown.labels.length, 15);
  assert.equal(resolveForgetSet(brown, 'user:ca09').ids.length, 13);
});
