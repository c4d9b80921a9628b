// Loads the libtorch addon, lazily: on first use, not at import. Thread settings must be in the
// environment before libtorch (and its OpenMP runtime) is loaded, so they are pinned here.
import * as fs from 'node:fs';
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
  /** Device of every state tensor (moments, momentum buffers). */
  stateDevices(): string[];
}

export interface OptimizerGroupSpec {
  params: TensorHandle[];
  [option: string]: number | boolean | TensorHandle[];
}

/** A c10d Gloo process group (native/distributed.cc); collectives are in place and bucketed. */
export interface ProcessGroupHandle {
  allReduce(ts: TensorHandle[], op: 'sum' | 'avg', bucketBytes: number): void;
  allReduceGrads(params: TensorHandle[], extras: TensorHandle[], bucketBytes: number): void;
  broadcast(ts: TensorHandle[], root: number, bucketBytes: number): void;
  barrier(): void;
  destroy(): void;
  readonly rank: number;
  readonly worldSize: number;
  readonly destroyed: boolean;
}

/** Every function the addon exports (see native/*.cc). */
export interface NativeBinding {
  TensorHandle: new () => TensorHandle;
  ProcessGroupHandle: new (host: string, port: number, rank: number, worldSize: number, timeoutMs: number) => ProcessGroupHandle;
  /** Whether the addon was built with the Gloo headers (c10d process groups). */
  glooAvailable(): boolean;
  OptimizerHandle: new (kind: 'adamw' | 'sgd', groups: OptimizerGroupSpec[], defaults: Record<string, number | boolean>) => OptimizerHandle;
  fromTypedArray(data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array, shape: number[], dtype?: DType, device?: string): H;
  fromBytes(bytes: Uint8Array, dtype: DType, shape: number[], device?: string): H;
  toTypedArray(t: H): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  toBytes(t: H): Buffer;
  item(t: H): number | boolean;
  info(t: H): { shape: number[]; dtype: DType; device: string };
  /** The device argument (after the dtype) defaults to the CPU. */
  zeros(shape: number[], dtype?: DType, device?: string): H;
  ones(shape: number[], dtype?: DType, device?: string): H;
  full(shape: number[], value: number, dtype?: DType, device?: string): H;
  randn(shape: number[], dtype?: DType, device?: string): H;
  rand(shape: number[], dtype?: DType, device?: string): H;
  randint(low: number, high: number, shape: number[], device?: string): H;
  randperm(n: number, device?: string): H;
  arange(start: number, end: number, step: number, dtype?: DType, device?: string): H;
  device(t: H): string;
  /** Moves t (and its gradient) to `device` in place: the same tensor, new storage. */
  moveTo_(t: H, device: string): void;
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, value: boolean): void;
  grad(t: H): H | undefined;
  backward(t: H, grad?: H, retainGraph?: boolean): void;
  zeroGrad(ts: H[]): void;
  clipGradNorm(ts: H[], maxNorm: number): number;
  clipGradNormOnDevice(ts: H[], maxNorm: number): void;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  liveTensors(): number;
  externalBytes(): number;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(): void;
  torchVersion(): string;

  add(a: H, b: HOrNum): H; sub(a: H, b: HOrNum): H; mul(a: H, b: HOrNum): H; div(a: H, b: HOrNum): H; pow(a: H, b: HOrNum): H;
  eq(a: H, b: HOrNum): H; ne(a: H, b: HOrNum): H; lt(a: H, b: HOrNum): H; le(a: H, b: HOrNum): H; gt(a: H, b: HOrNum): H; ge(a: H, b: HOrNum): H;
  maximum(a: H, b: H): H; minimum(a: H, b: H): H;
  logicalAnd(a: H, b: H): H; logicalOr(a: H, b: H): H; logicalNot(a: H): H;
  neg(a: H): H; abs(a: H): H; exp(a: H): H; log(a: H): H; sqrt(a: H): H; rsqrt(a: H): H; sin(a: H): H; cos(a: H): H; tanh(a: H): H; sigmoid(a: H): H; relu(a: H): H;
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

/** The package's root folder (dist/src/engine/ -> ../../..). */
const PACKAGE_ROOT = path.resolve(__dirname, '../../..');

/**
 * The libtorch addon could not be loaded: libtorch is missing, the addon was never built, or it
 * does not load. The message is one line saying what to install, set or run.
 */
export class AddonUnavailableError extends Error {
  override readonly name = 'AddonUnavailableError';
}

/** The addon file: DEEPCUT_ADDON (a prebuilt one) or the package's build/Release/deepcut_native.node. */
export function addonFile(): string {
  const own = process.env.DEEPCUT_ADDON;
  return own ? path.resolve(own) : path.join(PACKAGE_ROOT, 'build', 'Release', 'deepcut_native.node');
}

interface LibtorchStatus { found: boolean; describe?: string; problem?: string; advice?: string }

/** scripts/torch-paths.js's finding (the same one the install uses), if that script is there. */
function libtorchStatus(): LibtorchStatus | undefined {
  try {
    return (require(path.join(PACKAGE_ROOT, 'scripts', 'torch-paths.js')) as { findLibtorch(): LibtorchStatus }).findLibtorch();
  } catch {
    return undefined;
  }
}

/** One line: why the addon is unavailable and what to do. */
function unavailableMessage(file: string, loadError?: string): string {
  if (process.env.DEEPCUT_ADDON) {
    return loadError === undefined
      ? `DEEPCUT_ADDON=${process.env.DEEPCUT_ADDON}: no such file (unset it to use the addon built at install)`
      : `cannot load the libtorch addon DEEPCUT_ADDON=${process.env.DEEPCUT_ADDON}: ${loadError}`;
  }
  // In a git checkout scripts/setup.sh installs and builds everything; an installed package rebuilds with npm.
  const rebuild = fs.existsSync(path.join(PACKAGE_ROOT, '.git')) ? "run 'bash scripts/setup.sh'" : "run 'npm rebuild deepcut'";
  const torch = libtorchStatus();
  if (torch && !torch.found) return `${torch.problem}; ${torch.advice}, then ${rebuild}`;
  if (loadError !== undefined) return `cannot load the libtorch addon: ${loadError}; ${rebuild} (after installing or updating libtorch)`;
  const against = torch?.describe ? ` (libtorch: ${torch.describe})` : '';
  return `the libtorch addon is not built${against}: ${rebuild} (building needs g++, make and python3)`;
}

function loadBinding(): NativeBinding {
  // PASSIVE: idle OpenMP workers sleep instead of spinning. On these 2-core
  // machines spinning workers fight the main thread (measured 2-6x slower steps).
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const file = addonFile();
  if (!fs.existsSync(file)) throw new AddonUnavailableError(unavailableMessage(file));
  let binding: NativeBinding;
  try {
    binding = require(file) as NativeBinding;
  } catch (err) {
    // dlopen's message starts with the file's path: the reader needs the reason, not where npm put it.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(`${file}: `, '');
    throw new AddonUnavailableError(unavailableMessage(file, reason));
  }
  binding.setNumThreads(defaultThreads());
  return binding;
}

let failure: AddonUnavailableError | undefined;

/**
 * The addon, loaded on first use (so `require('deepcut')`, its pure-JS parts and every `--help`
 * work without libtorch). Throws AddonUnavailableError, the same one on every call.
 */
export function loadNative(): NativeBinding {
  if (native !== lazy) return native;
  if (failure) throw failure;
  try {
    native = loadBinding();
  } catch (err) {
    if (err instanceof AddonUnavailableError) failure = err;
    throw err;
  }
  return native;
}

/** Whether the addon loads (loading it if not yet loaded). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch (err) {
    if (err instanceof AddonUnavailableError) return false;
    throw err;
  }
}

// Stands in for the binding until first use, then `native` is the binding itself: importers read
// the live export (TypeScript's CommonJS output reads `native_1.native` at every call), so only
// the first call goes through the proxy.
const lazy: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_target, property) => Reflect.get(loadNative(), property),
  has: (_target, property) => Reflect.has(loadNative(), property),
});

export let native: NativeBinding = lazy;
