// One entry point for a model folder's tokenizer: the SentencePiece unigram model of the
// Universal Sentence Encoder (tokenizer.json with a "Unigram" model), else a HF tokenizer.json
// through @huggingface/tokenizers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextTokenizer } from './tokenizer';
import { SentencePieceTokenizer } from './sentencepiece';
import type { SequenceTokenizer } from './types';

/** True when dir/tokenizer.json holds a SentencePiece unigram model. */
export function isUnigramTokenizerDir(dir: string): boolean {
  const file = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(file)) return false;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { model?: { type?: unknown } };
    return json.model?.type === 'Unigram';
  } catch {
    return false; // TextTokenizer.fromDir reports the malformed file
  }
}

/** Loads dir/tokenizer.json with the implementation that reproduces its model exactly. */
export function loadTokenizer(dir: string): SequenceTokenizer {
  return isUnigramTokenizerDir(dir) ? SentencePieceTokenizer.fromDir(dir) : TextTokenizer.fromDir(dir);
}
