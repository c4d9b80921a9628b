// A small PyTorch-like module system: named parameters and buffers in a tree
// of child modules, train/eval mode, and state dicts keyed by dotted names
// (the names Hugging Face checkpoints use).
import { Tensor } from '../engine/tensor';
import { keep } from '../engine/scope';
import { noGrad } from '../engine/runtime';

export type StateDict = Map<string, Tensor>;

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export class StateDictError extends Error {
  constructor(readonly problems: string[], context: string) {
    super(`${context}: ${problems.length} problem(s) in the state dict:\n  ${problems.join('\n  ')}`);
    this.name = 'StateDictError';
  }
}

export abstract class Module {
  training = true;
  /**
   * Frozen by freeze(): its parameters take no gradient and it stays in eval mode (no dropout)
   * whatever train() says, so its output is a fixed function of its input.
   */
  frozen = false;
  /**
   * Where this module's parameters and buffers live: 'cpu' (they are created there) until to()
   * moves the tree. Batches for the module are made on this device.
   */
  device: string = 'cpu';
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter (owned by the module: no scope frees it). */
  protected param(name: string, tensor: Tensor): Tensor {
    this.assertFreeName(name);
    keep(tensor).requiresGrad_(true);
    this.ownParams.set(name, tensor);
    return tensor;
  }

  /** Registers a non-trainable tensor; persistent buffers are part of the state dict. */
  protected buffer(name: string, tensor: Tensor, persistent = true): Tensor {
    this.assertFreeName(name);
    this.ownBuffers.set(name, { tensor: keep(tensor), persistent });
    return tensor;
  }

  protected child<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (name === '' || name.includes('.')) throw new Error(`invalid module member name '${name}'`);
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`'${name}' is already registered on ${this.constructor.name}`);
    }
  }

  /** Child modules with their dotted paths, this module first (path ''). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.children) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [name, p] of m.ownParams) out.push([path ? `${path}.${name}` : name, p]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /** Sets training mode (dropout active) on this module and every descendant that is not frozen. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode && !m.frozen;
    return this;
  }

  /**
   * Freezes this module and every descendant: no parameter of the tree takes a gradient (so no
   * optimiser moves it and autograd records nothing inside it) and dropout stays off in it.
   */
  freeze(): this {
    for (const [, m] of this.namedModules()) {
      m.frozen = true;
      m.training = false;
      for (const p of m.ownParams.values()) p.requiresGrad_(false);
    }
    return this;
  }

  /** The parameters an optimiser should update: those not frozen. */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter, buffer and gradient of the tree to `device` ('cpu', 'cuda', 'cuda:N')
   * in place, as PyTorch's Module.to(): the tensors stay the same objects, so fields, state
   * dicts and optimizers made before the move see it. Optimizer state made before the move stays
   * where it was: build the optimizer after moving (every loop here does). Returns this.
   */
  to(device: string): this {
    noGrad(() => {
      for (const [, m] of this.namedModules()) {
        for (const p of m.ownParams.values()) p.moveTo_(device);
        for (const b of m.ownBuffers.values()) b.tensor.moveTo_(device);
      }
    });
    // libtorch's name for it ('cuda' is reported as 'cuda:0'), so it compares equal to tensor.device.
    const first = this.namedParameters()[0]?.[1] ?? [...this.ownBuffers.values()][0]?.tensor;
    const actual = first ? first.device : device === 'cuda' ? 'cuda:0' : device;
    for (const [, m] of this.namedModules()) m.device = actual;
    return this;
  }

  /** Parameters and persistent buffers by dotted name. The tensors are the live ones, not copies. */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, p] of m.ownParams) out.set(key(name), p);
      for (const [name, b] of m.ownBuffers) if (b.persistent) out.set(key(name), b.tensor);
    }
    return out;
  }

  /**
   * Copies tensors into this module's parameters and buffers. Every mismatch
   * (missing, unexpected, wrong shape) is collected and reported in one error;
   * with strict = false, missing/unexpected names are returned instead.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: { strict?: boolean; context?: string } = {}): LoadReport {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [name, target] of own) {
      const source = state.get(name);
      if (source && source.shape.join(',') !== target.shape.join(',')) {
        problems.push(`${name}: shape [${source.shape.join(', ')}] in checkpoint, [${target.shape.join(', ')}] in model`);
      }
    }
    if (strict) {
      problems.push(...missing.map((k) => `${k}: missing from checkpoint`), ...unexpected.map((k) => `${k}: unexpected (not in model)`));
    }
    if (problems.length > 0) throw new StateDictError(problems, options.context ?? `loading ${this.constructor.name}`);
    noGrad(() => {
      for (const [name, target] of own) {
        const source = state.get(name);
        if (!source) continue;
        target.copy_(source.dtype === target.dtype ? source : source.to(target.dtype));
      }
    });
    return { missing, unexpected };
  }

  /** Frees every parameter and buffer of the tree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m.ownParams.values()) p.dispose();
      for (const b of m.ownBuffers.values()) b.tensor.dispose();
    }
  }
}

/** An indexable list of modules, registered as children '0', '1', ... */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];
  constructor(items: readonly M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.child(String(i), m));
  }
  get length(): number { return this.items.length; }
  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new RangeError(`ModuleList index ${i} out of range (length ${this.items.length})`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> { return this.items[Symbol.iterator](); }
}
