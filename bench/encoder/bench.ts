// bench/encoder: forward + backward tokens/s of the default encoder
// (models/deepcut-bert-small loaded with loadPretrained as a 2-label sequence
// classifier) on real tokenised SpamAssassin emails, deepcut vs PyTorch (same
// libtorch) in one run, each at its best thread setting.
//
// Both sides run the same model with the same weights on the same token ids: this
// process loads the encoder (the fresh pooler and classifier drawn with --seed), saves
// the whole classifier to a temporary folder, tokenises a fixed batch into a JSON file,
// and both step processes load those two files (deepcut with loadPretrained, PyTorch with
// tools/parity/torch_reference_encoder.load_hf_classifier). Their eval-mode losses on the
// batch must agree before the timings count. Each step: forward, cross-entropy, backward,
// AdamW (lr 1e-4, weight decay 0.01), dropout on (train mode) on both sides.
//
// A use-lite folder (--model models/use-lite: Universal Sentence Encoder Lite, src/model/use-lite.ts)
// runs the same way, its PyTorch side being tools/use-lite/torch_use_lite.py (same module names,
// same dropout places) instead of bench/common/torch_step.py; it prints use_lite_* lines and
// use_lite_vs_torch. Its batch comes from the folder's SentencePiece tokenizer, or is seeded random
// ids in the vocabulary (past the 6 reserved ones, no padding) when the folder has no tokenizer.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { manualSeed, randint } from '../../src/engine';
import { loadPretrained, savePretrained } from '../../src/model';
import { loadDataset, splitOf, rngFor, shuffled } from '../../src/data';
import { compareAlternating, repoRoot, threadSettings, torchAvailable, type BatchFile, type CompareOptions } from '../common/harness';

const HELP = `usage: node dist/bench/encoder/bench.js [options]
  --model DIR      encoder folder (default models/deepcut-bert-small); a use-lite folder
                   (models/use-lite) is timed against tools/use-lite/torch_use_lite.py
  --data NAME|FILE dataset whose training texts fill the batch (default spamassassin)
  --batch N        sequences per step (default 16)
  --seq N          tokens per sequence, padded/truncated (default 128)
  --steps N        timed steps per round (default $BENCH_STEPS or 10)
  --warmup N       untimed steps first (default 3)
  --rounds N       rounds per thread setting, alternating sides (default $BENCH_ROUNDS or 3)
  --settings LIST  thread settings to try, 1-based, e.g. 2 or 1,3 (default all)
  --seed N         picks the batch and initialises the new head (default 0)`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        ...Object.fromEntries(['model', 'data', 'batch', 'seq', 'steps', 'warmup', 'rounds', 'settings', 'seed'].map((k) => [k, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${HELP}`);
    process.exit(2);
  }
}
const flags = parseFlags();
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const values = flags as Record<string, string | undefined>;
function int(name: string, fallback: string | undefined, min: number): number {
  const raw = values[name] ?? fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'\n${HELP}`);
  return n;
}

/** PyTorch twin of a use-lite classifier (bench/common/torch_step.py builds BERT only). */
const torchUseLiteScript = path.join(repoRoot, 'tools/use-lite/torch_use_lite.py');
/** USE-Lite's SentencePiece ids below this are unk, <s>, </s> and reserved pieces. */
const USE_LITE_FIRST_PIECE = 6;

async function main(): Promise<void> {
  const modelDir = path.resolve(values.model ?? path.join(repoRoot, 'models/deepcut-bert-small'));
  const data = values.data ?? 'spamassassin';
  const batch = int('batch', '16', 1);
  const seq = int('seq', '128', 3);
  const steps = int('steps', process.env.BENCH_STEPS ?? '10', 1);
  const warmup = int('warmup', '3', 0);
  const rounds = int('rounds', process.env.BENCH_ROUNDS ?? '3', 1);
  const seed = int('seed', '0', 0);
  const all = threadSettings();
  const settings = values.settings === undefined ? all : values.settings.split(',').map((s) => {
    const setting = all[Number(s) - 1];
    if (!setting) throw new Error(`--settings: no setting '${s}' (1..${all.length}: ${all.map((x) => x.name).join('; ')})`);
    return setting;
  });
  const withTorch = torchAvailable();

  const ds = await loadDataset(data);
  manualSeed(seed);
  const { model, tokenizer, report } = loadPretrained(modelDir, { labels: ds.labels });
  const c = model.config;
  const useLite = c.modelType === 'use-lite';
  if (!tokenizer && !useLite) throw new Error(`${modelDir}: no tokenizer.json`);
  if (seq > c.maxPositionEmbeddings) throw new Error(`--seq ${seq} exceeds the model's ${c.maxPositionEmbeddings} positions`);
  const train = splitOf(ds, 'train');
  if (train.length < batch) throw new Error(`${data}: ${train.length} training examples < --batch ${batch}`);
  const examples = shuffled(train, rngFor(seed, 'bench-encoder')).slice(0, batch);
  const enc = tokenizer
    ? tokenizer.encodeBatch(examples.map((e) => e.text), { maxLength: seq, padding: 'max_length', truncation: true })
    : {
        // A use-lite folder without its tokenizer: seeded random pieces, every position real.
        inputIds: Int32Array.from(randint(USE_LITE_FIRST_PIECE, c.vocabSize, [batch * seq]).toArray() as ArrayLike<number | bigint>, Number),
        attentionMask: new Int32Array(batch * seq).fill(1),
        tokenTypeIds: new Int32Array(batch * seq),
      };
  const rows = (a: Int32Array): number[][] => Array.from({ length: batch }, (_, i) => Array.from(a.subarray(i * seq, (i + 1) * seq)));
  const batchFile: BatchFile = { inputIds: rows(enc.inputIds), attentionMask: rows(enc.attentionMask), tokenTypeIds: rows(enc.tokenTypeIds), labels: examples.map((e) => e.label) };
  const realTokens = enc.attentionMask.reduce((s, m) => s + m, 0);
  const textSource = tokenizer ? `${data} training texts` : `random ids in [${USE_LITE_FIRST_PIECE}, ${c.vocabSize}), no tokenizer in the folder`;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-bench-encoder-'));
  try {
    const classifierDir = path.join(tmp, 'classifier');
    savePretrained(model, classifierDir);
    model.dispose();
    const inputsFile = path.join(tmp, 'batch.json');
    fs.writeFileSync(inputsFile, JSON.stringify(batchFile));

    const labelCounts = ds.labels.map((name, id) => `${examples.filter((e) => e.label === id).length} ${name}`).join(' / ');
    const embedding = c.embeddingSize !== undefined && c.embeddingSize !== c.hiddenSize ? `embedding ${c.embeddingSize}, ` : '';
    console.log(`# encoder: ${path.relative(process.cwd(), modelDir) || '.'} (${c.modelType}, ${c.numLayers} layers, ${embedding}hidden ${c.hiddenSize}, ${c.numHeads} heads, FFN ${c.intermediateSize}, vocab ${c.vocabSize}) as a ${ds.labels.length}-label sequence classifier; new: ${report.newlyInitializedParts.join(', ') || 'nothing'} (seed ${seed})`);
    console.log(`# batch: ${batch} x ${seq} tokens of ${textSource} (seed ${seed}; ${realTokens} real tokens, ${batch * seq - realTokens} padding; labels ${labelCounts})`);
    console.log(`# step: forward + cross-entropy + backward + AdamW (lr 1e-4, wd 0.01), dropout ${c.hiddenDropout}/${c.attentionDropout} on (train mode) on both sides; median of ${steps} steps after ${warmup} warm-up`);
    const compare: CompareOptions = {
      settings, rounds, withTorch, label: 'deepcut',
      args: ['--model', classifierDir, '--inputs', inputsFile, '--classes', String(ds.labels.length), '--steps', String(steps), '--warmup', String(warmup), '--seed', String(seed)],
    };
    if (useLite) console.log(`# PyTorch side: ${path.relative(repoRoot, torchUseLiteScript)}`);
    const { ours, torch } = compareAlternating(useLite ? { ...compare, torchScript: torchUseLiteScript } : compare);
    const name = useLite ? 'use_lite' : 'encoder';

    const tokensPerS = (ms: number) => ((batch * seq) / (ms / 1000)).toFixed(0);
    if (torch) {
      // Same weights and ids: the eval-mode (dropout off) losses before training must agree.
      const a = ours.result.eval_loss ?? NaN;
      const b = torch.result.eval_loss ?? NaN;
      const diff = Math.abs(a - b);
      console.log(`# same model, same ids: eval-mode loss deepcut ${a.toFixed(6)}, torch ${b.toFixed(6)} (|diff| ${diff.toExponential(1)})`);
      if (!(diff <= 1e-4)) throw new Error(`deepcut and PyTorch disagree on the eval-mode loss (${a} vs ${b}): not the same model or inputs, timings not comparable`);
    }
    console.log(`${name}_step_ms=${ours.ms.toFixed(1)}`);
    console.log(`${name}_tokens_per_s=${tokensPerS(ours.ms)}`);
    console.log(`${name}_threads=${ours.setting.name}`);
    if (torch) {
      console.log(`torch_step_ms=${torch.ms.toFixed(1)}`);
      console.log(`torch_tokens_per_s=${tokensPerS(torch.ms)}`);
      console.log(`torch_threads=${torch.setting.name}`);
      console.log(`${name}_vs_torch=${(ours.ms / torch.ms).toFixed(3)}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
