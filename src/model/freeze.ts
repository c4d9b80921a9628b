// Partial fine-tuning: the embeddings and the lowest transformer layers keep their pretrained
// weights. Frozen, they take no gradient and run without dropout, so a training step skips their
// backward pass; and since fine-tuning never changed them, they hold nothing of the training data,
// so unlearning needs to edit only the layers fine-tuning edited.
import type { PretrainedModel } from './types';

/** Freezes the embeddings and the first `layers` transformer layers (0: nothing is frozen). */
export function freezeLowerLayers(model: PretrainedModel, layers: number): void {
  const { embeddings, layers: stack } = model.encoder.stack();
  if (!Number.isInteger(layers) || layers < 0 || layers > stack.length) {
    throw new Error(`freeze layers must be an integer from 0 to ${stack.length} (the encoder's layers), got ${layers}`);
  }
  if (layers === 0) return;
  embeddings.freeze();
  for (const layer of stack.slice(0, layers)) layer.freeze();
}
