// Placeholder: implemented by the SentencePiece task.
import type { BatchEncodeOptions, EncodedBatch, EncodedText, SequenceTokenizer, SpecialTokenIds } from './types';

export class SentencePieceTokenizer implements SequenceTokenizer {
  readonly source = '';
  readonly vocabSize = 0;
  readonly modelMaxLength = 0;
  readonly specialTokenIds: SpecialTokenIds = { pad: null, unk: null, cls: null, sep: null, mask: null };
  static fromDir(dir: string): SentencePieceTokenizer { throw new Error(`not implemented: ${dir}`); }
  encode(_text: string): EncodedText { throw new Error('not implemented'); }
  encodeWithoutSpecials(_text: string): number[] { throw new Error('not implemented'); }
  encodeBatch(_texts: readonly string[], _options?: BatchEncodeOptions): EncodedBatch { throw new Error('not implemented'); }
  decode(_ids: ArrayLike<number>): string { throw new Error('not implemented'); }
}
