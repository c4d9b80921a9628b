// The unlearning loop shared by every loss-based method: draw a forget batch and a retain
// batch, minimise the method's loss with AdamW, check the stopping rule every few steps, and
// checkpoint so a killed run resumes exactly where it was.
import { scope, AdamW, clipGradNormOnDevice, manualSeed } from '../engine';
import type { Example } from '../data';
import type { SequenceTokenizer } from '../text/types';
import { makeBatch } from '../train/batches';
import { decayGroups } from '../train/param-groups';
import { mulberry32 } from '../util/prng';
import type { Module } from '../nn';
import type { Classifier, HyperParameters, LossMethod, MethodState } from './types';
import { BatchSchedule, mixSeed, sampleUpTo } from './schedule';
import { checkStop, type StopCheck, type StopRule } from './stopping';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type RunIdentity } from './checkpoint';

export interface LoopData {
  forget: readonly Example[];
  retain: readonly Example[];
  /** Held-out examples the stopping rule compares the forget set with. */
  validation: readonly Example[];
}

export interface LoopOptions {
  hp: HyperParameters;
  seed: number;
  stop: StopRule;
  maxLength: number;
  forgetHash: string;
  /** Where to checkpoint (omitted: no checkpoints). */
  checkpointDir?: string;
  resume?: boolean;
  /** A fresh frozen copy of the input model (SCRUB's teacher). */
  loadOriginal(): Classifier;
  onStep?(p: { step: number; total: number; values: Record<string, number> }): void;
  onCheck?(check: StopCheck): void;
}

export interface LossPoint { step: number; values: Record<string, number> }

export interface LoopHistory {
  losses: LossPoint[];
  checks: StopCheck[];
}

export interface LoopResult extends LoopHistory {
  steps: number;
  stoppedBy: 'rule' | 'budget';
  resumedFrom?: number;
}

export function runLossMethod(
  method: LossMethod<MethodState>, model: Classifier, tokenizer: SequenceTokenizer, data: LoopData, options: LoopOptions,
): LoopResult {
  const { hp, seed } = options;
  // Never compare with an empty (NaN) held-out or forget sample.
  if (options.stop !== 'none' && data.validation.length === 0) {
    throw new Error(`the '${options.stop}' stopping rule compares the forget set with held-out rows, and this dataset has no validation rows: give it some (split: validation), or pass --stop none to run the fixed step budget`);
  }
  if (method.uses.forget && data.forget.length === 0) throw new Error(`${method.name} needs at least one forget record`);
  manualSeed(mixSeed(seed, 0)); // a projection head's initial weights depend on the seed only
  const state: MethodState = method.setup?.({ model, hp, loadOriginal: options.loadOriginal }) ?? {};
  try {
    const modules: Record<string, Module> = state.modules ?? {};
    // Extra modules (a projection head) are made on the CPU, seeded as above; they train where the model does.
    for (const m of Object.values(modules)) m.to(model.device);
    const params = decayGroups(model);
    for (const m of Object.values(modules)) params.push({ params: m.parameters() });
    const optimizer = new AdamW(params, { lr: hp.lr!, weightDecay: hp.weightDecay! });
    const trainable = [...model.parameters(), ...Object.values(modules).flatMap((m) => m.parameters())]; // clipped together, every step
    const identity: RunIdentity = { method: method.name, hyperparameters: { ...hp }, seed, forgetHash: options.forgetHash, stop: options.stop };

    let history: LoopHistory = { losses: [], checks: [] };
    let start = 0;
    let resumedFrom: number | undefined;
    if (options.resume && options.checkpointDir && hasCheckpoint(options.checkpointDir)) {
      const progress = loadCheckpoint<LoopHistory>(options.checkpointDir, model, modules, optimizer, identity);
      ({ history } = progress);
      start = resumedFrom = progress.step;
    }

    const forgetBatches = method.uses.forget ? new BatchSchedule(data.forget.length, hp.forgetBatch!, mixSeed(seed, 1)) : undefined;
    const retainBatches = method.uses.retain ? new BatchSchedule(data.retain.length, hp.retainBatch!, mixSeed(seed, 2)) : undefined;
    const stopForget = sampleUpTo(data.forget, hp.stopSample!, mixSeed(seed, 3));
    const stopHeldout = sampleUpTo(data.validation, hp.stopSample!, mixSeed(seed, 4));
    const check = (step: number): boolean => {
      if (options.stop === 'none' || step % hp.evalEvery! !== 0 || history.checks.some((c) => c.step === step)) return false;
      const c = checkStop(model, tokenizer, stopForget, stopHeldout, options.stop, step, options.maxLength);
      history.checks.push(c);
      options.onCheck?.(c);
      return c.unseen;
    };

    const total = hp.steps!;
    let step = start;
    let stoppedBy: LoopResult['stoppedBy'] = 'budget';
    for (; step < total; step++) {
      if (check(step)) {
        stoppedBy = 'rule';
        break;
      }
      model.train();
      for (const m of Object.values(modules)) m.train();
      manualSeed(mixSeed(seed, 5, step)); // dropout masks depend on (seed, step) only
      const random = mulberry32(mixSeed(seed, 6, step));
      const forget = forgetBatches ? forgetBatches.indices(Math.floor(step / hp.retainPerForget!)).map((i) => data.forget[i]!) : [];
      const retain = retainBatches ? retainBatches.indices(step).map((i) => data.retain[i]!) : [];
      const values = scope(() => {
        optimizer.zeroGrad();
        const out = method.loss(
          { model, step, hp, state, random, encode: (examples) => makeBatch(tokenizer, examples, options.maxLength, model.device) },
          forget, retain,
        );
        out.total.backward();
        clipGradNormOnDevice(trainable, hp.clip!);
        optimizer.step();
        const logged: Record<string, number> = { total: out.total.item() };
        for (const [k, v] of Object.entries(out.parts)) logged[k] = v.item();
        return logged;
      });
      if (!Number.isFinite(values.total)) throw new Error(`${method.name}: loss is ${values.total} at step ${step} (lower --hp lr or raise clip)`);
      history.losses.push({ step, values });
      options.onStep?.({ step: step + 1, total, values });
      if (options.checkpointDir && (step + 1) % hp.checkpointEvery! === 0 && step + 1 < total) {
        saveCheckpoint(options.checkpointDir, model, modules, optimizer, { identity, step: step + 1, history });
      }
    }
    if (stoppedBy === 'budget' && options.stop !== 'none' && !history.checks.some((c) => c.step === step)) {
      const c = checkStop(model, tokenizer, stopForget, stopHeldout, options.stop, step, options.maxLength);
      history.checks.push(c);
      options.onCheck?.(c);
    }
    model.eval();
    return { ...history, steps: step, stoppedBy, ...(resumedFrom !== undefined ? { resumedFrom } : {}) };
  } finally {
    state.dispose?.();
    for (const m of Object.values(state.modules ?? {})) m.dispose();
  }
}
