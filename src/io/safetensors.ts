// The safetensors format (Hugging Face): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}} and
// an optional "__metadata__" map of strings, then the raw little-endian bytes.
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';
import { Tensor } from '../engine/tensor';
import { fromBytes } from '../engine/create';
import type { DType } from '../engine/native';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

const ELEMENT_BYTES: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const TO_ENGINE: Record<SafetensorsDType, DType> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', U8: 'uint8', BOOL: 'bool',
};
const FROM_ENGINE: Record<DType, SafetensorsDType> = {
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};
// A larger header is certainly not a model file (the Rust reader caps at 100 MB too).
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: not a valid safetensors file: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

/** One tensor's raw record: bytes are a view into the file buffer. */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  bytes: Uint8Array;
}

export interface SafetensorsContents {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Parses and validates a safetensors file; every error names the file (and tensor). */
export function readSafetensors(file: string): SafetensorsContents {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseSafetensors(buffer, file);
}

export function parseSafetensors(buffer: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const fail = (detail: string): never => { throw new SafetensorsError(file, detail); };
  if (buffer.byteLength < 8) fail(`file is ${buffer.byteLength} bytes, shorter than the 8-byte header length (truncated?)`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} is implausibly large`);
  if (8 + headerLength > buffer.byteLength) fail(`header claims ${headerLength} bytes but only ${buffer.byteLength - 8} follow (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + headerLength)));
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const data = buffer.subarray(8 + headerLength);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor '${name}': entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in ELEMENT_BYTES)) fail(`tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(ELEMENT_BYTES).join(', ')})`);
    const dtype = e.dtype as SafetensorsDType;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}': shape must be an array of non-negative integers`);
    const shape = e.shape as number[];
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[dtype];
    if (end - begin !== expected) fail(`tensor '${name}': ${end - begin} bytes for shape [${shape.join(', ')}] ${dtype}, expected ${expected}`);
    if (end > data.byteLength) fail(`tensor '${name}': data ends at byte ${end} but the data section has ${data.byteLength} bytes (truncated?)`);
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape, bytes: data.subarray(begin, end) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) fail(`tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap`);
  }
  return { tensors, metadata };
}

export interface LoadOptions {
  /** Convert F16/BF16 tensors to float32 (the CPU engine computes in float32). Default true. */
  upcastHalf?: boolean;
}

/** Reads a safetensors file into engine tensors by name. */
export function loadSafetensors(file: string, options: LoadOptions = {}): Map<string, Tensor> {
  return toEngineTensors(readSafetensors(file), options);
}

/** Engine tensors (by name) of parsed safetensors contents: a file's (loadSafetensors) or a buffer's. */
export function toEngineTensors({ tensors }: SafetensorsContents, options: LoadOptions = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, raw] of tensors) {
    let t = fromBytes(raw.bytes, TO_ENGINE[raw.dtype], raw.shape);
    if ((options.upcastHalf ?? true) && (raw.dtype === 'F16' || raw.dtype === 'BF16')) {
      const up = t.to('float32');
      t.dispose();
      t = up;
    }
    out.set(name, t);
  }
  return out;
}

/** Serialises tensors (sorted by name) with optional string metadata. */
export function serializeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    const bytes = t.toBytes();
    header[name] = { dtype: FROM_ENGINE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(jsonBytes.byteLength));
  return [lengthBytes, jsonBytes, ...blobs];
}

/** Writes a safetensors file atomically (temp file + rename). */
export function saveSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/** Loads a safetensors file into anything with a loadStateDict (a Module), freeing the read tensors after. */
export function loadStateDictFile(target: { loadStateDict(state: ReadonlyMap<string, Tensor>): unknown }, file: string): void {
  const tensors = loadSafetensors(file);
  try {
    target.loadStateDict(tensors);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
