// Lifetime: scopes free what they made, keep what escapes; errors never crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, randn, scope, keep, liveTensors, externalBytes, scopeDepth, noGrad, isGradEnabled, F, Tensor } from '../src/engine';

test('a scope frees every tensor it made and leaks nothing', () => {
  const before = liveTensors();
  scope(() => {
    const a = randn([64, 64]);
    for (let i = 0; i < 10; i++) a.matmul(a).relu().sum();
    assert.ok(liveTensors() >= before + 31);
  });
  assert.equal(liveTensors(), before);
});

test('returned tensors (also inside arrays, objects and Maps) escape to the caller', () => {
  const before = liveTensors();
  const out = scope(() => {
    const a = tensor([1, 2, 3]);
    const b = a.mul(2);
    a.add(1); // garbage
    return { doubled: b, list: [a.sum()], map: new Map([['x', b.neg()]]) };
  });
  assert.equal(liveTensors(), before + 3);
  assert.deepEqual(out.doubled.toNumbers(), [2, 4, 6]);
  assert.equal(out.list[0]!.item(), 6);
  assert.deepEqual(out.map.get('x')!.toNumbers(), [-2, -4, -6]);
  out.doubled.dispose();
  out.list[0]!.dispose();
  out.map.get('x')!.dispose();
  assert.equal(liveTensors(), before);
});

test('nested scopes move returned tensors to the parent scope, which frees them in turn', () => {
  const before = liveTensors();
  scope(() => {
    const inner = scope(() => tensor([1]).add(1));
    assert.equal(scopeDepth(), 1);
    assert.equal(inner.item(), 2);
  });
  assert.equal(liveTensors(), before);
});

test('keep() takes a tensor out of scope management', () => {
  const before = liveTensors();
  const kept = scope(() => {
    const t = keep(tensor([5]));
    tensor([6]);
    return t.item();
  });
  assert.equal(kept, 5);
  assert.equal(liveTensors(), before + 1);
});

test('dispose() is idempotent and a disposed tensor gives a clear error', () => {
  const t = tensor([1, 2]);
  t.dispose();
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /tensor used after dispose\(\)/);
  assert.equal(String(t), 'Tensor(disposed)');
  const fromScope = scope(() => { const u = tensor([1]); return () => u; });
  assert.throws(() => fromScope().item(), /used after dispose/);
});

test('`using` disposes at block end', () => {
  const before = liveTensors();
  {
    using t = zeros([3]);
    assert.equal(t.numel, 3);
  }
  assert.equal(liveTensors(), before);
});

test('a scope frees its tensors when the callback throws', () => {
  const before = liveTensors();
  assert.throws(() => scope(() => { tensor([1]); throw new Error('boom'); }), /boom/);
  assert.equal(liveTensors(), before);
  assert.equal(scopeDepth(), 0);
});

test('async callbacks are rejected rather than silently mis-scoped', () => {
  assert.throws(() => scope(async () => 1), /synchronous/);
});

test('libtorch errors become JavaScript Errors with libtorch\'s message', () => scope(() => {
  const a = zeros([2, 3]);
  assert.throws(() => a.matmul(zeros([4, 5])), (e: unknown) => e instanceof Error && /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/.test(e.message));
  assert.throws(() => a.add(zeros([4])), /size of tensor a \(3\) must match the size of tensor b \(4\)/);
  assert.throws(() => F.embedding(tensor([7], { dtype: 'int64' }), zeros([3, 2])), /index out of range/i);
  assert.throws(() => a.reshape([5]), /shape '\[5\]' is invalid for input of size 6/);
  assert.throws(() => a.to('float128'), /unknown dtype 'float128'/);
  assert.throws(() => F.crossEntropy(zeros([2, 3]), zeros([2])), /expected scalar type Long/);
  // the process is still alive and the engine still works
  assert.equal(tensor([2]).mul(2).item(), 4);
}));

test('noGrad disables recording and restores the previous mode', () => scope(() => {
  const w = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => { assert.equal(isGradEnabled(), false); return w.mul(2); });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(w.mul(2).requiresGrad, true);
  assert.throws(() => noGrad(() => { throw new Error('inner'); }), /inner/);
  assert.equal(isGradEnabled(), true);
}));

test('autograd basics: backward, grad, detach, zeroGrad, accumulation', () => scope(() => {
  const w = tensor([1, 2, 3], { requiresGrad: true });
  w.mul(w).sum().backward();
  assert.deepEqual(w.grad!.toNumbers(), [2, 4, 6]);
  w.mul(w).sum().backward();
  assert.deepEqual(w.grad!.toNumbers(), [4, 8, 12], 'gradients accumulate');
  w.requiresGrad_(true);
  const d = w.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(w.grad!.numel, 3);
}));

test('V8 is told about tensor memory: a loop of big allocations stays bounded', () => {
  // 200 x 4 MB tensors, freed by scopes: RSS must not grow by anything near 800 MB.
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 200; i++) scope(() => { zeros([1024, 1024]).add(1); });
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grown < 200, `RSS grew by ${grown.toFixed(0)} MB`);
});

test('unscoped tensors dropped without dispose are reclaimed by GC finalizers', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return; // only meaningful with --expose-gc
  const before = liveTensors();
  for (let i = 0; i < 100; i++) new Tensor(zeros([10]).handle);
  for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  assert.ok(liveTensors() < before + 100);
});

test('only tensors that wait on GC are reported to V8: scoped ones are freed deterministically', () => {
  const base = externalBytes();
  scope(() => {
    zeros([1000]);
    assert.equal(externalBytes(), base, 'a scope-owned tensor is not reported');
    const kept = keep(zeros([1000]));
    assert.equal(externalBytes(), base + 4000, 'keep() hands it to the caller/GC: reported');
    kept.dispose();
    assert.equal(externalBytes(), base, 'dispose() withdraws the report');
  });
  const escaped = scope(() => zeros([500]));
  assert.equal(externalBytes(), base + 2000, 'escaping the outermost scope: reported');
  escaped.dispose();
  const loose = zeros([250]);
  assert.equal(externalBytes(), base + 1000, 'created outside any scope: reported');
  loose.dispose();
  assert.equal(externalBytes(), base);
});
