/**
 * Representation vectors (one per sample): either an array of rows (e.g. Float32Array each) or
 * one flat row-major buffer with its shape, as a tensor engine hands them out.
 */

/** Flat row-major rows × dim buffer. */
export interface FlatVectors {
  data: ArrayLike<number>;
  rows: number;
  dim: number;
}

export type VectorSet = ReadonlyArray<ArrayLike<number>> | FlatVectors;

/** Read-only row access without copying the caller's data. */
export interface VectorView {
  rows: number;
  dim: number;
  at(row: number, column: number): number;
}

function isFlat(vectors: VectorSet): vectors is FlatVectors {
  return !Array.isArray(vectors) && 'data' in vectors && 'dim' in vectors;
}

export function viewVectors(vectors: VectorSet, name = 'vectors'): VectorView {
  if (isFlat(vectors)) {
    const { data, rows, dim } = vectors;
    if (data.length !== rows * dim) throw new RangeError(`${name}: data length ${data.length} != ${rows} × ${dim}`);
    return { rows, dim, at: (r, c) => data[r * dim + c] as number };
  }
  const list = vectors as ReadonlyArray<ArrayLike<number>>;
  const dim = list[0]?.length ?? 0;
  list.forEach((row, i) => {
    if (row.length !== dim) throw new RangeError(`${name}[${i}] has ${row.length} values, expected ${dim}`);
  });
  return { rows: list.length, dim, at: (r, c) => (list[r] as ArrayLike<number>)[c] as number };
}

/** Row `r` copied to a Float64Array. */
export function rowOf(view: VectorView, r: number): Float64Array {
  const out = new Float64Array(view.dim);
  for (let c = 0; c < view.dim; c++) out[c] = view.at(r, c);
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; 0 when either vector is zero (no direction, so no similarity claimed). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
  const denominator = norm(a) * norm(b);
  return denominator > 0 ? dot(a, b) / denominator : 0;
}

/** A unit-length copy (zero vectors stay zero). */
export function normalised(a: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(a);
  const length = norm(out);
  if (length > 0) for (let i = 0; i < out.length; i++) out[i]! /= length;
  return out;
}
