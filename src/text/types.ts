// What the training, unlearning and evaluation loops need from a tokenizer, whichever
// algorithm is inside: WordPiece/BPE through @huggingface/tokenizers (TextTokenizer) or
// the Universal Sentence Encoder's SentencePiece unigram model (SentencePieceTokenizer).

export interface EncodedText {
  ids: number[];
  tokens: string[];
}

export interface BatchEncodeOptions {
  /** Upper bound on sequence length including special tokens. Default: model_max_length or 512. */
  maxLength?: number;
  /** 'longest': pad to the longest row (≤ maxLength); 'max_length': pad every row to maxLength. */
  padding?: 'longest' | 'max_length';
  /** Cut rows longer than maxLength (special tokens kept). Default true; false throws instead. */
  truncation?: boolean;
}

export interface EncodedBatch {
  /** Token ids, row-major [batch, seq]; padding positions hold padTokenId. */
  inputIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** Segment ids (all 0 for single texts). */
  tokenTypeIds: Int32Array;
  shape: [number, number];
}

/** encodeWordsBatch's result: the padded batch and where each word starts. */
export interface WordEncodedBatch extends EncodedBatch {
  /**
   * Per row, the position of each word's first sub-word, in word order. A row cut by truncation
   * lists only the words whose first sub-word is inside the window (so it may be shorter).
   */
  wordStarts: number[][];
}

export interface SpecialTokenIds {
  pad: number | null;
  unk: number | null;
  cls: number | null;
  sep: number | null;
  mask: number | null;
}

export interface SequenceTokenizer {
  /** Where it was loaded from, for error messages. */
  readonly source: string;
  /** Embedding rows needed: highest id the tokenizer can produce + 1. */
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  readonly specialTokenIds: SpecialTokenIds;
  /** Tokens and ids with special tokens added, no truncation. */
  encode(text: string): EncodedText;
  /** Ids without special tokens. */
  encodeWithoutSpecials(text: string): number[];
  encodeBatch(texts: readonly string[], options?: BatchEncodeOptions): EncodedBatch;
  /**
   * Pre-split words (a tagged sentence) as one padded batch, with special tokens as encodeBatch
   * adds them. Each word is encoded as it would be inside the sentence; a word that encodes to no
   * id at all gets the unknown id, so every word has a first sub-word to label.
   */
  encodeWordsBatch(rows: readonly (readonly string[])[], options?: BatchEncodeOptions): WordEncodedBatch;
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
}
