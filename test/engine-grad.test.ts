// Gradients of every differentiable op against central finite differences (float64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, cat, stack, where, F, manualSeed, type Tensor, type NestedNumbers } from '../src/engine';
import { gradcheck, values } from './helpers/gradcheck';

const input = (shape: number[], seed: number, shift = 0) => ({
  data: values(shape.reduce((a, b) => a * b, 1), seed).map((v) => v + shift),
  shape,
});
const ids = (data: NestedNumbers, shape?: number[]) => tensor(data, { dtype: 'int64', ...(shape ? { shape } : {}) });

const cases: [string, { data: number[]; shape: number[] }[], (xs: Tensor[]) => Tensor][] = [
  ['add (broadcast)', [input([2, 3], 1), input([1, 3], 2)], ([a, b]) => a!.add(b!)],
  ['sub', [input([2, 3], 3), input([2, 3], 4)], ([a, b]) => a!.sub(b!)],
  ['mul (broadcast)', [input([2, 3], 5), input([3], 6)], ([a, b]) => a!.mul(b!)],
  ['div', [input([2, 3], 7), input([2, 3], 8, 3)], ([a, b]) => a!.div(b!)],
  ['pow (scalar exponent)', [input([4], 9, 2)], ([a]) => a!.pow(3)],
  ['pow (tensor exponent)', [input([4], 10, 2), input([4], 11)], ([a, b]) => a!.pow(b!)],
  ['neg, abs', [input([5], 12)], ([a]) => a!.neg().abs()],
  ['maximum, minimum', [input([5], 13), input([5], 14)], ([a, b]) => a!.maximum(b!).add(a!.minimum(b!).mul(2))],
  ['matmul', [input([2, 3], 15), input([3, 4], 16)], ([a, b]) => a!.matmul(b!)],
  ['bmm', [input([2, 2, 3], 17), input([2, 3, 2], 18)], ([a, b]) => a!.bmm(b!)],
  ['linear', [input([2, 3], 19), input([4, 3], 20), input([4], 21)], ([x, w, b]) => F.linear(x!, w!, b!)],
  ['transpose, permute, contiguous', [input([2, 3, 4], 22)], ([a]) => a!.transpose(0, 2).permute([1, 0, 2]).contiguous()],
  ['reshape, view, expand, unsqueeze, squeeze, flatten', [input([2, 3], 23)], ([a]) => a!.reshape([3, 2]).view([6]).unsqueeze(0).expand([2, 6]).flatten().unsqueeze(1).squeeze(1)],
  ['slice, select, narrow', [input([4, 5], 24)], ([a]) => cat([a!.slice(1, 1, 4, 2), a!.select(1, 0).unsqueeze(1), a!.narrow(1, 3, 2)], 1)],
  ['indexSelect', [input([4, 3], 25)], ([a]) => a!.indexSelect(0, ids([3, 0, 3]))],
  ['gather', [input([3, 4], 26)], ([a]) => a!.gather(1, ids([[1, 3], [0, 0], [2, 1]]))],
  ['maskedFill', [input([2, 3], 27)], ([a]) => a!.maskedFill(tensor([[1, 0, 0], [0, 1, 0]], { dtype: 'bool' }), -5)],
  ['where', [input([2, 3], 28), input([2, 3], 29)], ([a, b]) => where(a!.gt(0), a!, b!)],
  ['cat, stack', [input([2, 2], 30), input([2, 2], 31)], ([a, b]) => stack([cat([a!, b!], 0), cat([b!, a!], 0)], 1)],
  ['sum, mean over dims', [input([2, 3, 2], 32)], ([a]) => a!.sum(1).add(a!.mean([0, 1], true).squeeze(0))],
  ['max (values) along dim', [input([3, 4], 33)], ([a]) => a!.max(1).values],
  ['logsumexp', [input([3, 4], 34)], ([a]) => a!.logsumexp(1)],
  ['exp, log', [input([5], 35, 2)], ([a]) => a!.exp().add(a!.log())],
  ['sqrt', [input([5], 36, 2)], ([a]) => a!.sqrt()],
  ['tanh, sigmoid', [input([5], 37)], ([a]) => a!.tanh().add(a!.sigmoid())],
  ['gelu (erf)', [input([6], 38)], ([a]) => a!.gelu()],
  ['relu', [input([6], 39)], ([a]) => a!.relu()],
  ['softmax', [input([2, 4], 40)], ([a]) => a!.softmax(1)],
  ['logSoftmax', [input([2, 4], 41)], ([a]) => a!.logSoftmax(1)],
  ['layerNorm (input, weight, bias)', [input([2, 5], 42), input([5], 43, 1), input([5], 44)], ([x, w, b]) => F.layerNorm(x!, [5], w!, b!, 1e-5)],
  ['embedding (weight)', [input([5, 3], 45)], ([w]) => F.embedding(ids([[4, 0], [4, 2]]), w!)],
  ['dropout (fixed seed)', [input([3, 4], 46)], ([a]) => { manualSeed(99); return F.dropout(a!, 0.3, true); }],
  ['crossEntropy', [input([3, 4], 47)], ([a]) => F.crossEntropy(a!, ids([0, 3, 1]))],
  ['crossEntropy (label smoothing, per sample)', [input([3, 4], 48)], ([a]) => F.crossEntropy(a!, ids([2, 3, 1]), { reduction: 'none', labelSmoothing: 0.1 })],
  ['nllLoss', [input([3, 4], 49)], ([a]) => F.nllLoss(a!.logSoftmax(1), ids([0, 1, 2]))],
  ['normalize', [input([3, 4], 50)], ([a]) => F.normalize(a!, 1)],
  ['cosineSimilarity', [input([3, 4], 51), input([3, 4], 52)], ([a, b]) => F.cosineSimilarity(a!, b!, 1)],
  ['clamp', [input([6], 53)], ([a]) => a!.clamp(-0.5, 0.5)],
  ['cumsum', [input([3, 4], 56)], ([a]) => a!.cumsum(1)],
  ['norm', [input([3, 4], 54)], ([a]) => a!.norm(2, 1)],
  ['var', [input([3, 4], 55)], ([a]) => a!.var(1)],
];

for (const [name, inputs, fn] of cases) {
  test(`gradient of ${name} matches finite differences`, () => {
    const { maxAbsError, maxAbsGrad } = gradcheck(inputs, fn);
    assert.ok(maxAbsGrad > 0, `${name}: gradient is identically zero, the check would prove nothing`);
    assert.ok(maxAbsError < 1e-6, `${name}: max |analytic - numeric| = ${maxAbsError}`);
  });
}
