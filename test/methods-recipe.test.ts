// The recorded recipe (max length, split seed) comes from train.json, else from sisa.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordedRecipe } from '../src/methods/recipe';
import { tinyRun } from './helpers/tiny-run';

test('recordedRecipe reads train.json; a folder without a record gives nothing', async () => {
  const run = await tinyRun();
  assert.deepEqual(recordedRecipe(run.original), { maxLength: 48, splitSeed: 42 });
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-recipe-'));
  assert.deepEqual(recordedRecipe(empty), {});
  fs.rmSync(empty, { recursive: true });
});

test('an unlearned folder: unlearn.json\'s max length, the split seed of the model it came from', async () => {
  const run = await tinyRun();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-recipe-'));
  fs.writeFileSync(path.join(dir, 'unlearn.json'), JSON.stringify({ method: 'deepcut', model: run.original, max_length: 40 }));
  assert.deepEqual(recordedRecipe(dir), { maxLength: 40, splitSeed: 42 });
  fs.writeFileSync(path.join(dir, 'unlearn.json'), JSON.stringify({ method: 'deepcut', model: path.join(dir, 'gone') }));
  assert.deepEqual(recordedRecipe(dir), {});
  fs.rmSync(dir, { recursive: true });
});
