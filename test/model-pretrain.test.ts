// Masked-LM data preparation: block packing and BERT's masking rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packBlocks, maskBatch } from '../src/model/pretrain/masking';

const special = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

test('documents are packed into [CLS] ... [SEP] blocks with a [SEP] between documents', () => {
  const blocks = packBlocks([[10, 11, 12], [20, 21], [30, 31, 32, 33]], 6, special);
  assert.deepEqual(blocks.map((b) => Array.from(b)), [
    [2, 10, 11, 12, 3, 3],
    [2, 20, 21, 3, 30, 3],
    [2, 31, 32, 33, 3, 3],
  ]);
  // a tail shorter than half a block is dropped rather than padded
  assert.equal(packBlocks([[5]], 10, special).length, 0);
});

test('masking: ~15% of real tokens, never specials or padding, 80/10/10 replacement, deterministic', () => {
  const doc = Array.from({ length: 20000 }, (_, i) => 10 + (i % 90));
  const blocks = packBlocks([doc], 128, special);
  const batch = maskBatch(blocks, 100, special, rng(1));
  const real = blocks.reduce((n, b) => n + Array.from(b).filter((id) => id >= 10).length, 0);
  const rate = batch.positions.length / real;
  assert.ok(Math.abs(rate - 0.15) < 0.01, `masked share ${rate}`);
  const flat = blocks.flatMap((b) => Array.from(b));
  assert.ok(batch.positions.every((p, i) => flat[p] === batch.targets[i] && flat[p]! >= 10), 'targets are the original real tokens');
  const masked = batch.positions.filter((p) => batch.inputIds[p] === special.mask).length / batch.positions.length;
  const kept = batch.positions.filter((p) => batch.inputIds[p] === flat[p]).length / batch.positions.length;
  assert.ok(Math.abs(masked - 0.8) < 0.02, `[MASK] share ${masked}`);
  assert.ok(Math.abs(kept - 0.1) < 0.02 + 0.01, `kept share ${kept}`); // random replacements hit the original id 1% of the time
  assert.deepEqual(maskBatch(blocks, 100, special, rng(1)), batch);
  assert.ok(Array.from(batch.attentionMask).every((m, i) => m === (flat[i] === special.pad ? 0 : 1)));
});
