// The unlearning loop shared by every loss-based method: draw a forget batch and a retain
// batch, minimise the method's loss with AdamW, check the stopping rule every few steps, and
// checkpoint so a killed run resumes exactly where it was. With a target rule it also rewinds:
// when a check crosses the target it goes back to the previous check, replays the steps in
// between with a check after each (a step depends on (seed, step) only, so the replay follows
// the same trajectory), and returns the state of the check closest to the target. With bisect > 0
// it instead probes the straight line between the two states in weight space: each probe costs
// one check and no steps.
import { scope, AdamW, clipGradNormOnDevice, manualSeed } from '../engine';
import type { Example } from '../data';
import type { SequenceTokenizer } from '../text/types';
import { makeBatch, type LabelledBatch } from '../train/batches';
import { frozenPrefixCache } from './frozen-prefix';
import { decayGroups } from '../train/param-groups';
import { mulberry32 } from '../util/prng';
import type { Module } from '../nn';
import { freezeLowerLayers } from '../model';
import type { Classifier, HyperParameters, LossMethod, MethodState } from './types';
import { BatchSchedule, mixSeed, sampleUpTo } from './schedule';
import { betterCheck, checkStop, isTargetRule, targetTolerance, type QualitySamples, type StopCheck, type StopRule, type StopTarget } from './stopping';
import { hasCheckpoint, loadCheckpoint, loadSnapshot, saveCheckpoint, type RunIdentity } from './checkpoint';
import { ScoredSample } from './scored-sample';
import { blendSnapshots, restoreSnapshot, takeSnapshot, type RunSnapshot } from './snapshot';

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
  /** Target rules: what the run aims at (estimated before the loop, ./target/). */
  target?: StopTarget;
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

/** Where a rewinding run stands (checkpointed, so a resumed run continues the same phase). */
export interface RewindState {
  /** 'coarse': a check every evalEvery steps; 'fine': replaying, a check after every step. */
  phase: 'coarse' | 'fine';
  /** The coarse check that crossed the target, which started the replay. */
  crossedAt?: number;
  /**
   * While replaying, the crossing trajectory's losses from the previous check on, kept with its
   * weights (snapshot `crossedAt`): a trajectory that dips past the target in its first steps and
   * comes back may cross closer at `crossedAt` than at the replay's first crossing, and then the
   * record shows these. Absent in checkpoints from before the crossing was kept.
   */
  crossingLosses?: LossPoint[];
  /** The last coarse check's step: the snapshot a crossing rewinds to. */
  previousStep?: number;
  /** The check closest to the target so far. */
  bestStep?: number;
}

export interface LoopHistory {
  /** The losses of the steps on the returned trajectory (a replay replaces the steps it repeats). */
  losses: LossPoint[];
  checks: StopCheck[];
  /** Optimisation steps run in all, replays included (what the run cost). */
  stepsRun?: number;
  rewind?: RewindState;
}

export interface LoopResult extends LoopHistory {
  /** Steps of the returned model (target rules: the chosen check's step). */
  steps: number;
  stepsRun: number;
  /** Wall seconds spent in optimisation steps and in stopping checks (this process's share on a resumed run). */
  seconds: { steps: number; checks: number };
  stoppedBy: 'rule' | 'budget';
  resumedFrom?: number;
  /** Target rules: the check whose state is returned. */
  chosen?: StopCheck;
  /** Target rules: how close to the target a check had to be to end the run (targetTolerance). */
  tolerance?: number;
}

/** The forget rows every stopping check scores (and a target is estimated on). */
export function stopForgetSample(forget: readonly Example[], hp: HyperParameters, seed: number): Example[] {
  return sampleUpTo(forget, hp.stopSample!, mixSeed(seed, 3));
}

/** The part of a snapshot a returned (never continued) state needs. */
function weightsOnly(s: RunSnapshot): RunSnapshot {
  return { step: s.step, model: s.model, modules: {} };
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
  // Before setup (SalUn's saliency covers only what trains) and the optimiser (frozen weights are not in it).
  freezeLowerLayers(model, hp.freezeLayers ?? 0);
  const prefix = frozenPrefixCache(model, hp.freezeLayers ?? 0, data.forget, hp.frozenCacheMb ?? 0);
  const attachPrefix = prefix && ((batch: LabelledBatch, rows: readonly Example[]) => prefix.attach(batch, rows));
  const encode = (examples: readonly Example[]) => {
    const batch = makeBatch(tokenizer, examples, options.maxLength, model.device);
    return attachPrefix ? attachPrefix(batch, examples) : batch;
  };
  const state: MethodState = method.setup?.({ model, hp, loadOriginal: options.loadOriginal, forget: data.forget, encode }) ?? {};
  try {
    const modules: Record<string, Module> = state.modules ?? {};
    // Extra modules (a projection head) are made on the CPU, seeded as above; they train where the model does.
    for (const m of Object.values(modules)) m.to(model.device);
    const params = decayGroups(model);
    for (const m of Object.values(modules)) params.push({ params: m.parameters() });
    const optimizer = new AdamW(params, { lr: hp.lr!, weightDecay: hp.weightDecay! });
    const trainable = [...model.trainableParameters(), ...Object.values(modules).flatMap((m) => m.parameters())]; // clipped together, every step
    const target = options.target;
    if (isTargetRule(options.stop) && !target) throw new Error(`the '${options.stop}' stopping rule needs options.target`);
    const identity: RunIdentity = {
      method: method.name, hyperparameters: { ...hp }, seed, forgetHash: options.forgetHash, stop: options.stop,
      ...(target ? { target: { accuracy: target.accuracy, loss: target.loss, source: target.source } } : {}),
    };

    let history: LoopHistory = { losses: [], checks: [] };
    let start = 0;
    let resumedFrom: number | undefined;
    let previous: RunSnapshot | undefined; // the last coarse check, with its optimiser state
    let best: RunSnapshot | undefined; // the check closest to the target, weights only
    let crossing: RunSnapshot | undefined; // while replaying: the coarse crossing's weights, still a candidate
    if (options.resume && options.checkpointDir && hasCheckpoint(options.checkpointDir)) {
      const progress = loadCheckpoint<LoopHistory>(options.checkpointDir, model, modules, optimizer, identity);
      ({ history } = progress);
      start = resumedFrom = progress.step;
      const r = history.rewind;
      if (r?.previousStep !== undefined) previous = loadSnapshot(options.checkpointDir, r.previousStep);
      if (r?.bestStep !== undefined) best = weightsOnly(r.bestStep === previous?.step ? previous : loadSnapshot(options.checkpointDir, r.bestStep));
      if (r?.phase === 'fine' && r.crossingLosses && r.crossedAt !== undefined) crossing = loadSnapshot(options.checkpointDir, r.crossedAt);
    }
    const rewind: RewindState = history.rewind ?? { phase: 'coarse' };
    let stepsRun = history.stepsRun ?? 0;

    const forgetBatches = method.uses.forget ? new BatchSchedule(data.forget.length, hp.forgetBatch!, mixSeed(seed, 1)) : undefined;
    const retainBatches = method.uses.retain ? new BatchSchedule(data.retain.length, hp.retainBatch!, mixSeed(seed, 2)) : undefined;
    // Tokenised once: every check scores the same rows.
    const stopForget = options.stop === 'none' ? undefined : new ScoredSample(stopForgetSample(data.forget, hp, seed), tokenizer, options.maxLength, 'forget sample');
    const stopHeldout = options.stop === 'none' ? undefined : new ScoredSample(sampleUpTo(data.validation, hp.stopSample!, mixSeed(seed, 4)), tokenizer, options.maxLength, 'held-out sample');
    if (stopHeldout) prefix?.keepAlso(stopHeldout.examples);
    // chooseByGap: every check also scores a retain sample and the held-out sample, and the
    // check returned is the one with the smallest estimated gap to a retrained model.
    const stopRetain = target && hp.chooseByGap === 1 ? new ScoredSample(sampleUpTo(data.retain, hp.stopSample!, mixSeed(seed, 7)), tokenizer, options.maxLength, 'retain sample') : undefined;
    if (stopRetain) prefix?.keepAlso(stopRetain.examples);
    const quality = (): QualitySamples | undefined => stopRetain && { retain: stopRetain, heldout: stopHeldout!, base: history.checks.find((k) => k.step === 0) };
    const seconds = { steps: 0, checks: 0 };
    const runCheck = (step: number, fine: boolean, blend?: StopCheck['blend']): StopCheck => {
      const started = Date.now();
      const c = checkStop(model, stopForget!, stopHeldout!, options.stop, step, target, attachPrefix, quality());
      seconds.checks += (Date.now() - started) / 1000;
      if (fine) c.fine = true;
      if (blend) c.blend = blend;
      history.checks.push(c);
      options.onCheck?.(c);
      return c;
    };
    /**
     * Looks for the target between the previous coarse check's state (alpha 0, not past the
     * target) and the crossing state at `step` (alpha 1, past it) by bisection on the straight
     * line between them, and leaves the model at the check closest to the target over the run:
     * a probe, the crossing, or an earlier coarse check (`earlier`, the closest before it).
     */
    const bisectCrossing = (from: RunSnapshot, step: number, crossingIsBest: boolean, tolerance: number, earlier: RunSnapshot | undefined): void => {
      const crossing = takeSnapshot(step, model, {});
      let closest: number | undefined = crossingIsBest ? 1 : undefined;
      if (crossingIsBest) rewind.bestStep = step;
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < hp.bisect!; i++) {
        const alpha = (lo + hi) / 2;
        blendSnapshots(model, from, crossing, alpha);
        const at = from.step + alpha * (step - from.step);
        const k = runCheck(at, true, { from: from.step, to: step, alpha });
        if (betterCheck(k, history.checks.find((x) => x.step === rewind.bestStep)!, target!)) {
          rewind.bestStep = at;
          closest = alpha;
        }
        if (k.distance! <= tolerance) break;
        if (k.unseen) hi = alpha;
        else lo = alpha;
      }
      if (closest === 1) restoreSnapshot(crossing, model, {});
      else if (closest !== undefined) blendSnapshots(model, from, crossing, closest);
      else restoreSnapshot(earlier!, model, {});
    };
    const total = hp.steps!;
    const tolerance = target && stopForget ? targetTolerance(target.accuracy, stopForget.size, hp.tolerance) : 0;
    const checkDue = (step: number): boolean => options.stop !== 'none'
      && (step % hp.evalEvery! === 0 || rewind.phase === 'fine' || (target !== undefined && step === total));

    let step = start;
    let stoppedBy: LoopResult['stoppedBy'] = 'budget';
    for (;;) {
      if (target && checkDue(step)) {
        // The crossing check is met again at the end of its replay: the same state, so the same check.
        const c = history.checks.find((k) => k.step === step) ?? runCheck(step, rewind.phase === 'fine');
        const bestCheck = history.checks.find((k) => k.step === rewind.bestStep);
        const isBest = !bestCheck || betterCheck(c, bestCheck, target);
        // Within `tolerance` of the target the replay would be chasing the target's own noise.
        const closeEnough = c.distance! <= tolerance;
        if (rewind.phase === 'coarse' && c.unseen && !closeEnough && previous && (hp.bisect ?? 0) > 0) {
          bisectCrossing(previous, step, isBest, tolerance, best);
          best = undefined; // the model is left in the chosen state
          stoppedBy = 'rule';
          break;
        }
        if (rewind.phase === 'coarse' && c.unseen && !closeEnough && previous && previous.step < step - 1) {
          // (Not weighed yet: the replay meets this state again at its end and weighs it then, or,
          // if the replay crosses earlier, weighs the kept weights against that crossing.)
          // Overshot somewhere since the previous check: replay those steps one at a time.
          crossing = takeSnapshot(step, model, {});
          restoreSnapshot(previous, model, modules, optimizer);
          rewind.crossingLosses = history.losses.filter((l) => l.step >= previous!.step);
          history.losses = history.losses.filter((l) => l.step < previous!.step);
          rewind.phase = 'fine';
          rewind.crossedAt = step;
          rewind.previousStep = undefined;
          step = previous.step;
          previous = undefined;
          continue;
        }
        if (isBest) rewind.bestStep = step;
        // Within half an accuracy step (1/n on n scored rows) of the target no check can be
        // closer, and within `tolerance` none is worth the steps: stop here instead of running on
        // until the target is crossed.
        if (c.unseen || closeEnough) {
          stoppedBy = 'rule';
          if (isBest) best = undefined; // the current state is the one returned
          // The replay crossed before the coarse crossing (a dip in the first steps): that
          // crossing state, closer to the target, may still be the better one to return.
          const crossingCheck = crossing && step < crossing.step ? history.checks.find((k) => k.step === crossing!.step && !k.fine) : undefined;
          if (crossingCheck && betterCheck(crossingCheck, history.checks.find((k) => k.step === rewind.bestStep)!, target)) {
            rewind.bestStep = crossingCheck.step;
            best = crossing;
            // Kept with the weights: the steps from the previous check to the crossing.
            const kept = rewind.crossingLosses!;
            history.losses = [...history.losses.filter((l) => l.step < kept[0]!.step), ...kept];
          }
          break;
        }
        if (rewind.phase === 'coarse') {
          previous = takeSnapshot(step, model, modules, optimizer);
          rewind.previousStep = step;
          if (isBest) best = weightsOnly(previous); // shares the bytes: no extra copy
        } else if (isBest) {
          best = takeSnapshot(step, model, {});
        }
      } else if (!target && step < total && checkDue(step) && !history.checks.some((c) => c.step === step)) {
        if (runCheck(step, false).unseen) {
          stoppedBy = 'rule';
          break;
        }
      }
      if (step >= total) break;
      model.train();
      for (const m of Object.values(modules)) m.train();
      manualSeed(mixSeed(seed, 5, step)); // dropout masks depend on (seed, step) only
      const random = mulberry32(mixSeed(seed, 6, step));
      const stepStarted = Date.now();
      const forget = forgetBatches ? forgetBatches.indices(Math.floor(step / hp.retainPerForget!)).map((i) => data.forget[i]!) : [];
      const retain = retainBatches ? retainBatches.indices(step).map((i) => data.retain[i]!) : [];
      const values = scope(() => {
        optimizer.zeroGrad();
        const ctx = { model, step, hp, state, random, encode };
        const out = method.loss(ctx, forget, retain);
        out.total.backward();
        method.afterBackward?.(ctx);
        clipGradNormOnDevice(trainable, hp.clip!);
        optimizer.step();
        const logged: Record<string, number> = { total: out.total.item() };
        for (const [k, v] of Object.entries(out.parts)) logged[k] = v.item();
        return logged;
      });
      seconds.steps += (Date.now() - stepStarted) / 1000;
      if (!Number.isFinite(values.total)) throw new Error(`${method.name}: loss is ${values.total} at step ${step} (lower --hp lr or raise clip)`);
      history.losses.push({ step, values });
      stepsRun++;
      step++;
      options.onStep?.({ step, total, values });
      if (options.checkpointDir && step % hp.checkpointEvery! === 0 && step < total) {
        const snapshots = [previous, best, crossing].filter((x): x is RunSnapshot => x !== undefined);
        saveCheckpoint(options.checkpointDir, model, modules, optimizer, { identity, step, history: { ...history, stepsRun, ...(target ? { rewind } : {}) } }, snapshots);
      }
    }
    if (!target && stoppedBy === 'budget' && options.stop !== 'none' && !history.checks.some((c) => c.step === step)) runCheck(step, false);
    let chosen: StopCheck | undefined;
    if (target) {
      chosen = history.checks.find((k) => k.step === rewind.bestStep);
      if (!chosen) throw new Error('internal: a target rule ended without a chosen check');
      if (best && best.step !== step) restoreSnapshot(best, model, {});
    }
    model.eval();
    return {
      ...history, stepsRun, seconds, steps: chosen ? chosen.step : step, stoppedBy,
      // The crossing's kept losses are resume state; the record's losses already show the returned trajectory.
      ...(target ? { rewind: (({ crossingLosses: _kept, ...record }) => record)(rewind), chosen, tolerance } : {}), ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    };
  } finally {
    prefix?.dispose();
    state.dispose?.();
    for (const m of Object.values(state.modules ?? {})) m.dispose();
  }
}
