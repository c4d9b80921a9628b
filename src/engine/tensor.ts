// The Tensor class: a thin, typed TypeScript face over a libtorch tensor.
// Every op returns a new Tensor registered with the innermost scope().
import { native, type DType, type TensorHandle } from './native';
import { track, type Tracked } from './scope';

export type { DType, Reduction } from './native';
export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
type Operand = Tensor | number;

const raw = (x: Operand): TensorHandle | number => (typeof x === 'number' ? x : x.handle);

export class Tensor implements Tracked {
  scopeFrame?: Set<Tracked> = undefined;
  private meta?: { shape: number[]; dtype: DType };

  constructor(readonly handle: TensorHandle) {
    track(this);
  }

  // ---- metadata
  private info(): { shape: number[]; dtype: DType } {
    this.meta ??= native.info(this.handle);
    return this.meta;
  }
  get shape(): readonly number[] { return this.info().shape; }
  get dtype(): DType { return this.info().dtype; }
  /** 'cpu' or 'cuda:N'. Asked each time (not cached): Module.to() moves tensors in place. */
  get device(): string { return native.device(this.handle); }
  get ndim(): number { return this.info().shape.length; }
  get numel(): number { return this.info().shape.reduce((a, b) => a * b, 1); }
  /** Size of one dimension; negative dims count from the end. */
  size(dim: number): number {
    const shape = this.info().shape;
    const d = dim < 0 ? shape.length + dim : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`dim ${dim} out of range for a ${shape.length}-d tensor`);
    return shape[d]!;
  }

  // ---- lifetime
  dispose(): void { this.handle.dispose(); }
  /** Not owned by a scope any more: tell V8 these bytes wait on its garbage collector. */
  unowned(): void { this.handle.reportToGc(); }
  get isDisposed(): boolean { return this.handle.disposed; }
  [Symbol.dispose](): void { this.dispose(); }

  // ---- data out
  toArray(): TypedData { return native.toTypedArray(this.handle); }
  /** Elements as plain numbers (int64 converted; exact below 2^53). */
  toNumbers(): number[] {
    const data = this.toArray();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data);
  }
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  /** Raw little-endian bytes (contiguous), as safetensors stores them. */
  toBytes(): Buffer { return native.toBytes(this.handle); }

  // ---- autograd
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  requiresGrad_(value = true): this { native.setRequiresGrad(this.handle, value); return this; }
  /** The accumulated gradient (a new handle sharing its storage), or undefined. */
  get grad(): Tensor | undefined {
    const g = native.grad(this.handle);
    return g ? new Tensor(g) : undefined;
  }
  backward(gradient?: Tensor, retainGraph = false): void { native.backward(this.handle, gradient?.handle, retainGraph); }
  detach(): Tensor { return new Tensor(native.detach(this.handle)); }
  clone(): Tensor { return new Tensor(native.clone(this.handle)); }

  // ---- arithmetic (broadcasting) and comparisons
  add(o: Operand): Tensor { return new Tensor(native.add(this.handle, raw(o))); }
  sub(o: Operand): Tensor { return new Tensor(native.sub(this.handle, raw(o))); }
  mul(o: Operand): Tensor { return new Tensor(native.mul(this.handle, raw(o))); }
  div(o: Operand): Tensor { return new Tensor(native.div(this.handle, raw(o))); }
  pow(o: Operand): Tensor { return new Tensor(native.pow(this.handle, raw(o))); }
  maximum(o: Tensor): Tensor { return new Tensor(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return new Tensor(native.minimum(this.handle, o.handle)); }
  eq(o: Operand): Tensor { return new Tensor(native.eq(this.handle, raw(o))); }
  ne(o: Operand): Tensor { return new Tensor(native.ne(this.handle, raw(o))); }
  lt(o: Operand): Tensor { return new Tensor(native.lt(this.handle, raw(o))); }
  le(o: Operand): Tensor { return new Tensor(native.le(this.handle, raw(o))); }
  gt(o: Operand): Tensor { return new Tensor(native.gt(this.handle, raw(o))); }
  ge(o: Operand): Tensor { return new Tensor(native.ge(this.handle, raw(o))); }
  logicalAnd(o: Tensor): Tensor { return new Tensor(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return new Tensor(native.logicalOr(this.handle, o.handle)); }
  logicalNot(): Tensor { return new Tensor(native.logicalNot(this.handle)); }

  // ---- elementwise functions
  neg(): Tensor { return new Tensor(native.neg(this.handle)); }
  abs(): Tensor { return new Tensor(native.abs(this.handle)); }
  exp(): Tensor { return new Tensor(native.exp(this.handle)); }
  log(): Tensor { return new Tensor(native.log(this.handle)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.handle)); }
  sin(): Tensor { return new Tensor(native.sin(this.handle)); }
  cos(): Tensor { return new Tensor(native.cos(this.handle)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.handle)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.handle)); }
  relu(): Tensor { return new Tensor(native.relu(this.handle)); }
  /** GELU; 'none' is the exact erf form used by BERT. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return new Tensor(native.gelu(this.handle, approximate)); }
  clamp(min?: number | null, max?: number | null): Tensor { return new Tensor(native.clamp(this.handle, min ?? null, max ?? null)); }
  softmax(dim: number): Tensor { return new Tensor(native.softmax(this.handle, dim)); }
  logSoftmax(dim: number): Tensor { return new Tensor(native.logSoftmax(this.handle, dim)); }

  // ---- linear algebra
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }
  bmm(o: Tensor): Tensor { return new Tensor(native.bmm(this.handle, o.handle)); }

  // ---- shape and layout
  reshape(shape: readonly number[]): Tensor { return new Tensor(native.reshape(this.handle, [...shape])); }
  view(shape: readonly number[]): Tensor { return new Tensor(native.view(this.handle, [...shape])); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.handle, d0, d1)); }
  permute(dims: readonly number[]): Tensor { return new Tensor(native.permute(this.handle, [...dims])); }
  expand(shape: readonly number[]): Tensor { return new Tensor(native.expand(this.handle, [...shape])); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this.handle)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  squeeze(dim?: number): Tensor { return new Tensor(native.squeeze(this.handle, dim)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(native.flatten(this.handle, start, end)); }
  /** dtype conversion ('float32', 'int64', ...) or device move ('cpu', 'cuda:0'). */
  to(target: DType | string): Tensor { return new Tensor(native.to(this.handle, target)); }
  /**
   * Moves this tensor (with its gradient) to `device` in place, keeping it the same tensor, as
   * PyTorch's Module.to() does for parameters: every reference to it (a module's field, an
   * optimizer's parameter list) sees the move. Returns this.
   */
  moveTo_(device: string): this { native.moveTo_(this.handle, device); return this; }
  float(): Tensor { return this.to('float32'); }
  long(): Tensor { return this.to('int64'); }

  // ---- slicing and indexing
  /** Python's t[..., start:end:step, ...] along dim; end may be omitted or negative. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start ?? null, end ?? null, step));
  }
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this.handle, dim, index)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this.handle, dim, start, length)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  /** Running sum along dim (integer tensors stay int64). */
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.handle, dim)); }
  triu(diagonal = 0): Tensor { return new Tensor(native.triu(this.handle, diagonal)); }

  // ---- reductions (no dim: over all elements)
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle, dim === undefined ? undefined : dims(dim), keepdim));
  }
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle, dim === undefined ? undefined : dims(dim), keepdim));
  }
  max(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.max(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.min(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  maxAll(): Tensor { return new Tensor(native.maxAll(this.handle)); }
  minAll(): Tensor { return new Tensor(native.minAll(this.handle)); }
  argmax(dim: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.handle, dim, keepdim)); }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return new Tensor(native.logsumexp(this.handle, dims(dim), keepdim)); }
  norm(p: number, dim: number | readonly number[], keepdim = false): Tensor { return new Tensor(native.norm(this.handle, p, dims(dim), keepdim)); }
  /** Variance; biased (divide by N) unless unbiased = true. */
  var(dim: number | readonly number[], unbiased = false, keepdim = false): Tensor {
    return new Tensor(native.var(this.handle, dims(dim), unbiased, keepdim));
  }

  // ---- in-place (parameter initialisation and loading; call under noGrad for leaves)
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  normal_(mean = 0, std = 1): this { native.normal_(this.handle, mean, std); return this; }
  uniform_(low = 0, high = 1): this { native.uniform_(this.handle, low, high); return this; }
  fill_(value: number): this { native.fill_(this.handle, value); return this; }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

const dims = (d: number | readonly number[]): number[] => (typeof d === 'number' ? [d] : [...d]);
