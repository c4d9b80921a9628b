// Loads the libtorch addon. Thread settings must be in the environment before
// libtorch (and its OpenMP runtime) is loaded, so they are pinned here.
import * as os from 'node:os';
import * as path from 'node:path';

/** Opaque reference to a libtorch tensor owned by the addon. */
export interface TensorHandle {
  dispose(): void;
  /** Reports this tensor's bytes to V8 (once); undone by dispose() or finalization. */
  reportToGc(): void;
  readonly disposed: boolean;
}

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Reduction = 'mean' | 'sum' | 'none';
type H = TensorHandle;
type HOrNum = TensorHandle | number;

export interface OptimizerHandle {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number): void;
  getLr(): number;
  saveState(): Buffer;
  loadState(bytes: Uint8Array): void;
}

export interface OptimizerGroupSpec {
  params: TensorHandle[];
  [option: string]: number | boolean | TensorHandle[];
}

/** Every function the addon exports (see native/*.cc). */
export interface NativeBinding {
  TensorHandle: new () => TensorHandle;
  OptimizerHandle: new (kind: 'adamw' | 'sgd', groups: OptimizerGroupSpec[], defaults: Record<string, number | boolean>) => OptimizerHandle;
  fromTypedArray(data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array, shape: number[], dtype?: DType): H;
  fromBytes(bytes: Uint8Array, dtype: DType, shape: number[]): H;
  toTypedArray(t: H): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  toBytes(t: H): Buffer;
  item(t: H): number | boolean;
  info(t: H): { shape: number[]; dtype: DType; device: string };
  zeros(shape: number[], dtype?: DType): H;
  ones(shape: number[], dtype?: DType): H;
  full(shape: number[], value: number, dtype?: DType): H;
  randn(shape: number[], dtype?: DType): H;
  rand(shape: number[], dtype?: DType): H;
  randint(low: number, high: number, shape: number[]): H;
  randperm(n: number): H;
  arange(start: number, end: number, step: number, dtype?: DType): H;
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, value: boolean): void;
  grad(t: H): H | undefined;
  backward(t: H, grad?: H, retainGraph?: boolean): void;
  zeroGrad(ts: H[]): void;
  clipGradNorm(ts: H[], maxNorm: number): number;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  liveTensors(): number;
  externalBytes(): number;
  cudaIsAvailable(): boolean;
  torchVersion(): string;

  add(a: H, b: HOrNum): H; sub(a: H, b: HOrNum): H; mul(a: H, b: HOrNum): H; div(a: H, b: HOrNum): H; pow(a: H, b: HOrNum): H;
  eq(a: H, b: HOrNum): H; ne(a: H, b: HOrNum): H; lt(a: H, b: HOrNum): H; le(a: H, b: HOrNum): H; gt(a: H, b: HOrNum): H; ge(a: H, b: HOrNum): H;
  maximum(a: H, b: H): H; minimum(a: H, b: H): H;
  logicalAnd(a: H, b: H): H; logicalOr(a: H, b: H): H; logicalNot(a: H): H;
  neg(a: H): H; abs(a: H): H; exp(a: H): H; log(a: H): H; sqrt(a: H): H; rsqrt(a: H): H; tanh(a: H): H; sigmoid(a: H): H; relu(a: H): H;
  gelu(a: H, approximate?: 'none' | 'tanh'): H;
  clamp(a: H, min?: number | null, max?: number | null): H;
  matmul(a: H, b: H): H; bmm(a: H, b: H): H; linear(x: H, weight: H, bias?: H): H;
  reshape(a: H, shape: number[]): H; view(a: H, shape: number[]): H; transpose(a: H, d0: number, d1: number): H;
  permute(a: H, dims: number[]): H; expand(a: H, shape: number[]): H; contiguous(a: H): H;
  unsqueeze(a: H, dim: number): H; squeeze(a: H, dim?: number): H; flatten(a: H, start: number, end: number): H;
  cat(ts: H[], dim: number): H; stack(ts: H[], dim: number): H;
  to(a: H, target: string): H; clone(a: H): H; detach(a: H): H;
  slice(a: H, dim: number, start?: number | null, end?: number | null, step?: number): H;
  select(a: H, dim: number, index: number): H; narrow(a: H, dim: number, start: number, length: number): H;
  indexSelect(a: H, dim: number, index: H): H; gather(a: H, dim: number, index: H): H;
  maskedFill(a: H, mask: H, value: number): H; where(cond: H, a: H, b: HOrNum): H;
  oneHot(a: H, numClasses: number): H; topk(a: H, k: number, dim: number, largest?: boolean): [H, H]; triu(a: H, diagonal?: number): H; cumsum(a: H, dim: number): H;
  sum(a: H, dims?: number[], keepdim?: boolean): H; mean(a: H, dims?: number[], keepdim?: boolean): H;
  max(a: H, dim: number, keepdim?: boolean): [H, H]; min(a: H, dim: number, keepdim?: boolean): [H, H];
  maxAll(a: H): H; minAll(a: H): H; argmax(a: H, dim: number, keepdim?: boolean): H;
  logsumexp(a: H, dims: number[], keepdim?: boolean): H; norm(a: H, p: number, dims: number[], keepdim?: boolean): H;
  var(a: H, dims: number[], unbiased?: boolean, keepdim?: boolean): H;
  softmax(a: H, dim: number): H; logSoftmax(a: H, dim: number): H;
  layerNorm(x: H, normalizedShape: number[], weight: H | undefined, bias: H | undefined, eps: number): H;
  embedding(weight: H, indices: H, paddingIdx?: number): H;
  dropout(x: H, p: number, train: boolean): H;
  crossEntropy(logits: H, target: H, reduction?: Reduction, ignoreIndex?: number, labelSmoothing?: number): H;
  nllLoss(logProbs: H, target: H, reduction?: Reduction): H;
  normalize(x: H, p?: number, dim?: number, eps?: number): H;
  cosineSimilarity(a: H, b: H, dim?: number, eps?: number): H;
  copy_(dst: H, src: H): void; normal_(t: H, mean: number, std: number): void; uniform_(t: H, low: number, high: number): void; fill_(t: H, value: number): void;
}

function defaultThreads(): number {
  const fromEnv = Number(process.env.DEEPCUT_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return os.availableParallelism();
}

function loadBinding(): NativeBinding {
  // PASSIVE: idle OpenMP workers sleep instead of spinning. On these 2-core
  // machines spinning workers fight the main thread (measured 2-6x slower steps).
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const file = path.resolve(__dirname, '../../../build/Release/deepcut_native.node');
  let binding: NativeBinding;
  try {
    binding = require(file) as NativeBinding;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`deepcut: cannot load the libtorch addon at ${file}: ${reason}\nRun 'bash scripts/setup.sh' (it installs libtorch and builds the addon).`);
  }
  binding.setNumThreads(defaultThreads());
  return binding;
}

export const native: NativeBinding = loadBinding();
