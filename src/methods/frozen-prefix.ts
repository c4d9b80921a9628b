// The frozen lower layers' output, computed once per row and reused. With `freezeLayers` set,
// the embeddings and the lowest layers never change during an unlearning run and run without
// dropout, so for a given row their output is the same at every step and every stopping check.
// The forget rows come back at every check and every pass over the forget set, and DeepCUT
// encodes each row once per view: those rows' frozen prefix is computed once and kept (so are a
// stopping check's held-out rows, scored at every check under the accuracy and loss rules); any other
// row's is computed once per batch (not once per view). Batches then start the encoder above
// the frozen layers (src/model/lower.ts). Cached rows hold their real positions only, so a row
// is the same whichever batch (and padded length) it is assembled into; the padded positions get
// zeros, which no real position sees (masked keys, masked pooling).
import { cat, keep, noGrad, stack, tensor, zeros, type Tensor } from '../engine';
import type { Example } from '../data';
import type { LabelledBatch } from '../train/batches';
import type { Classifier } from './types';

export const FROZEN_CACHE_HELP = 'MiB of frozen-layer outputs kept for the forget rows and the held-out rows of the stopping checks when freezeLayers > 0 (computed once and reused by every step and check; 0: recompute every time)';

export class FrozenPrefixCache {
  private readonly rows = new Map<Example, Tensor>();
  private bytes = 0;
  /** Rows whose prefix was computed (a cached row counts once). */
  computed = 0;

  /** The rows worth keeping (they come back: the forget set, the stopping checks' samples); others are computed per batch. */
  private readonly keepRows: Set<Example>;

  constructor(private readonly model: Classifier, readonly layers: number, keepRows: Iterable<Example>, private readonly maxBytes: number) {
    if (!Number.isInteger(layers) || layers < 1) throw new Error(`a frozen-prefix cache needs at least one frozen layer, got ${layers}`);
    // Only frozen modules are a fixed function of a row (no weight updates, no dropout in either mode).
    const { embeddings, layers: stack } = model.encoder.stack();
    if (![embeddings, ...stack.slice(0, layers)].every((m) => m.frozen)) throw new Error(`a frozen-prefix cache over ${layers} layer(s) needs the embeddings and those layers frozen (freezeLowerLayers)`);
    this.keepRows = new Set(keepRows);
  }

  /** Keeps these rows' prefix too once computed (a sample every stopping check scores). */
  keepAlso(rows: Iterable<Example>): void {
    for (const e of rows) this.keepRows.add(e);
  }

  get cachedRows(): number {
    return this.rows.size;
  }

  /** `batch` (made from `examples`, row for row) with the frozen prefix's output attached; call inside a scope(). */
  attach(batch: LabelledBatch, examples: readonly Example[]): LabelledBatch {
    if (examples.length !== batch.inputIds.size(0)) throw new Error(`internal: ${examples.length} examples for a batch of ${batch.inputIds.size(0)} rows`);
    const seq = batch.inputIds.size(1);
    const lengths = batch.attentionMask
      ? Array.from(batch.attentionMask.sum([1]).toArray() as ArrayLike<number | bigint>, Number)
      : examples.map(() => seq);
    // First row of each distinct example not cached yet (a DeepCUT batch holds each row once per view).
    const fresh = new Map<Example, number>();
    examples.forEach((e, row) => { if (!this.rows.has(e) && !fresh.has(e)) fresh.set(e, row); });
    const made = new Map<Example, Tensor>();
    if (fresh.size > 0) {
      const picked = tensor([...fresh.values()], { dtype: 'int64', device: this.model.device });
      const pick = (t: Tensor | undefined) => t?.indexSelect(0, picked);
      // Frozen (checked above), the prefix runs without dropout whatever the model's mode.
      const hidden = noGrad(() => this.model.encoder.forward({ inputIds: pick(batch.inputIds)!, attentionMask: pick(batch.attentionMask), tokenTypeIds: pick(batch.tokenTypeIds) }, { stopAfter: this.layers }).lastHiddenState);
      [...fresh.entries()].forEach(([e, row], u) => {
        const own = hidden.select(0, u).narrow(0, 0, lengths[row]!);
        const size = own.numel * 4;
        if (this.keepRows.has(e) && this.bytes + size <= this.maxBytes) {
          this.rows.set(e, keep(own.contiguous()));
          this.bytes += size;
        } else {
          made.set(e, own);
        }
      });
      this.computed += fresh.size;
    }
    const width = (this.rows.values().next().value ?? made.values().next().value)!.size(1);
    const padded = examples.map((e, row) => {
      const own = this.rows.get(e) ?? made.get(e)!;
      const length = lengths[row]!;
      return length === seq ? own : cat([own, zeros([seq - length, width], { device: this.model.device })], 0);
    });
    return { ...batch, lower: { encoder: this.model.encoder, layers: this.layers, hidden: stack(padded, 0) } };
  }

  dispose(): void {
    for (const t of this.rows.values()) t.dispose();
    this.rows.clear();
    this.bytes = 0;
  }
}

/** A cache for `model` when it has frozen layers and a budget, else undefined. */
export function frozenPrefixCache(model: Classifier, freezeLayers: number, forget: readonly Example[], megabytes: number): FrozenPrefixCache | undefined {
  if (freezeLayers < 1 || megabytes <= 0) return undefined;
  return new FrozenPrefixCache(model, freezeLayers, forget, megabytes * 1024 * 1024);
}
