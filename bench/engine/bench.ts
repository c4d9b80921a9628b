// bench/engine: deepcut's training step vs the same step in PyTorch (same
// libtorch), each at its best thread setting. A synthetic BERT-style model with
// random weights and ids; bench/encoder does the same for the default encoder.
import { compareAlternating, threadSettings, torchAvailable } from '../common/harness';

const steps = process.env.BENCH_STEPS ?? '10';
const shape = ['--vocab', '8000', '--hidden', '256', '--layers', '4', '--heads', '4', '--ffn', '1024', '--seq', '128', '--batch', '16', '--classes', '2', '--steps', steps, '--warmup', '3'];
const withTorch = torchAvailable();

console.log(`# BERT-style step: vocab 8000, hidden 256, 4 layers, 4 heads, FFN 1024, seq 128, batch 16, AdamW; median of ${steps} steps after 3 warm-up`);
const { ours, torch } = compareAlternating({
  settings: threadSettings(), rounds: Number(process.env.BENCH_ROUNDS ?? 3), args: shape, withTorch, label: 'engine',
});
console.log(`engine_step_ms=${ours.ms.toFixed(1)}`);
if (torch) {
  console.log(`torch_step_ms=${torch.ms.toFixed(1)}`);
  console.log(`engine_vs_torch=${(ours.ms / torch.ms).toFixed(3)}`);
}
