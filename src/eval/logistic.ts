/**
 * L2-regularised logistic regression by Newton's method (IRLS) with backtracking, on
 * standardised features. Small, exact and deterministic: the attack models here have 1–10
 * features, so a (d+1) × (d+1) Newton system is trivial to solve.
 *
 * Objective (sklearn's, with C = 1 / l2): sum_i logloss_i + (l2 / 2) · ||w||², intercept not
 * penalised. Features are standardised (zero mean, unit variance over the training rows) before
 * fitting, so the penalty treats features alike whatever their units; the L2 term also keeps the
 * weights finite on perfectly separable data.
 */

import { type FeatureInput, type FeatureMatrix, toFeatureMatrix } from './features';

export interface LogisticOptions {
  /** L2 strength on the standardised weights (sklearn's 1 / C). Default 1. */
  l2?: number;
  /** Newton iterations at most. Default 100. */
  maxIterations?: number;
  /** Stop when the largest Newton step component falls below this. Default 1e-10. */
  tolerance?: number;
}

export interface LogisticModel {
  /** Weights on the standardised features. */
  weights: Float64Array;
  bias: number;
  /** Training mean of each feature (subtracted before applying weights). */
  featureMean: Float64Array;
  /** Training standard deviation of each feature (1 for constant features). */
  featureScale: Float64Array;
  /** The same linear function in the caller's units: logit = rawWeights · x + rawBias. */
  rawWeights: Float64Array;
  rawBias: number;
  iterations: number;
  converged: boolean;
}

/** log(1 + exp(z)) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solve A x = b for symmetric positive-definite A (row-major m × m) by Cholesky; A is not modified. */
function solveSpd(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * m + k]! * l[j * m + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new RangeError('Newton system is not positive definite');
        l[i * m + i] = Math.sqrt(sum);
      } else {
        l[i * m + j] = sum / l[j * m + j]!;
      }
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * m + k]! * y[k]!;
    y[i] = sum / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < m; k++) sum -= l[k * m + i]! * x[k]!;
    x[i] = sum / l[i * m + i]!;
  }
  return x;
}

function standardise(matrix: FeatureMatrix): { mean: Float64Array; scale: Float64Array; z: Float64Array } {
  const { data, rows, dim } = matrix;
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += data[i * dim + j]!;
    mean[j] = sum / rows;
    let squares = 0;
    for (let i = 0; i < rows; i++) squares += (data[i * dim + j]! - mean[j]!) ** 2;
    const std = Math.sqrt(squares / rows);
    // A constant feature standardises to 0 and its weight stays 0 under L2; scale 1 avoids 0/0.
    scale[j] = std > 1e-12 * (Math.abs(mean[j]!) + 1) ? std : 1;
  }
  const z = new Float64Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dim; j++) z[i * dim + j] = (data[i * dim + j]! - mean[j]!) / scale[j]!;
  }
  return { mean, scale, z };
}

/**
 * Fit P(y = 1 | x) = sigmoid(w · standardise(x) + b). `labels` are 0/1; both must occur
 * (otherwise the unpenalised intercept would run off to infinity).
 */
export function fitLogistic(
  features: FeatureInput,
  labels: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  const { l2 = 1, maxIterations = 100, tolerance = 1e-10 } = options;
  if (!(l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${l2}`);
  const matrix = toFeatureMatrix(features);
  const { rows: n, dim: d } = matrix;
  if (labels.length !== n) throw new RangeError(`${n} feature rows but ${labels.length} labels`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`labels[${i}] = ${labels[i]} is not 0/1`);
    positives += labels[i]!;
  }
  if (positives === 0 || positives === n) throw new RangeError('logistic regression needs both classes in its training labels');

  const { mean, scale, z } = standardise(matrix);
  const m = d + 1; // parameters: d weights then the intercept
  const theta = new Float64Array(m);
  // Start from the intercept that matches the base rate: fewer Newton steps, same optimum.
  theta[d] = Math.log(positives / (n - positives));

  const logit = (params: Float64Array, i: number): number => {
    let s = params[d]!;
    for (let j = 0; j < d; j++) s += params[j]! * z[i * d + j]!;
    return s;
  };
  const objective = (params: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < n; i++) total += softplus(logit(params, i)) - labels[i]! * logit(params, i);
    for (let j = 0; j < d; j++) total += (l2 / 2) * params[j]! ** 2;
    return total;
  };

  let current = objective(theta);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const gradient = new Float64Array(m);
    const hessian = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      const p = sigmoid(logit(theta, i));
      const residual = p - labels[i]!;
      const weight = p * (1 - p);
      for (let a = 0; a < m; a++) {
        const xa = a < d ? z[i * d + a]! : 1;
        gradient[a] += residual * xa;
        for (let b = 0; b <= a; b++) {
          const xb = b < d ? z[i * d + b]! : 1;
          hessian[a * m + b] += weight * xa * xb;
        }
      }
    }
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < a; b++) hessian[b * m + a] = hessian[a * m + b]!;
    }
    for (let j = 0; j < d; j++) {
      gradient[j] += l2 * theta[j]!;
      hessian[j * m + j] += l2;
    }
    // A whisker of ridge keeps the system solvable when every probability saturates.
    for (let a = 0; a < m; a++) hessian[a * m + a] += 1e-12 * n;
    const step = solveSpd(hessian, gradient, m);

    // Backtracking: Newton's full step can overshoot far from the optimum.
    let stepSize = 1;
    let candidate = new Float64Array(m);
    let candidateValue = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let a = 0; a < m; a++) candidate[a] = theta[a]! - stepSize * step[a]!;
      candidateValue = objective(candidate);
      if (candidateValue <= current) break;
      stepSize /= 2;
    }
    if (!(candidateValue <= current)) {
      converged = true; // no descent possible: at the optimum up to rounding
      break;
    }
    theta.set(candidate);
    current = candidateValue;
    let largestStep = 0;
    for (let a = 0; a < m; a++) largestStep = Math.max(largestStep, Math.abs(stepSize * step[a]!));
    if (largestStep < tolerance) {
      converged = true;
      break;
    }
  }

  const weights = theta.slice(0, d);
  const bias = theta[d]!;
  const rawWeights = new Float64Array(d);
  let rawBias = bias;
  for (let j = 0; j < d; j++) {
    rawWeights[j] = weights[j]! / scale[j]!;
    rawBias -= rawWeights[j]! * mean[j]!;
  }
  return { weights, bias, featureMean: mean, featureScale: scale, rawWeights, rawBias, iterations, converged };
}

/** Linear scores (log-odds) for each row. */
export function decisionFunction(model: LogisticModel, features: FeatureInput): Float64Array {
  const { data, rows, dim } = toFeatureMatrix(features);
  const d = model.weights.length;
  if (rows > 0 && dim !== d) throw new RangeError(`model has ${d} features, input has ${dim}`);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = model.bias;
    for (let j = 0; j < d; j++) s += model.weights[j]! * ((data[i * d + j]! - model.featureMean[j]!) / model.featureScale[j]!);
    out[i] = s;
  }
  return out;
}

/** P(y = 1) for each row. */
export function predictProba(model: LogisticModel, features: FeatureInput): Float64Array {
  return decisionFunction(model, features).map(sigmoid);
}
