// Basic layers. Initialisation follows PyTorch's defaults so a model built
// here starts where the same model in PyTorch would.
import { Tensor } from '../engine/tensor';
import { zeros, ones, randn } from '../engine/create';
import * as F from '../engine/functional';
import { noGrad } from '../engine/runtime';
import { Module } from './module';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    // PyTorch: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(in), 1/sqrt(in)), same bound for the bias.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', noGrad(() => zeros([outFeatures, inFeatures]).uniform_(-bound, bound)));
    if (options.bias ?? true) this.bias = this.param('bias', noGrad(() => zeros([outFeatures]).uniform_(-bound, bound)));
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly dim: number, readonly paddingIdx?: number) {
    super();
    this.weight = this.param('weight', randn([numEmbeddings, dim]));
    if (paddingIdx !== undefined) {
      noGrad(() => {
        const row = this.weight.select(0, paddingIdx);
        row.fill_(0);
        row.dispose();
      });
    }
  }
  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight, this.paddingIdx);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', ones([dim]));
    this.bias = this.param('bias', zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

export class Dropout extends Module {
  constructor(readonly p: number) {
    super();
    if (p < 0 || p >= 1) throw new RangeError(`dropout probability must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return this.training && this.p > 0 ? F.dropout(x, this.p, true) : x;
  }
}
