// BERT's optimizer recipe: weight decay on weights, none on biases and LayerNorm parameters.
import type { AdamWOptions, ParamGroup } from '../engine';
import type { Module } from '../nn';

export function decayGroups(model: Module): ParamGroup<AdamWOptions>[] {
  const named = model.namedParameters();
  const noDecay = (name: string) => name.endsWith('.bias') || name.includes('LayerNorm');
  return [
    { params: named.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
    { params: named.filter(([n]) => noDecay(n)).map(([, p]) => p), options: { weightDecay: 0 } },
  ];
}
