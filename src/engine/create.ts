// Tensor constructors and the multi-tensor ops (cat, stack, where).
import { native, type DType } from './native';
import { Tensor, type TypedData } from './tensor';

export type NestedNumbers = number | boolean | NestedNumbers[];

/** Where and as what a new tensor is made: dtype (default float32, int64 for arange) and device (default 'cpu'). */
export interface TensorOptions {
  dtype?: DType;
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: string;
}

export interface CreateOptions extends TensorOptions {
  shape?: readonly number[];
  requiresGrad?: boolean;
}

/** A constructor's last argument: a dtype alone (the older form) or { dtype, device }. */
export type DTypeOrOptions = DType | TensorOptions;

function options(arg: DTypeOrOptions | undefined, dtype: DType): { dtype: DType; device: string | undefined } {
  if (typeof arg === 'string') return { dtype: arg, device: undefined };
  return { dtype: arg?.dtype ?? dtype, device: arg?.device };
}

function inferShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let level: NestedNumbers = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] ?? 0;
  }
  return shape;
}

function flatten(data: NestedNumbers, shape: readonly number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new Error('tensor(): ragged nested array (deeper than its first element)');
    out.push(typeof data === 'boolean' ? Number(data) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(`tensor(): ragged nested array at depth ${depth} (expected length ${shape[depth]})`);
  }
  for (const item of data) flatten(item, shape, depth + 1, out);
}

/**
 * Makes a tensor from a typed array (copied) or nested JS numbers.
 * Numbers default to float32; pass dtype 'int64' for class ids and indices.
 */
export function tensor(data: TypedData | NestedNumbers, options: CreateOptions = {}): Tensor {
  let t: Tensor;
  if (ArrayBuffer.isView(data)) {
    const shape = options.shape ?? [data.length];
    t = new Tensor(native.fromTypedArray(data, [...shape], options.dtype, options.device));
  } else {
    const inferred = inferShape(data);
    const flat: number[] = [];
    flatten(data, inferred, 0, flat);
    const shape = options.shape ?? inferred;
    const dtype = options.dtype ?? 'float32';
    // float32 goes in directly; every other dtype via float64, exact for integers below 2^53.
    const buffer = dtype === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat);
    t = new Tensor(native.fromTypedArray(buffer, [...shape], dtype, options.device));
  }
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Reinterprets raw little-endian bytes (e.g. from safetensors) as a tensor on `device` (default cpu); copies. */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: readonly number[], device?: string): Tensor {
  return new Tensor(native.fromBytes(bytes, dtype, [...shape], device));
}

export function zeros(shape: readonly number[], dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'float32');
  return new Tensor(native.zeros([...shape], o.dtype, o.device));
}
export function ones(shape: readonly number[], dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'float32');
  return new Tensor(native.ones([...shape], o.dtype, o.device));
}
export function full(shape: readonly number[], value: number, dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'float32');
  return new Tensor(native.full([...shape], value, o.dtype, o.device));
}
/** Standard normal samples from the global (seeded) generator of the device. */
export function randn(shape: readonly number[], dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'float32');
  return new Tensor(native.randn([...shape], o.dtype, o.device));
}
/** Uniform [0, 1) samples from the global (seeded) generator of the device. */
export function rand(shape: readonly number[], dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'float32');
  return new Tensor(native.rand([...shape], o.dtype, o.device));
}
/** Integers in [low, high), int64. */
export const randint = (low: number, high: number, shape: readonly number[], opts: { device?: string } = {}): Tensor =>
  new Tensor(native.randint(low, high, [...shape], opts.device));
export const randperm = (n: number, opts: { device?: string } = {}): Tensor => new Tensor(native.randperm(n, opts.device));
export function arange(start: number, end: number, step = 1, dtype?: DTypeOrOptions): Tensor {
  const o = options(dtype, 'int64');
  return new Tensor(native.arange(start, end, step, o.dtype, o.device));
}

export const cat = (tensors: readonly Tensor[], dim = 0): Tensor => new Tensor(native.cat(tensors.map((t) => t.handle), dim));
export const stack = (tensors: readonly Tensor[], dim = 0): Tensor => new Tensor(native.stack(tensors.map((t) => t.handle), dim));
/** Elementwise cond ? a : b (broadcasting). */
export const where = (cond: Tensor, a: Tensor, b: Tensor | number): Tensor =>
  new Tensor(native.where(cond.handle, a.handle, typeof b === 'number' ? b : b.handle));
