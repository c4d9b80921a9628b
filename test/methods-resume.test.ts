// Unlearning runs are reproducible: the same seed gives the same model, and a run killed after
// a checkpoint and resumed ends with exactly the weights and losses of an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveForgetSet } from '../src/data';
import { unlearn, type UnlearnRecord } from '../src/methods/unlearn';
import { tinyRun } from './helpers/tiny-run';

const HP = { lr: 5e-4, steps: 20, checkpointEvery: 5, forgetBatch: 8, retainBatch: 8, projection: 16 };

const weights = (dir: string) => fs.readFileSync(path.join(dir, 'model.safetensors'));
const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'unlearn.json'), 'utf8')) as UnlearnRecord;

test('same seed, same unlearned model; a resumed run matches an uninterrupted one bit for bit', async () => {
  const run = await tinyRun();
  const forget = resolveForgetSet(run.dataset, 'random:0.2', { seed: 1 });
  const base = { modelDir: run.original, dataset: run.dataset, forget, method: 'deepcut', seed: 3, hp: HP, stop: 'none' as const };
  const a = path.join(run.root, 'resume-a');
  const b = path.join(run.root, 'resume-b');
  const c = path.join(run.root, 'resume-c');
  await unlearn({ ...base, out: a });
  await unlearn({ ...base, out: b });
  assert.deepEqual(weights(b), weights(a), 'two runs with the same seed give the same weights');

  // Interrupt after step 12: the last checkpoint is the one after step 10.
  await assert.rejects(unlearn({
    ...base, out: c, onStep: ({ step }) => {
      if (step === 12) throw new Error('simulated kill');
    },
  }), /simulated kill/);
  assert.ok(fs.existsSync(path.join(c, 'checkpoint', 'progress.json')), 'a checkpoint was left behind');
  assert.ok(!fs.existsSync(path.join(c, 'unlearn.json')), 'no record of a finished run');
  const resumed = await unlearn({ ...base, out: c, resume: true });
  assert.equal(resumed.resumed_from, 10);
  assert.deepEqual(weights(c), weights(a), 'resumed weights equal uninterrupted weights');
  assert.deepEqual(resumed.losses, record(a).losses, 'and so do the per-step losses');

  // A checkpoint from a different run is refused, naming the difference.
  const d = path.join(run.root, 'resume-d');
  await assert.rejects(unlearn({ ...base, out: d, onStep: ({ step }) => { if (step === 6) throw new Error('kill'); } }), /kill/);
  await assert.rejects(unlearn({ ...base, out: d, seed: 4, resume: true }), /checkpoint is from a different run/);
  const other = await unlearn({ ...base, out: path.join(run.root, 'resume-e'), seed: 4 });
  assert.notDeepEqual(weights(path.join(run.root, 'resume-e')), weights(a), 'another seed gives another model');
  assert.equal(other.steps, 20);
});
