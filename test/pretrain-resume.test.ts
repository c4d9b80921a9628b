// `deepcut pretrain --resume` end to end: a run killed after a checkpoint and
// resumed must end with exactly the weights of the run that was never interrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';

const CLI = path.join(__dirname, '../src/cli/main.js');
const BROWN = path.join(__dirname, '../../test/fixtures/data/brown-slice.jsonl');
const STEPS = 120;
// A tiny BERT on ~250 Brown passages: each step takes milliseconds, so the whole test takes seconds.
const flags = (corpus: string, out: string) => [
  CLI, 'pretrain', '--corpus', corpus, '--out', out, '--vocab-size', '400', '--hidden', '32', '--layers', '2', '--heads', '2',
  '--ffn', '64', '--seq', '32', '--batch', '4', '--steps', String(STEPS), '--lr', '1e-3', '--checkpoint-every', '40', '--seed', '3',
];
// One thread everywhere: on a loaded 2-core machine, OpenBLAS's spinning worker threads made
// a run of these tiny matrix products take minutes instead of a second.
const env = { ...process.env, DEEPCUT_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

/**
 * Starts the command, SIGKILLs it as soon as a checkpoint is on disk; returns the checkpoint's step.
 * Checkpoints 40 steps apart leave the kill hundreds of milliseconds before the next one is written.
 */
function runUntilCheckpoint(args: string[], stateFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let step = -1;
    const poll = setInterval(() => {
      if (!fs.existsSync(stateFile)) return;
      child.kill('SIGKILL');
      clearInterval(poll);
    }, 2);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal !== 'SIGKILL') return reject(new Error(`pretrain was not interrupted (exit ${code}): ${stderr}`));
      // trainer_state.json is written last and atomically, so it is whole when it exists.
      if (fs.existsSync(stateFile)) step = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { step: number }).step;
      resolve(step);
    });
  });
}

/** A temporary folder holding the Brown slice as a one-document-per-line corpus. */
function brownCorpus(prefix: string): { dir: string; corpus: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const texts = fs.readFileSync(BROWN, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
  const corpus = path.join(dir, 'corpus.txt');
  fs.writeFileSync(corpus, `${texts.join('\n')}\n`);
  return { dir, corpus };
}

test('pretrain killed after a checkpoint and resumed reproduces the uninterrupted run bit for bit', async () => {
  const { dir, corpus } = brownCorpus('deepcut-resume-');
  const whole = path.join(dir, 'whole');
  const resumed = path.join(dir, 'resumed');

  execFileSync(process.execPath, flags(corpus, whole), { env, stdio: 'pipe' });
  const step = await runUntilCheckpoint(flags(corpus, resumed), path.join(resumed, 'checkpoint', 'trainer_state.json'));
  assert.ok(step > 0 && step < STEPS, `interrupted mid-run, at checkpoint step ${step}`);
  assert.ok(!fs.existsSync(path.join(resumed, 'model.safetensors')), 'the interrupted run wrote no final model');
  execFileSync(process.execPath, [...flags(corpus, resumed), '--resume'], { env, stdio: 'pipe' });

  for (const file of ['model.safetensors', 'config.json', 'tokenizer.json', 'vocab.txt']) {
    assert.ok(fs.readFileSync(path.join(resumed, file)).equals(fs.readFileSync(path.join(whole, file))), `${file} identical (resumed from step ${step})`);
  }
  // The model cards agree on everything but the wall time and the --out folder.
  const card = (d: string) => fs.readFileSync(path.join(d, 'README.md'), 'utf8').replace(/; [\d.]+ min on \d+ CPU thread\(s\)/g, '').replaceAll(d, 'OUT');
  assert.equal(card(resumed), card(whole));
  assert.ok(!fs.existsSync(path.join(resumed, 'checkpoint')), 'the checkpoint is removed once the run completes');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('pretrain --init-from continues a pretrained folder: its tokenizer and weights, a second stage in pretraining.json and the card', () => {
  const { dir, corpus } = brownCorpus('deepcut-init-from-');
  const first = path.join(dir, 'first');
  const second = path.join(dir, 'second');
  const short = (args: string[]) => args.map((a) => (a === String(STEPS) ? '20' : a));
  execFileSync(process.execPath, short(flags(corpus, first)), { env, stdio: 'pipe' });
  // Architecture flags that disagree with the folder are ignored: the folder's config wins.
  execFileSync(process.execPath, [...short(flags(corpus, second)), '--init-from', first, '--seed', '4', '--hidden', '64'], { env, stdio: 'pipe' });

  for (const file of ['tokenizer.json', 'vocab.txt']) {
    assert.ok(fs.readFileSync(path.join(second, file)).equals(fs.readFileSync(path.join(first, file))), `${file} carried over unchanged`);
  }
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(second, 'config.json'), 'utf8')).hidden_size, 32);
  assert.ok(!fs.readFileSync(path.join(second, 'model.safetensors')).equals(fs.readFileSync(path.join(first, 'model.safetensors'))), 'the weights moved on');
  const stages = JSON.parse(fs.readFileSync(path.join(second, 'pretraining.json'), 'utf8')) as Array<{ steps: number; seed: number; command: string }>;
  assert.deepEqual(stages.map((s) => [s.steps, s.seed]), [[20, 3], [20, 4]]);
  assert.match(stages[1]!.command, /--init-from /);
  const card = fs.readFileSync(path.join(second, 'README.md'), 'utf8');
  assert.match(card, /40 steps in 2 stage\(s\)/);
  assert.match(card, /stage 2: 20 steps/);

  // A folder without a pretraining record is refused by name.
  fs.rmSync(path.join(first, 'pretraining.json'));
  assert.throws(() => execFileSync(process.execPath, [...short(flags(corpus, path.join(dir, 'third'))), '--init-from', first], { env, stdio: 'pipe' }),
    (err: { stderr: Buffer }) => /no pretraining\.json/.test(err.stderr.toString()));
  fs.rmSync(dir, { recursive: true, force: true });
});
