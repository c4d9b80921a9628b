// Finite-difference gradient check in float64, the way torch.autograd.gradcheck
// does it: compare d/dx sum(f(x) * R) from backward() with central differences.
import { tensor, scope, Tensor, noGrad } from '../../src/engine';

export interface GradcheckResult {
  maxAbsError: number;
  maxAbsGrad: number;
}

/**
 * inputs: float64 data + shapes of the differentiable inputs.
 * fn: builds the output from tensors made from those inputs.
 */
export function gradcheck(
  inputs: { data: number[]; shape: number[] }[],
  fn: (xs: Tensor[]) => Tensor,
  eps = 1e-6,
): GradcheckResult {
  return scope(() => {
    const xs = inputs.map((x) => tensor(Float64Array.from(x.data), { shape: x.shape, requiresGrad: true }));
    const out = fn(xs);
    // A fixed, non-symmetric projection so every output element matters differently.
    const projection = tensor(Float64Array.from({ length: out.numel }, (_, i) => Math.sin(1 + 1.3 * i)), { shape: [...out.shape] });
    out.mul(projection).sum().backward();
    const analytic = xs.map((x) => (x.grad ? Array.from(x.grad.toArray() as Float64Array) : new Array<number>(x.numel).fill(0)));
    const evaluate = (datas: number[][]): number =>
      noGrad(() =>
        scope(() => {
          const ys = datas.map((d, k) => tensor(Float64Array.from(d), { shape: inputs[k]!.shape }));
          return fn(ys).mul(projection).sum().item();
        }),
      );
    let maxAbsError = 0;
    let maxAbsGrad = 0;
    inputs.forEach((input, k) => {
      for (let i = 0; i < input.data.length; i++) {
        const plus = inputs.map((x) => [...x.data]);
        const minus = inputs.map((x) => [...x.data]);
        plus[k]![i]! += eps;
        minus[k]![i]! -= eps;
        const numeric = (evaluate(plus) - evaluate(minus)) / (2 * eps);
        maxAbsError = Math.max(maxAbsError, Math.abs(numeric - analytic[k]![i]!));
        maxAbsGrad = Math.max(maxAbsGrad, Math.abs(numeric));
      }
    });
    return { maxAbsError, maxAbsGrad };
  });
}

/** Deterministic pseudo-random values in [-1, 1) for test inputs. */
export function values(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(Number(actual[i]) - Number(expected[i])) <= tol)) {
      throw new Error(`${what}[${i}]: ${actual[i]} != ${expected[i]} (tol ${tol})\nactual:   ${Array.from(actual).join(', ')}\nexpected: ${Array.from(expected).join(', ')}`);
    }
  }
}
