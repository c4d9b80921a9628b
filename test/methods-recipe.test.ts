// The recorded recipe (max length, split seed) comes from train.json, else from sisa.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordedRecipe } from '../src/methods/recipe';
import { tinyRun } from './helpers/tiny-run';

/** The part of the recipe these tests are about (it also carries the base model and fine-tune settings). */
const lengthAndSeed = (dir: string) => {
  const { maxLength, splitSeed } = recordedRecipe(dir);
  return { ...(maxLength !== undefined ? { maxLength } : {}), ...(splitSeed !== undefined ? { splitSeed } : {}) };
};

test('recordedRecipe reads train.json; a folder without a record gives nothing', async () => {
  const run = await tinyRun();
  assert.deepEqual(lengthAndSeed(run.original), { maxLength: 48, splitSeed: 42 });
  assert.equal(recordedRecipe(run.original).settings?.batchSize, 16);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-recipe-'));
  assert.deepEqual(recordedRecipe(empty), {});
  fs.rmSync(empty, { recursive: true });
});

test('an unlearned folder: unlearn.json\'s max length, the split seed of the model it came from', async () => {
  const run = await tinyRun();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-recipe-'));
  fs.writeFileSync(path.join(dir, 'unlearn.json'), JSON.stringify({ method: 'deepcut', model: run.original, max_length: 40 }));
  assert.deepEqual(lengthAndSeed(dir), { maxLength: 40, splitSeed: 42 });
  fs.writeFileSync(path.join(dir, 'unlearn.json'), JSON.stringify({ method: 'deepcut', model: path.join(dir, 'gone') }));
  assert.deepEqual(recordedRecipe(dir), {});
  fs.rmSync(dir, { recursive: true });
});
