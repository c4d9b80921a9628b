// The tiny experiment grid the experiment and queue tests share (SpamAssassin slice, tiny base in
// `base` beside the config): one fine-tune per seed, DeepCUT and gradient ascent with checkpoints.
import { SPAM_SLICE } from './tiny-run';

export function tinyGridLines(seeds: readonly number[]): string[] {
  return [
    'base_model: base',
    `datasets: [${JSON.stringify(SPAM_SLICE)}]`,
    'forget: [largest-user]',
    'methods: [deepcut, gradient-ascent]',
    `seeds: [${seeds.join(', ')}]`,
    'finetune: { epochs: 2, max_length: 32, lr: 0.002 }',
    'hp:',
    '  deepcut: { steps: 8, evalEvery: 4, stopSample: 32, checkpointEvery: 4 }',
    '  gradient-ascent: { steps: 8, evalEvery: 4, stopSample: 32 }',
    'eval: { retain_sample: 60 }',
  ];
}
