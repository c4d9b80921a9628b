// Hugging Face's _init_weights for these encoders: Linear and Embedding weights
// ~ N(0, initializer_range), biases 0, padding rows 0, LayerNorm weight 1 / bias 0.
import { noGrad } from '../engine/runtime';
import { Module } from '../nn/module';
import { Linear, Embedding, LayerNorm } from '../nn/layers';
import { BertLMPredictionHead } from './bert';

/** Re-initialises every layer under `module` in place. */
export function initWeights(module: Module, initializerRange: number): void {
  noGrad(() => {
    for (const [, m] of module.namedModules()) {
      if (m instanceof Linear) {
        m.weight.normal_(0, initializerRange);
        m.bias?.fill_(0);
      } else if (m instanceof Embedding) {
        m.weight.normal_(0, initializerRange);
        if (m.paddingIdx !== undefined) {
          const row = m.weight.select(0, m.paddingIdx);
          row.fill_(0);
          row.dispose();
        }
      } else if (m instanceof LayerNorm) {
        m.weight.fill_(1);
        m.bias.fill_(0);
      } else if (m instanceof BertLMPredictionHead) {
        m.resetBias(); // the decoder weight is the word embedding matrix, initialised as an Embedding
      }
    }
  });
}
