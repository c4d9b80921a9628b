// The module system: parameters, modes, state dicts, and a network that learns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, scope, manualSeed, F, AdamW, SGD, liveTensors, type Tensor } from '../src/engine';
import { Module, ModuleList, Linear, Embedding, LayerNorm, Dropout, StateDictError } from '../src/nn';

class Mlp extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(inputs: number, width: number, outputs: number) {
    super();
    this.hidden = this.child('hidden', new Linear(inputs, width));
    this.out = this.child('out', new Linear(width, outputs));
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(this.hidden.forward(x).tanh());
  }
}

class Block extends Module {
  readonly norm = this.child('LayerNorm', new LayerNorm(4));
  readonly drop = this.child('dropout', new Dropout(0.5));
  readonly layers = this.child('layer', new ModuleList([new Linear(4, 4), new Linear(4, 4, { bias: false })]));
  readonly emb = this.child('embeddings', new Embedding(10, 4, 0));
}

test('named parameters follow the module tree with dotted names', () => {
  const block = new Block();
  assert.deepEqual(block.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`), [
    'LayerNorm.weight:4', 'LayerNorm.bias:4', 'layer.0.weight:4x4', 'layer.0.bias:4', 'layer.1.weight:4x4', 'embeddings.weight:10x4',
  ]);
  assert.equal(block.numParameters(), 4 + 4 + 16 + 4 + 16 + 40);
  assert.ok(block.parameters().every((p) => p.requiresGrad));
  assert.deepEqual(block.emb.weight.select(0, 0).toNumbers(), [0, 0, 0, 0], 'padding row starts at zero');
  block.dispose();
});

test('train()/eval() propagate to every descendant; dropout follows the mode', () => scope(() => {
  const block = new Block();
  block.eval();
  assert.ok([...block.namedModules()].every(([, m]) => !m.training));
  const x = tensor([1, 1, 1, 1]);
  assert.deepEqual(block.drop.forward(x).toNumbers(), [1, 1, 1, 1]);
  block.train();
  manualSeed(1);
  const y = block.drop.forward(tensor(new Float32Array(400).fill(1))).toNumbers();
  assert.ok(y.some((v) => v === 0) && y.some((v) => v === 2));
  block.dispose();
}));

test('parameters created inside a scope survive it (modules own them)', () => {
  const before = liveTensors();
  const mlp = scope(() => new Mlp(2, 3, 1));
  assert.equal(liveTensors(), before + 4);
  assert.equal(mlp.hidden.weight.isDisposed, false);
  mlp.dispose();
  assert.equal(liveTensors(), before);
});

test('stateDict / loadStateDict round-trip copies values', () => scope(() => {
  manualSeed(1);
  const a = new Mlp(2, 3, 1);
  manualSeed(2);
  const b = new Mlp(2, 3, 1);
  const x = tensor([[0.5, -1]]);
  assert.notDeepEqual(a.forward(x).toNumbers(), b.forward(x).toNumbers());
  const report = b.loadStateDict(a.stateDict());
  assert.deepEqual(report, { missing: [], unexpected: [] });
  assert.deepEqual(a.forward(x).toNumbers(), b.forward(x).toNumbers());
  assert.notEqual(a.hidden.weight.handle, b.hidden.weight.handle, 'values are copied, not shared');
  a.dispose();
  b.dispose();
}));

test('loadStateDict lists every missing, unexpected and mis-shaped tensor in one error', () => scope(() => {
  const model = new Mlp(2, 3, 1);
  const state = new Map(model.stateDict());
  state.delete('out.bias');
  state.set('out.weight', tensor([[1, 2]]));
  state.set('extra.weight', tensor([1]));
  assert.throws(() => model.loadStateDict(state, { context: 'loading test.safetensors' }), (e: unknown) => {
    assert.ok(e instanceof StateDictError);
    assert.match(e.message, /loading test\.safetensors: 3 problem\(s\)/);
    assert.match(e.message, /out\.weight: shape \[1, 2\] in checkpoint, \[1, 3\] in model/);
    assert.match(e.message, /out\.bias: missing from checkpoint/);
    assert.match(e.message, /extra\.weight: unexpected/);
    return true;
  });
  state.set('out.weight', tensor([[1, 2, 3]]));
  const report = model.loadStateDict(state, { strict: false });
  assert.deepEqual(report, { missing: ['out.bias'], unexpected: ['extra.weight'] });
  assert.deepEqual(model.out.weight.toNumbers(), [1, 2, 3]);
  model.dispose();
}));

function trainXor(makeOptimizer: (params: Tensor[]) => AdamW | SGD, steps: number): { loss: number; predictions: number[] } {
  manualSeed(0);
  const mlp = new Mlp(2, 8, 2);
  const optimizer = makeOptimizer(mlp.parameters());
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([0, 1, 1, 0], { dtype: 'int64' });
  let loss = Infinity;
  for (let step = 0; step < steps; step++) {
    loss = scope(() => {
      optimizer.zeroGrad();
      const l = F.crossEntropy(mlp.forward(x), y);
      l.backward();
      optimizer.step();
      return l.item();
    });
  }
  const predictions = scope(() => mlp.forward(x).argmax(1).toNumbers());
  mlp.dispose();
  x.dispose();
  y.dispose();
  return { loss, predictions };
}

test('a 2-layer MLP learns XOR with AdamW', () => {
  const { loss, predictions } = trainXor((p) => new AdamW(p, { lr: 0.05, weightDecay: 0 }), 300);
  assert.deepEqual(predictions, [0, 1, 1, 0]);
  assert.ok(loss < 0.05, `final loss ${loss}`);
});

test('a 2-layer MLP learns XOR with SGD + momentum', () => {
  const { loss, predictions } = trainXor((p) => new SGD(p, { lr: 0.5, momentum: 0.9 }), 300);
  assert.deepEqual(predictions, [0, 1, 1, 0]);
  assert.ok(loss < 0.05, `final loss ${loss}`);
});
