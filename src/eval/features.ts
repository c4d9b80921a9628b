/**
 * Per-sample feature matrices for the attack models: either one scalar per sample
 * (`Float64Array` of losses, say) or one vector per sample (`[loss, entropy]` rows).
 */

/** Dense row-major n × dim matrix. */
export interface FeatureMatrix {
  data: Float64Array;
  rows: number;
  dim: number;
}

/** One number per sample (a single feature), one row of features per sample, or a dense matrix. */
export type FeatureInput = ArrayLike<number> | ReadonlyArray<ArrayLike<number>> | FeatureMatrix;

function isFeatureMatrix(features: FeatureInput): features is FeatureMatrix {
  return !Array.isArray(features) && !ArrayBuffer.isView(features) && 'dim' in features && 'data' in features;
}

/**
 * Normalise a FeatureInput to a dense matrix, checking that every row has the same width and
 * every value is finite (a NaN or Infinity feature would silently poison the fit).
 */
export function toFeatureMatrix(features: FeatureInput, name = 'features'): FeatureMatrix {
  if (isFeatureMatrix(features)) {
    if (features.data.length !== features.rows * features.dim) {
      throw new RangeError(`${name}: data length ${features.data.length} != rows ${features.rows} × dim ${features.dim}`);
    }
    return features;
  }
  const rows = features.length;
  if (rows === 0) return { data: new Float64Array(0), rows: 0, dim: 0 };
  const first = features[0];
  const isScalarPerSample = typeof first === 'number';
  const dim = isScalarPerSample ? 1 : (first as ArrayLike<number>).length;
  const data = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const entry = features[i];
    if (isScalarPerSample) {
      data[i] = entry as number;
    } else {
      const row = entry as ArrayLike<number>;
      if (typeof row !== 'object' || row === null || row.length !== dim) {
        throw new RangeError(`${name}[${i}] does not have ${dim} features`);
      }
      for (let j = 0; j < dim; j++) data[i * dim + j] = row[j] as number;
    }
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new RangeError(`${name} row ${Math.floor(k / dim)} has a non-finite value (${data[k]})`);
    }
  }
  return { data, rows, dim };
}

/** The rows at `indices`, in that order. */
export function selectRows(matrix: FeatureMatrix, indices: readonly number[]): FeatureMatrix {
  const { dim } = matrix;
  const data = new Float64Array(indices.length * dim);
  indices.forEach((row, i) => data.set(matrix.data.subarray(row * dim, (row + 1) * dim), i * dim));
  return { data, rows: indices.length, dim };
}

/** Stack matrices of equal width vertically. */
export function stackRows(parts: readonly FeatureMatrix[]): FeatureMatrix {
  const nonEmpty = parts.filter((p) => p.rows > 0);
  const dim = nonEmpty[0]?.dim ?? 0;
  for (const part of nonEmpty) {
    if (part.dim !== dim) throw new RangeError(`cannot stack feature matrices of width ${dim} and ${part.dim}`);
  }
  const rows = nonEmpty.reduce((sum, p) => sum + p.rows, 0);
  const data = new Float64Array(rows * dim);
  let offset = 0;
  for (const part of nonEmpty) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { data, rows, dim };
}
