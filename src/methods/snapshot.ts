// A run's state at one stopping check, held as bytes in host memory: the weights (safetensors
// bytes, the format checkpoints use, so a snapshot is written to and read from a checkpoint as
// is) and, when the run may continue from it, the optimiser state. Rewinding restores one.
import { scope, type Optimizer, type Tensor } from '../engine';
import type { Module } from '../nn';
import { parseSafetensors, serializeSafetensors, toEngineTensors } from '../io/safetensors';

export interface RunSnapshot {
  /** Steps completed when it was taken. */
  step: number;
  model: Buffer;
  /** The method's extra trainable modules (e.g. a projection head), by name. */
  modules: Record<string, Buffer>;
  /** AdamW's moments and step count; absent for a snapshot that is only ever returned, never continued. */
  optimizer?: Buffer;
}

export function weightBytes(module: Module): Buffer {
  return Buffer.concat(serializeSafetensors(module.stateDict()));
}

export function loadWeightBytes(module: Module, bytes: Uint8Array, what: string): void {
  // Restored as saved: no half-precision upcast (the snapshot holds the module's own dtypes).
  const tensors = toEngineTensors(parseSafetensors(bytes, what), { upcastHalf: false });
  try {
    module.loadStateDict(tensors, { context: `restoring ${what}` });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

export function takeSnapshot(step: number, model: Module, modules: Readonly<Record<string, Module>>, optimizer?: Optimizer): RunSnapshot {
  const own: Record<string, Buffer> = {};
  for (const [name, m] of Object.entries(modules)) own[name] = weightBytes(m);
  return { step, model: weightBytes(model), modules: own, ...(optimizer ? { optimizer: optimizer.stateBytes() } : {}) };
}

/** Puts the run back to `snapshot` (weights, modules and, when given, the optimiser). */
export function restoreSnapshot(snapshot: RunSnapshot, model: Module, modules: Readonly<Record<string, Module>>, optimizer?: Optimizer): void {
  loadWeightBytes(model, snapshot.model, `the model at step ${snapshot.step}`);
  for (const [name, m] of Object.entries(modules)) {
    const bytes = snapshot.modules[name];
    if (!bytes) throw new Error(`snapshot at step ${snapshot.step} has no module '${name}'`);
    loadWeightBytes(m, bytes, `module '${name}' at step ${snapshot.step}`);
  }
  if (optimizer) {
    if (!snapshot.optimizer) throw new Error(`snapshot at step ${snapshot.step} holds no optimiser state and cannot be continued`);
    optimizer.loadStateBytes(snapshot.optimizer);
  }
}

/**
 * Sets the model's weights to a + alpha · (b − a): a point on the straight line between two
 * snapshots' states (alpha 0: a, 1: b). Weights equal in both (frozen layers) stay exactly as
 * they are; integer buffers are taken from a.
 */
export function blendSnapshots(model: Module, a: RunSnapshot, b: RunSnapshot, alpha: number): void {
  const from = toEngineTensors(parseSafetensors(a.model, `the model at step ${a.step}`), { upcastHalf: false });
  const to = toEngineTensors(parseSafetensors(b.model, `the model at step ${b.step}`), { upcastHalf: false });
  try {
    scope(() => {
      const mixed = new Map<string, Tensor>();
      for (const [name, x] of from) {
        const y = to.get(name);
        if (!y) throw new Error(`blending the states at steps ${a.step} and ${b.step}: '${name}' is only in the first`);
        mixed.set(name, x.dtype.startsWith('float') || x.dtype === 'bfloat16' ? x.add(y.sub(x).mul(alpha)) : x);
      }
      model.loadStateDict(mixed, { context: `blending the states at steps ${a.step} and ${b.step}` });
    });
  } finally {
    for (const t of from.values()) t.dispose();
    for (const t of to.values()) t.dispose();
  }
}
