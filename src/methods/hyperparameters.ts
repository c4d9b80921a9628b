// The unlearning loop's own hyper-parameters (methods may override their defaults) and how
// user overrides (--hp name=value) are checked and merged.
import { FROZEN_CACHE_HELP } from './frozen-prefix';
import type { HyperParameter, HyperParameters, UnlearningMethod } from './types';

export const LOOP_HYPERPARAMETERS: Readonly<Record<string, HyperParameter>> = {
  lr: { default: 5e-5, help: 'AdamW learning rate, constant (half the fine-tuning peak: unlearning edits a trained model)' },
  steps: { default: 150, help: 'step budget; the stopping rule usually ends the run earlier' },
  forgetBatch: { default: 16, help: 'forget samples per step' },
  retainBatch: { default: 16, help: 'retain samples per step' },
  retainPerForget: { default: 1, help: 'steps that reuse one forget batch with fresh retain batches' },
  evalEvery: { default: 5, help: 'steps between checks of the stopping rule (a forget set of ~65 can flip within 10 steps)' },
  stopSample: { default: 256, help: 'forget and validation samples scored by each stopping check (seeded subsample)' },
  clip: { default: 1, help: 'gradient-norm clipping (ascent-style losses are unbounded)' },
  weightDecay: { default: 0, help: 'AdamW weight decay (off: decay would pull every weight, not just the forgotten knowledge)' },
  checkpointEvery: { default: 25, help: 'steps between resumable checkpoints' },
  tolerance: { default: -1, help: 'target rules: a check this close to the target (accuracy) ends the run without replaying the steps before it; -1: the target\'s own noise on the n scored forget units, max(0.01, sqrt(t(1-t)/n)) (1.4 points at 95% on 256 rows, 6 on 13), since a retrained model lands about that far from it itself' },
  bisect: { default: 0, help: 'target rules: at a check that crosses the target, probe the straight line between it and the previous check\'s state with up to this many checks (bisection, no steps) instead of replaying the steps in between one at a time (0: replay)' },
  chooseByGap: { default: 0, help: 'target rules: 1 = every check also scores a retain sample and the held-out sample (stopSample rows each), and the run returns the check with the smallest estimated gap to a retrained model ((2 |forget accuracy - target| + the retain and held-out accuracy moved since step 0) / 4, the evaluation\'s average gap with the forget term standing in for the MIA one), the input model included; 0 = the check closest to the target forget accuracy' },
  dropout: { default: -1, help: 'dropout rate of every dropout layer while unlearning (-1: the input model\'s own rates); the saved model keeps its own rates. DeepCUT\'s views differ only through dropout, so a model fine-tuned at dropout 0 needs this for them to' },
  frozenCacheMb: { default: 1024, help: FROZEN_CACHE_HELP },
  freezeLayers: { default: 0, help: 'keep the embeddings and this many lower layers fixed (default: what the input model\'s fine-tune froze, from its recipe; those weights never saw the data)' },
};

/** Every hyper-parameter a method accepts, with the method's defaults taking precedence. */
export function hyperparameterSpec(method: UnlearningMethod): Record<string, HyperParameter> {
  return method.kind === 'loss' ? { ...LOOP_HYPERPARAMETERS, ...method.hyperparameters } : { ...method.hyperparameters };
}

export function defaultHyperparameters(method: UnlearningMethod): Record<string, number> {
  return Object.fromEntries(Object.entries(hyperparameterSpec(method)).map(([k, v]) => [k, v.default]));
}

/** Defaults overridden by `overrides`; an unknown name or a non-finite value is an error naming it. */
export function resolveHyperparameters(method: UnlearningMethod, overrides: Readonly<Record<string, number>> = {}): HyperParameters {
  const hp = defaultHyperparameters(method);
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in hp)) throw new Error(`method '${method.name}' has no hyper-parameter '${name}' (it has: ${Object.keys(hp).join(', ')})`);
    if (!Number.isFinite(value)) throw new Error(`hyper-parameter '${name}' must be a finite number, got ${value}`);
    hp[name] = value;
  }
  for (const name of ['steps', 'forgetBatch', 'retainBatch', 'retainPerForget', 'evalEvery', 'stopSample', 'checkpointEvery', 'freezeLayers', 'bisect']) {
    const v = hp[name];
    const zeroAllowed = name === 'steps' || name === 'freezeLayers' || name === 'bisect';
    if (v !== undefined && !(Number.isInteger(v) && v >= (zeroAllowed ? 0 : 1))) {
      throw new Error(`hyper-parameter '${name}' must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${v}`);
    }
  }
  if (hp.chooseByGap !== undefined && hp.chooseByGap !== 0 && hp.chooseByGap !== 1) throw new Error(`hyper-parameter 'chooseByGap' must be 0 or 1, got ${hp.chooseByGap}`);
  if (hp.dropout !== undefined && !(hp.dropout === -1 || (hp.dropout >= 0 && hp.dropout < 1))) throw new Error(`hyper-parameter 'dropout' must be a rate in [0, 1), or -1 for the input model's own rates, got ${hp.dropout}`);
  if (hp.frozenCacheMb !== undefined && !(hp.frozenCacheMb >= 0)) throw new Error(`hyper-parameter 'frozenCacheMb' must be a non-negative number of MiB, got ${hp.frozenCacheMb}`);
  if (hp.tolerance !== undefined && !(hp.tolerance === -1 || (hp.tolerance >= 0 && hp.tolerance <= 1))) throw new Error(`hyper-parameter 'tolerance' must be an accuracy distance from 0 to 1, or -1 for the target's own noise, got ${hp.tolerance}`);
  return Object.freeze(hp);
}

/** Parses `name=value` (from --hp). */
export function parseHyperparameter(text: string): [string, number] {
  const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(text.trim());
  if (!m) throw new Error(`--hp expects name=value, got '${text}'`);
  const value = Number(m[2]);
  if (!Number.isFinite(value)) throw new Error(`--hp ${m[1]}: '${m[2]}' is not a number`);
  return [m[1]!, value];
}
