/**
 * PCA for plotting representations in 2-D (or a few dimensions).
 *
 * Method: form the smaller of the two Gram matrices (d × d covariance when d <= n, else the n × n
 * sample Gram matrix, whose eigenvectors map back to principal axes through Xᵀ), then block
 * subspace iteration with Rayleigh–Ritz; the small projected problem is solved by cyclic Jacobi.
 * A block a few vectors wider than requested makes convergence depend on the gap to eigenvalue
 * k + 6, not k + 1, so close leading eigenvalues do not stall it. Fully deterministic: the start
 * block comes from a fixed-seed PRNG.
 *
 * Sign convention: each axis is flipped so that its largest-magnitude coordinate is positive
 * (first such coordinate on ties), so repeated runs and small perturbations give the same picture.
 * Variances use the n − 1 denominator (as sklearn's explained_variance_).
 */

import { gaussian, mulberry32 } from './rng';
import { type VectorSet, viewVectors } from './vectors';

export interface PcaOptions {
  /** Number of principal axes (default 2). */
  components?: number;
  /** Subspace iterations at most (default 500). */
  maxIterations?: number;
  /** Converged when every residual ||M v − λ v|| <= tolerance · λ₁ (default 1e-9). */
  tolerance?: number;
}

export interface PcaResult {
  mean: Float64Array;
  /** Unit principal axes, each of length dim, by decreasing variance. */
  axes: Float64Array[];
  explainedVariance: Float64Array;
  /** explainedVariance / total variance (0 when the data has no variance). */
  explainedVarianceRatio: Float64Array;
  /** Coordinates of each sample on the axes, row-major rows × components. */
  projections: Float64Array;
  components: number;
  iterations: number;
  converged: boolean;
}

/** Eigen-decomposition of a symmetric m × m matrix (row-major) by cyclic Jacobi; descending order. */
export function symmetricEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array[] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale += a[i]! ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q] (Numerical Recipes' stable form).
        const theta = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]!;
          const akq = a[k * m + q]!;
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]!;
          const aqk = a[q * m + k]!;
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]!;
          const vkq = v[k * m + q]!;
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j]! - a[i * m + i]!);
  return {
    values: Float64Array.from(order, (i) => a[i * m + i]!),
    vectors: order.map((i) => Float64Array.from({ length: m }, (_, k) => v[k * m + i]!)),
  };
}

/** Orthonormalise columns in place (modified Gram–Schmidt); a collapsed column is replaced by a fresh random one. */
function orthonormalise(columns: Float64Array[], random: () => number): void {
  for (let j = 0; j < columns.length; j++) {
    for (let attempt = 0; ; attempt++) {
      const column = columns[j]!;
      const before = Math.sqrt(column.reduce((s, x) => s + x * x, 0));
      for (let i = 0; i < j; i++) {
        const previous = columns[i]!;
        let projection = 0;
        for (let k = 0; k < column.length; k++) projection += column[k]! * previous[k]!;
        for (let k = 0; k < column.length; k++) column[k]! -= projection * previous[k]!;
      }
      const after = Math.sqrt(column.reduce((s, x) => s + x * x, 0));
      if (after > 1e-10 * before && after > 0) {
        for (let k = 0; k < column.length; k++) column[k]! /= after;
        break;
      }
      if (attempt > 5) throw new Error('could not orthonormalise the PCA start block');
      for (let k = 0; k < column.length; k++) column[k] = gaussian(random);
    }
  }
}

function multiply(matrix: Float64Array, m: number, vector: Float64Array): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += matrix[i * m + k]! * vector[k]!;
    out[i] = s;
  }
  return out;
}

/** Top eigenpairs of a symmetric positive-semidefinite m × m matrix by subspace iteration. */
function topEigenpairs(
  matrix: Float64Array,
  m: number,
  count: number,
  maxIterations: number,
  tolerance: number,
): { values: Float64Array; vectors: Float64Array[]; iterations: number; converged: boolean } {
  const blockSize = Math.min(m, count + 6);
  const random = mulberry32(0x9ca);
  let basis: Float64Array[] = Array.from({ length: blockSize }, () => Float64Array.from({ length: m }, () => gaussian(random)));
  orthonormalise(basis, random);
  let values: Float64Array = new Float64Array(blockSize);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const images = basis.map((column) => multiply(matrix, m, column));
    // Rayleigh–Ritz on span(basis): B = Qᵀ M Q, rotate basis and images by B's eigenvectors.
    const projected = new Float64Array(blockSize * blockSize);
    for (let i = 0; i < blockSize; i++) {
      for (let j = i; j < blockSize; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += basis[i]![k]! * images[j]![k]!;
        projected[i * blockSize + j] = s;
        projected[j * blockSize + i] = s;
      }
    }
    const small = symmetricEigen(projected, blockSize);
    const rotate = (columns: Float64Array[]): Float64Array[] =>
      small.vectors.map((coefficients) => {
        const out = new Float64Array(m);
        coefficients.forEach((c, i) => {
          for (let k = 0; k < m; k++) out[k]! += c * columns[i]![k]!;
        });
        return out;
      });
    const ritzVectors = rotate(basis);
    const ritzImages = rotate(images);
    values = small.values;
    const largest = Math.max(Math.abs(values[0]!), Number.MIN_VALUE);
    converged = true;
    for (let j = 0; j < count; j++) {
      let residual = 0;
      for (let k = 0; k < m; k++) residual += (ritzImages[j]![k]! - values[j]! * ritzVectors[j]![k]!) ** 2;
      if (Math.sqrt(residual) > tolerance * largest) converged = false;
    }
    basis = ritzVectors;
    if (converged || blockSize === m) {
      // With the full space in the block, Rayleigh–Ritz is already exact.
      converged = true;
      break;
    }
    basis = ritzImages;
    orthonormalise(basis, random);
  }
  return { values: values.slice(0, count), vectors: basis.slice(0, count), iterations, converged };
}

/** Principal component analysis; see the module comment for method and conventions. */
export function pca(vectors: VectorSet, options: PcaOptions = {}): PcaResult {
  const { components = 2, maxIterations = 500, tolerance = 1e-9 } = options;
  const view = viewVectors(vectors);
  const { rows: n, dim: d } = view;
  if (!Number.isInteger(components) || components < 1 || components > Math.min(n, d)) {
    throw new RangeError(`components must be in [1, min(rows, dim)] = [1, ${Math.min(n, d)}], got ${components}`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c]! += view.at(i, c) / n;
  // Centred data stored column-major (feature by feature) so the d × d products are contiguous dots.
  const centredColumns = Array.from({ length: d }, (_, c) => Float64Array.from({ length: n }, (_, i) => view.at(i, c) - mean[c]!));
  const denominator = Math.max(n - 1, 1);
  const useCovariance = d <= n;
  const m = useCovariance ? d : n;
  const gram = new Float64Array(m * m);
  if (useCovariance) {
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        let s = 0;
        const ca = centredColumns[a]!;
        const cb = centredColumns[b]!;
        for (let i = 0; i < n; i++) s += ca[i]! * cb[i]!;
        gram[a * d + b] = gram[b * d + a] = s / denominator;
      }
    }
  } else {
    for (let c = 0; c < d; c++) {
      const column = centredColumns[c]!;
      for (let i = 0; i < n; i++) {
        const xi = column[i]! / denominator;
        for (let j = i; j < n; j++) gram[i * n + j]! += xi * column[j]!;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i]!;
  }
  let totalVariance = 0;
  for (let i = 0; i < m; i++) totalVariance += gram[i * m + i]!;

  const eigen = topEigenpairs(gram, m, components, maxIterations, tolerance);
  const axes = eigen.vectors.map((vector) => {
    let axis: Float64Array;
    if (useCovariance) {
      axis = Float64Array.from(vector);
    } else {
      // Sample-space eigenvector u → principal axis ∝ Xᵀ u.
      axis = Float64Array.from(centredColumns, (column) => column.reduce((s, x, i) => s + x * vector[i]!, 0));
      const length = Math.sqrt(axis.reduce((s, x) => s + x * x, 0));
      if (length > 0) axis = axis.map((x) => x / length);
    }
    let largestAt = 0;
    for (let c = 1; c < d; c++) if (Math.abs(axis[c]!) > Math.abs(axis[largestAt]!)) largestAt = c;
    return axis[largestAt]! < 0 ? axis.map((x) => -x) : axis;
  });
  const explainedVariance = eigen.values.map((v) => Math.max(v, 0));
  const projections = new Float64Array(n * components);
  for (let i = 0; i < n; i++) {
    axes.forEach((axis, j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += centredColumns[c]![i]! * axis[c]!;
      projections[i * components + j] = s;
    });
  }
  return {
    mean,
    axes,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0)),
    projections,
    components,
    iterations: eigen.iterations,
    converged: eigen.converged,
  };
}

/** PCA to two dimensions, for scatter plots. */
export function pca2d(vectors: VectorSet, options: Omit<PcaOptions, 'components'> = {}): PcaResult {
  return pca(vectors, { ...options, components: 2 });
}
