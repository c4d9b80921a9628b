// Masked-LM pretraining of a small BERT: the loop behind `deepcut pretrain`.
// Resumable: every checkpoint holds the weights, the optimizer state and the
// step; the data order is a pure function of (seed, epoch) and the masking and
// dropout of a step are pure functions of (seed, step), so a resumed run sees
// exactly the batches and dropout masks the uninterrupted run would have, and
// ends with the same weights bit for bit (test/pretrain-resume.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor, scope, manualSeed, F, AdamW, linearWarmupDecay, clipGradNormOnDevice, noGrad, resolveDevice, type DeviceSpec, type Tensor } from '../../engine';
import { writeFileAtomic } from '../../io/atomic';
import { createModel } from '../factory';
import { loadPretrained, savePretrained } from '../hf';
import type { BertForMaskedLM } from '../bert';
import { TextTokenizer } from '../../text/tokenizer';
import { packBlocks, maskBatch, type SpecialIds } from './masking';
import { decayGroups } from '../../train/param-groups';
import { mulberry32, permutation } from '../../util/prng';

export interface PretrainOptions {
  outDir: string;
  /** Folder with tokenizer.json (trained beforehand). */
  tokenizerDir: string;
  trainTexts: readonly string[];
  heldOutTexts: readonly string[];
  hiddenSize: number; numLayers: number; numHeads: number; intermediateSize: number;
  seqLen: number; batchSize: number; steps: number; lr: number; warmupFraction: number;
  checkpointEvery: number; seed: number; resume: boolean;
  /** Continue pretraining an existing masked-LM folder (its weights; a fresh optimizer and
   * schedule). Its architecture wins over hiddenSize..intermediateSize. */
  initFrom?: string;
  /** Where to train: 'cpu' (default), 'auto', 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
  onProgress?: (p: { step: number; loss: number; tokensPerSecond: number }) => void;
}

export interface PretrainResult {
  steps: number; finalLoss: number; heldOutLoss: number; heldOutAccuracy: number; blocks: number;
  /** Wall time of the whole run, interrupted processes before a resume included. */
  seconds: number;
}


function specialIds(tok: TextTokenizer): SpecialIds {
  const s: Record<string, number | null | undefined> = { ...tok.specialTokenIds };
  const need = (k: string) => { const v = s[k]; if (v === undefined || v === null) throw new Error(`tokenizer has no ${k} token`); return v; };
  return { pad: need('pad'), cls: need('cls'), sep: need('sep'), mask: need('mask'), unk: need('unk') };
}

/** The libtorch seed for one training step; distinct for every (seed, step) with step < 1e6. */
function dropoutSeed(seed: number, step: number): number {
  return seed * 1_000_000 + step + 1;
}

function mlmLoss(model: BertForMaskedLM, batch: ReturnType<typeof maskBatch>, shape: [number, number]): { loss: Tensor; correct: Tensor } {
  const device = model.device;
  const inputIds = tensor(batch.inputIds, { shape, dtype: 'int64', device });
  const attentionMask = tensor(batch.attentionMask, { shape, dtype: 'int64', device });
  const positions = tensor(batch.positions, { dtype: 'int64', device });
  const targets = tensor(batch.targets, { dtype: 'int64', device });
  const { logits } = model.forward({ inputIds, attentionMask }, { positions });
  return { loss: F.crossEntropy(logits, targets), correct: logits.argmax(1).eq(targets).sum() };
}

export function pretrain(o: PretrainOptions): PretrainResult {
  const started = Date.now();
  const tok = TextTokenizer.fromDir(o.tokenizerDir);
  const special = specialIds(tok);
  const encode = (texts: readonly string[]) => packBlocks(texts.map((t) => tok.encodeWithoutSpecials(t)), o.seqLen, special);
  const blocks = encode(o.trainTexts);
  const heldOut = encode(o.heldOutTexts);
  const ckptDir = path.join(o.outDir, 'checkpoint');
  const stateFile = path.join(ckptDir, 'trainer_state.json');
  manualSeed(o.seed);
  let model: BertForMaskedLM;
  let startStep = 0;
  let earlierSeconds = 0; // spent by the processes this run resumes
  if (o.resume && fs.existsSync(stateFile)) {
    model = loadPretrained(ckptDir, { task: 'masked-lm' }).model as BertForMaskedLM;
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { step: number; seconds?: number };
    startStep = state.step;
    earlierSeconds = state.seconds ?? 0;
  } else if (o.initFrom !== undefined) {
    const loaded = loadPretrained(o.initFrom, { task: 'masked-lm' });
    if (loaded.report.newlyInitialized.length > 0) {
      loaded.model.dispose();
      throw new Error(`${o.initFrom}: not a masked-LM checkpoint (no ${loaded.report.newlyInitializedParts.join(', ')})`);
    }
    model = loaded.model as BertForMaskedLM;
    const maxPositions = model.config.maxPositionEmbeddings;
    if (o.seqLen > maxPositions) {
      model.dispose();
      throw new Error(`--seq ${o.seqLen} exceeds ${o.initFrom}'s max_position_embeddings (${maxPositions})`);
    }
  } else {
    model = createModel({
      vocabSize: tok.vocabSize, hiddenSize: o.hiddenSize, numLayers: o.numLayers, numHeads: o.numHeads,
      intermediateSize: o.intermediateSize, maxPositionEmbeddings: o.seqLen, padTokenId: special.pad,
    }, { task: 'masked-lm' }) as BertForMaskedLM;
  }
  // Weights are made (and seeded) on the CPU, then moved: the same start on every device.
  model.to(resolveDevice(o.device ?? 'cpu'));
  const optimizer = new AdamW(decayGroups(model), { lr: o.lr, weightDecay: 0.01 });
  if (startStep > 0) optimizer.loadState(path.join(ckptDir, 'optimizer.bin'));
  const schedule = linearWarmupDecay(o.lr, Math.round(o.steps * o.warmupFraction), o.steps);
  const perEpoch = Math.floor(blocks.length / o.batchSize);
  if (perEpoch === 0) throw new Error(`corpus too small: ${blocks.length} blocks for batch size ${o.batchSize}`);
  const shape: [number, number] = [o.batchSize, o.seqLen];
  model.train();
  let loss = NaN;
  let windowStart = Date.now();
  let windowTokens = 0;
  let order: number[] = [];
  let orderEpoch = -1;
  for (let step = startStep; step < o.steps; step++) {
    const epoch = Math.floor(step / perEpoch);
    if (epoch !== orderEpoch) { order = permutation(blocks.length, mulberry32(o.seed * 1000 + epoch)); orderEpoch = epoch; }
    const i0 = (step % perEpoch) * o.batchSize;
    const batchBlocks = order.slice(i0, i0 + o.batchSize).map((i) => blocks[i]!);
    const batch = maskBatch(batchBlocks, tok.vocabSize, special, mulberry32(o.seed * 7919 + step));
    // libtorch's generator (dropout) is not in the checkpoint; reseeding it per step
    // makes step k draw the same masks whether or not the run was resumed before it.
    manualSeed(dropoutSeed(o.seed, step));
    loss = scope(() => {
      optimizer.lr = schedule(step);
      optimizer.zeroGrad();
      const l = mlmLoss(model, batch, shape).loss;
      l.backward();
      clipGradNormOnDevice(model.parameters(), 1.0);
      optimizer.step();
      return l.item();
    });
    windowTokens += batch.attentionMask.reduce((a, b) => a + b, 0);
    const now = Date.now();
    o.onProgress?.({ step: step + 1, loss, tokensPerSecond: windowTokens / Math.max(1e-3, (now - windowStart) / 1000) });
    if (now - windowStart > 20000) { windowStart = now; windowTokens = 0; }
    if ((step + 1) % o.checkpointEvery === 0 && step + 1 < o.steps) {
      savePretrained(model, ckptDir, { tokenizerDir: o.tokenizerDir, overwrite: true });
      optimizer.saveState(path.join(ckptDir, 'optimizer.bin'));
      writeFileAtomic(stateFile, JSON.stringify({ step: step + 1, loss, seconds: earlierSeconds + (Date.now() - started) / 1000 }, null, 2));
    }
  }
  // Held-out masked-LM loss and accuracy, with a fixed masking seed.
  model.eval();
  let lossSum = 0, correct = 0, predicted = 0;
  noGrad(() => {
    for (let i = 0; i + o.batchSize <= heldOut.length; i += o.batchSize) {
      const batch = maskBatch(heldOut.slice(i, i + o.batchSize), tok.vocabSize, special, mulberry32(12345 + i));
      if (batch.positions.length === 0) continue;
      scope(() => {
        const r = mlmLoss(model, batch, shape);
        lossSum += r.loss.item() * batch.positions.length;
        correct += r.correct.item();
        predicted += batch.positions.length;
      });
    }
  });
  savePretrained(model, o.outDir, { tokenizerDir: o.tokenizerDir, overwrite: true });
  fs.rmSync(ckptDir, { recursive: true, force: true });
  model.dispose();
  return { steps: o.steps, finalLoss: loss, heldOutLoss: lossSum / predicted, heldOutAccuracy: correct / predicted, seconds: earlierSeconds + (Date.now() - started) / 1000, blocks: blocks.length };
}
