// BERT's optimizer recipe: weight decay on weights, none on biases and LayerNorm parameters.
// Frozen parameters (freezeLowerLayers) are left out: no optimiser may move them.
import type { AdamWOptions, ParamGroup } from '../engine';
import { LayerNorm, type Module } from '../nn';

export function decayGroups(model: Module): ParamGroup<AdamWOptions>[] {
  const named = model.namedParameters().filter(([, p]) => p.requiresGrad);
  // LayerNorm parameters by module type, not name: USE-Lite calls them attention_norm / ffn_norm.
  const normPrefixes = [...model.namedModules()].filter(([, m]) => m instanceof LayerNorm).map(([n]) => `${n}.`);
  const noDecay = (name: string) => name.endsWith('.bias') || normPrefixes.some((p) => name.startsWith(p));
  const groups: ParamGroup<AdamWOptions>[] = [
    { params: named.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
    { params: named.filter(([n]) => noDecay(n)).map(([, p]) => p), options: { weightDecay: 0 } },
  ];
  return groups.filter((g) => g.params.length > 0);
}
