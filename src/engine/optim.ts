// Optimizers: libtorch's AdamW and SGD (so updates match PyTorch exactly),
// with parameter groups and state that saves to / loads from a file.
import * as fs from 'node:fs';
import { native, type OptimizerHandle } from './native';
import type { Tensor } from './tensor';
import { writeFileAtomic } from '../io/atomic';

export interface ParamGroup<O> {
  params: readonly Tensor[];
  /** Per-group overrides of the optimizer's options (e.g. weightDecay: 0 for biases). */
  options?: Partial<O>;
}

export interface AdamWOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }
export interface SGDOptions { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }

function toGroups<O extends object>(params: readonly Tensor[] | readonly ParamGroup<O>[]) {
  const groups: ParamGroup<O>[] = params.length > 0 && !('params' in params[0]!)
    ? [{ params: params as readonly Tensor[] }]
    : [...(params as readonly ParamGroup<O>[])];
  if (groups.length === 0 || groups.every((g) => g.params.length === 0)) throw new Error('optimizer: no parameters to optimize');
  return groups.map((g) => ({ params: g.params.map((p) => p.handle), ...(g.options ?? {}) }));
}

export abstract class Optimizer {
  protected constructor(protected readonly impl: OptimizerHandle) {}
  step(): void { this.impl.step(); }
  zeroGrad(): void { this.impl.zeroGrad(); }
  get lr(): number { return this.impl.getLr(); }
  /** Sets the learning rate of every group (schedules call this each step). */
  set lr(value: number) { this.impl.setLr(value); }
  /** The device of every state tensor (AdamW's moments, SGD's momentum): they follow the parameters. */
  stateDevices(): string[] { return this.impl.stateDevices(); }
  stateBytes(): Buffer { return this.impl.saveState(); }
  /** Loads state saved by stateBytes(), onto the parameters' device whatever device saved it. */
  loadStateBytes(bytes: Uint8Array): void { this.impl.loadState(bytes); }
  saveState(file: string): void { writeFileAtomic(file, this.stateBytes()); }
  loadState(file: string): void {
    try {
      this.loadStateBytes(fs.readFileSync(file));
    } catch (err) {
      throw new Error(`cannot load optimizer state from ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export class AdamW extends Optimizer {
  static readonly defaults: AdamWOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamWOptions>[], options: Partial<AdamWOptions> = {}) {
    super(new native.OptimizerHandle('adamw', toGroups(params), { ...AdamW.defaults, ...options }));
  }
}

export class SGD extends Optimizer {
  static readonly defaults: SGDOptions = { lr: 1e-2, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };
  constructor(params: readonly Tensor[] | readonly ParamGroup<SGDOptions>[], options: Partial<SGDOptions> = {}) {
    super(new native.OptimizerHandle('sgd', toGroups(params), { ...SGD.defaults, ...options }));
  }
}
