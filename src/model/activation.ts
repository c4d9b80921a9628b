// Activations by their Hugging Face config names, and train-mode-only dropout.
import type { Tensor } from '../engine/tensor';
import * as F from '../engine/functional';
import type { Activation } from './config';

export function activate(x: Tensor, name: Activation): Tensor {
  switch (name) {
    case 'gelu': return x.gelu('none'); // HF GELUActivation: exact erf form
    case 'gelu_new':
    case 'gelu_pytorch_tanh': return x.gelu('tanh');
    case 'relu': return x.relu();
  }
}

/** Dropout that is the identity outside training (and when p is 0). */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return training && p > 0 ? F.dropout(x, p, true) : x;
}
