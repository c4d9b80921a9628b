// Forward values of every engine op against known values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, full, arange, cat, stack, where, scope, F, manualSeed, randn, rand, randint, liveTensors } from '../src/engine';
import { assertClose } from './helpers/gradcheck';

const t = (data: number[], shape?: number[]) => tensor(data, shape ? { shape } : {});

test('creation: typed arrays, nested arrays, dtypes, shapes', () => scope(() => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'float32');
  assert.equal(a.device, 'cpu');
  assert.deepEqual(a.toNumbers(), [1, 2, 3, 4, 5, 6]);
  const ids = tensor([3, 1, 2], { dtype: 'int64' });
  assert.equal(ids.dtype, 'int64');
  assert.ok(ids.toArray() instanceof BigInt64Array);
  assert.deepEqual(ids.toNumbers(), [3, 1, 2]);
  const big = tensor(BigInt64Array.from([1n, -2n, 2n ** 40n]));
  assert.deepEqual(big.toNumbers(), [1, -2, 2 ** 40]);
  const mask = tensor([1, 0, 1], { dtype: 'bool' });
  assert.equal(mask.dtype, 'bool');
  assert.deepEqual(mask.toNumbers(), [1, 0, 1]);
  const f64 = tensor(Float64Array.from([0.1, 0.2]));
  assert.equal(f64.dtype, 'float64');
  assert.deepEqual(f64.toNumbers(), [0.1, 0.2]);
  assert.deepEqual(zeros([2, 2]).toNumbers(), [0, 0, 0, 0]);
  assert.deepEqual(ones([3]).toNumbers(), [1, 1, 1]);
  assert.deepEqual(full([2], 7).toNumbers(), [7, 7]);
  assert.deepEqual(arange(0, 5).toNumbers(), [0, 1, 2, 3, 4]);
  assert.equal(tensor([[5]]).item(), 5);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor(new Float32Array(5), { shape: [2, 3] }), /data holds 20 bytes but shape and dtype float32 need 24/);
}));

test('elementwise arithmetic broadcasts; scalars on either side', () => scope(() => {
  const a = t([1, 2, 3, 4], [2, 2]);
  const row = t([10, 20], [1, 2]);
  assert.deepEqual(a.add(row).toNumbers(), [11, 22, 13, 24]);
  assert.deepEqual(a.sub(row).toNumbers(), [-9, -18, -7, -16]);
  assert.deepEqual(a.mul(row).toNumbers(), [10, 40, 30, 80]);
  assertClose(a.div(row).toArray() as Float32Array, [0.1, 0.1, 0.3, 0.2], 1e-7);
  assert.deepEqual(a.add(1).toNumbers(), [2, 3, 4, 5]);
  assert.deepEqual(a.mul(-2).toNumbers(), [-2, -4, -6, -8]);
  assert.deepEqual(a.pow(2).toNumbers(), [1, 4, 9, 16]);
  assert.deepEqual(a.neg().toNumbers(), [-1, -2, -3, -4]);
  assert.deepEqual(t([-1, 2]).abs().toNumbers(), [1, 2]);
  assert.deepEqual(t([1, 5]).maximum(t([3, 2])).toNumbers(), [3, 5]);
  assert.deepEqual(t([1, 5]).minimum(t([3, 2])).toNumbers(), [1, 2]);
}));

test('comparisons, logical ops and clamp', () => scope(() => {
  const a = t([1, 2, 3]);
  assert.deepEqual(a.eq(2).toNumbers(), [0, 1, 0]);
  assert.deepEqual(a.ne(2).toNumbers(), [1, 0, 1]);
  assert.deepEqual(a.lt(2).toNumbers(), [1, 0, 0]);
  assert.deepEqual(a.le(2).toNumbers(), [1, 1, 0]);
  assert.deepEqual(a.gt(t([0, 5, 3])).toNumbers(), [1, 0, 0]);
  assert.deepEqual(a.ge(t([0, 5, 3])).toNumbers(), [1, 0, 1]);
  assert.equal(a.gt(1).dtype, 'bool');
  assert.deepEqual(a.gt(1).logicalAnd(a.lt(3)).toNumbers(), [0, 1, 0]);
  assert.deepEqual(a.lt(2).logicalOr(a.gt(2)).toNumbers(), [1, 0, 1]);
  assert.deepEqual(a.gt(1).logicalNot().toNumbers(), [1, 0, 0]);
  assert.deepEqual(t([-2, 0.5, 9]).clamp(0, 1).toNumbers(), [0, 0.5, 1]);
  assert.deepEqual(t([-2, 0.5, 9]).clamp(0).toNumbers(), [0, 0.5, 9]);
  assert.deepEqual(t([-2, 0.5, 9]).clamp(null, 1).toNumbers(), [-2, 0.5, 1]);
}));

test('elementwise functions match their definitions', () => scope(() => {
  const xs = [-2, -0.5, 0, 0.5, 2];
  const x = t(xs);
  assertClose(x.exp().toArray() as Float32Array, xs.map(Math.exp), 1e-5);
  assertClose(t([1, 2, 4]).log().toArray() as Float32Array, [0, Math.LN2, 2 * Math.LN2], 1e-6);
  assertClose(t([1, 4, 9]).sqrt().toArray() as Float32Array, [1, 2, 3], 1e-7);
  assertClose(t([1, 4]).rsqrt().toArray() as Float32Array, [1, 0.5], 1e-6);
  assertClose(x.tanh().toArray() as Float32Array, xs.map(Math.tanh), 1e-6);
  assertClose(x.sigmoid().toArray() as Float32Array, xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-6);
  assert.deepEqual(x.relu().toNumbers(), [0, 0, 0, 0.5, 2]);
  // GELU(x) = x * Phi(x); Phi from the standard normal table.
  const phi = [0.022750131948179195, 0.3085375387259869, 0.5, 0.6914624612740131, 0.9772498680518208];
  assertClose(x.gelu().toArray() as Float32Array, xs.map((v, i) => v * phi[i]!), 1e-6);
  const tanhGelu = xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
  assertClose(x.gelu('tanh').toArray() as Float32Array, tanhGelu, 1e-6);
}));

test('matmul, bmm and linear', () => scope(() => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = t([1, 0, 0, 1, 1, 1], [3, 2]);
  assert.deepEqual(a.matmul(b).toNumbers(), [4, 5, 10, 11]);
  const batch = stack([a, a.mul(2)]);
  const bb = stack([b, b]);
  assert.deepEqual(batch.bmm(bb).shape, [2, 2, 2]);
  assert.deepEqual(batch.bmm(bb).toNumbers(), [4, 5, 10, 11, 8, 10, 20, 22]);
  const w = t([1, 1, 1, 0, 1, 0], [2, 3]);
  assert.deepEqual(F.linear(a, w, t([0.5, -1])).toNumbers(), [6.5, 1, 15.5, 4]);
  assert.deepEqual(F.linear(a, w).toNumbers(), [6, 2, 15, 5]);
}));

test('shape ops: transpose, permute, reshape, view, expand, squeeze, flatten, contiguous', () => scope(() => {
  const a = arange(0, 6, 1, 'float32').reshape([2, 3]);
  assert.deepEqual(a.transpose(0, 1).shape, [3, 2]);
  assert.deepEqual(a.transpose(0, 1).contiguous().toNumbers(), [0, 3, 1, 4, 2, 5]);
  const c = arange(0, 24, 1, 'float32').reshape([2, 3, 4]);
  const p = c.permute([2, 0, 1]);
  assert.deepEqual(p.shape, [4, 2, 3]);
  assert.deepEqual(p.contiguous().toNumbers().slice(0, 6), [0, 4, 8, 12, 16, 20]);
  assert.deepEqual(a.view([3, 2]).shape, [3, 2]);
  assert.deepEqual(a.reshape([-1]).shape, [6]);
  assert.throws(() => a.transpose(0, 1).view([6]), /view size is not compatible/);
  assert.deepEqual(t([1, 2]).unsqueeze(0).expand([3, 2]).toNumbers(), [1, 2, 1, 2, 1, 2]);
  assert.deepEqual(zeros([1, 3, 1]).squeeze().shape, [3]);
  assert.deepEqual(zeros([1, 3, 1]).squeeze(0).shape, [3, 1]);
  assert.deepEqual(c.flatten(1).shape, [2, 12]);
  assert.equal(c.size(-1), 4);
  assert.equal(c.numel, 24);
}));

test('slicing and indexing: slice, select, narrow, indexSelect, gather, maskedFill, where', () => scope(() => {
  const a = arange(0, 12, 1, 'float32').reshape([3, 4]);
  assert.deepEqual(a.slice(1, 1, 3).toNumbers(), [1, 2, 5, 6, 9, 10]);
  assert.deepEqual(a.slice(0, 0, undefined, 2).toNumbers(), [0, 1, 2, 3, 8, 9, 10, 11]);
  assert.deepEqual(a.slice(1, -1).toNumbers(), [3, 7, 11]);
  assert.deepEqual(a.select(0, 1).toNumbers(), [4, 5, 6, 7]);
  assert.deepEqual(a.select(1, -1).toNumbers(), [3, 7, 11]);
  assert.deepEqual(a.narrow(0, 1, 2).shape, [2, 4]);
  const idx = tensor([2, 0], { dtype: 'int64' });
  assert.deepEqual(a.indexSelect(0, idx).toNumbers(), [8, 9, 10, 11, 0, 1, 2, 3]);
  const g = tensor([[3], [0], [1]], { dtype: 'int64' });
  assert.deepEqual(a.gather(1, g).toNumbers(), [3, 4, 9]);
  const mask = a.gt(9);
  assert.deepEqual(a.maskedFill(mask, -1).toNumbers(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1]);
  assert.deepEqual(where(t([1, 0, 1]).gt(0), t([1, 2, 3]), t([-1, -2, -3])).toNumbers(), [1, -2, 3]);
  assert.deepEqual(where(t([1, 0]).gt(0), t([5, 6]), 0).toNumbers(), [5, 0]);
  const top = t([1, 9, 3, 7]).topk(2);
  assert.deepEqual(top.values.toNumbers(), [9, 7]);
  assert.deepEqual(top.indices.toNumbers(), [1, 3]);
  assert.deepEqual(F.oneHot(tensor([0, 2], { dtype: 'int64' }), 3).toNumbers(), [1, 0, 0, 0, 0, 1]);
}));

test('cat and stack', () => scope(() => {
  const a = t([1, 2], [1, 2]);
  const b = t([3, 4, 5, 6], [2, 2]);
  assert.deepEqual(cat([a, b]).toNumbers(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(cat([a, a], 1).shape, [1, 4]);
  assert.deepEqual(stack([t([1, 2]), t([3, 4])], 1).toNumbers(), [1, 3, 2, 4]);
}));

test('reductions: sum, mean, max, min, argmax, logsumexp, norm, var', () => scope(() => {
  const a = t([1, 5, 3, 4, 2, 6], [2, 3]);
  assert.equal(a.sum().item(), 21);
  assert.deepEqual(a.sum(0).toNumbers(), [5, 7, 9]);
  assert.deepEqual(a.sum(1, true).shape, [2, 1]);
  assert.equal(a.mean().item(), 3.5);
  assert.deepEqual(a.mean([0, 1]).toNumbers(), [3.5]);
  const m = a.max(1);
  assert.deepEqual(m.values.toNumbers(), [5, 6]);
  assert.deepEqual(m.indices.toNumbers(), [1, 2]);
  assert.deepEqual(a.min(0).values.toNumbers(), [1, 2, 3]);
  assert.equal(a.maxAll().item(), 6);
  assert.equal(a.minAll().item(), 1);
  assert.deepEqual(a.argmax(1).toNumbers(), [1, 2]);
  assertClose(a.logsumexp(1).toArray() as Float32Array, [Math.log(Math.exp(1) + Math.exp(5) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(2) + Math.exp(6))], 1e-5);
  assertClose(t([3, 4]).norm(2, 0).toArray() as Float32Array, [5], 1e-6);
  assertClose(t([1, 2, 3, 4]).var(0).toArray() as Float32Array, [1.25], 1e-6);
  assertClose(t([1, 2, 3, 4]).var(0, true).toArray() as Float32Array, [5 / 3], 1e-6);
}));

test('softmax, log-softmax, layer norm, embedding, normalize, cosine similarity', () => scope(() => {
  const logits = [1, 2, 3];
  const z = logits.reduce((s, v) => s + Math.exp(v), 0);
  const x = t(logits, [1, 3]);
  assertClose(x.softmax(1).toArray() as Float32Array, logits.map((v) => Math.exp(v) / z), 1e-6);
  assertClose(x.logSoftmax(1).toArray() as Float32Array, logits.map((v) => v - Math.log(z)), 1e-6);
  // layer_norm over [1,2,3,4]: mean 2.5, var 1.25
  const ln = F.layerNorm(t([1, 2, 3, 4], [1, 4]), [4], t([1, 1, 2, 2]), t([0, 0, 0, 1]), 1e-5);
  const sd = Math.sqrt(1.25 + 1e-5);
  assertClose(ln.toArray() as Float32Array, [-1.5 / sd, -0.5 / sd, (2 * 0.5) / sd, (2 * 1.5) / sd + 1], 1e-5);
  const weight = t([0, 0, 1, 1, 2, 2], [3, 2]);
  assert.deepEqual(F.embedding(tensor([[2, 0]], { dtype: 'int64' }), weight).toNumbers(), [2, 2, 0, 0]);
  assertClose(F.normalize(t([3, 4, 0, 2], [2, 2]), 1).toArray() as Float32Array, [0.6, 0.8, 0, 1], 1e-6);
  assertClose(F.cosineSimilarity(t([1, 0, 1, 1], [2, 2]), t([1, 1, -1, -1], [2, 2])).toArray() as Float32Array, [Math.SQRT1_2, -1], 1e-6);
}));

test('cross-entropy: mean/sum/none, ignore index, label smoothing', () => scope(() => {
  const logits = t([2, 1, 0, 0, 0, 3], [2, 3]);
  const target = tensor([0, 2], { dtype: 'int64' });
  const lse0 = Math.log(Math.exp(2) + Math.exp(1) + 1);
  const lse1 = Math.log(2 + Math.exp(3));
  const losses = [lse0 - 2, lse1 - 3];
  assertClose(F.crossEntropy(logits, target, { reduction: 'none' }).toArray() as Float32Array, losses, 1e-6);
  assertClose([F.crossEntropy(logits, target).item()], [(losses[0]! + losses[1]!) / 2], 1e-6);
  assertClose([F.crossEntropy(logits, target, { reduction: 'sum' }).item()], [losses[0]! + losses[1]!], 1e-6);
  const ignored = tensor([0, -100], { dtype: 'int64' });
  assertClose([F.crossEntropy(logits, ignored).item()], [losses[0]!], 1e-6);
  // label smoothing eps: (1-eps)*nll + eps * mean_k(-log p_k)
  const eps = 0.1;
  const smooth0 = (1 - eps) * losses[0]! + (eps / 3) * (3 * lse0 - (2 + 1 + 0));
  assertClose(F.crossEntropy(logits.slice(0, 0, 1), target.slice(0, 0, 1), { labelSmoothing: eps }).toArray() as Float32Array, [smooth0], 1e-6);
  assertClose([F.nllLoss(logits.logSoftmax(1), target).item()], [(losses[0]! + losses[1]!) / 2], 1e-6);
}));

test('dropout: identity in eval, inverted scaling in train, reproducible with a seed', () => scope(() => {
  const x = ones([1000]);
  assert.deepEqual(F.dropout(x, 0.5, false).toNumbers(), x.toNumbers());
  manualSeed(7);
  const y1 = F.dropout(x, 0.25, true).toNumbers();
  const kept = y1.filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6), 'kept values are scaled by 1/(1-p)');
  assert.ok(Math.abs(kept.length / 1000 - 0.75) < 0.06, `keep rate ${kept.length / 1000}`);
  manualSeed(7);
  assert.deepEqual(F.dropout(x, 0.25, true).toNumbers(), y1);
  assert.throws(() => F.dropout(x, 1.5, true), /dropout probability/);
}));

test('seeding makes random tensors reproducible', () => scope(() => {
  manualSeed(123);
  const a = [randn([5]).toNumbers(), rand([5]).toNumbers(), randint(0, 10, [5]).toNumbers()];
  manualSeed(123);
  const b = [randn([5]).toNumbers(), rand([5]).toNumbers(), randint(0, 10, [5]).toNumbers()];
  assert.deepEqual(a, b);
  manualSeed(124);
  assert.notDeepEqual(randn([5]).toNumbers(), a[0]);
}));

test('dtype conversion and devices', () => scope(() => {
  const a = t([1.7, -2.2]);
  assert.deepEqual(a.to('int64').toNumbers(), [1, -2]);
  assert.equal(a.to('float64').dtype, 'float64');
  const h = a.to('float16');
  assert.equal(h.dtype, 'float16');
  assertClose(h.toArray() as Float32Array, [1.7, -2.2], 2e-3);
  assert.equal(a.to('cpu').device, 'cpu');
  assert.equal(liveTensors() > 0, true);
}));
