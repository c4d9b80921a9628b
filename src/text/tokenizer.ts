/**
 * TextTokenizer: loads a HF tokenizer folder (tokenizer.json + optional tokenizer_config.json)
 * through @huggingface/tokenizers (pure JS; WordPiece/BERT and BPE/RoBERTa pipelines) and adds
 * what that library lacks: batch encoding with truncation and padding into flat row-major arrays.
 *
 * Arrays are Int32Array, row-major with `shape = [batch, seq]`; the libtorch engine takes int64,
 * so callers convert with `toBigInt64Array` (or their own loop) when building tensors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

import type { BatchEncodeOptions, EncodedBatch, EncodedText, SequenceTokenizer, SpecialTokenIds, WordEncodedBatch } from './types';
import { packBatch, packWords } from './batch';
import { readJsonObject } from './json-object';

export type { BatchEncodeOptions, EncodedBatch, EncodedText, SequenceTokenizer, SpecialTokenIds, WordEncodedBatch } from './types';

type JsonRecord = Record<string, unknown>;

/** Config token fields may be a string or an AddedToken-like {content}. */
function configTokenName(config: JsonRecord, key: string): string | undefined {
  const value = config[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as JsonRecord).content === 'string') {
    return (value as JsonRecord).content as string;
  }
  return undefined;
}

export function toBigInt64Array(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i] as number);
  return out;
}

export class TextTokenizer implements SequenceTokenizer {
  readonly specialTokenIds: SpecialTokenIds;
  /** Embedding rows needed: highest id in the vocabulary (incl. added tokens) + 1. */
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  /** Ids the post-processor puts before / after a single sequence (e.g. [CLS] / [SEP]). */
  private readonly prefixIds: number[];
  private readonly suffixIds: number[];

  private constructor(
    private readonly tokenizer: Tokenizer,
    config: JsonRecord,
    readonly source: string,
  ) {
    const vocab = tokenizer.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const find = (key: string, fallbacks: string[]): number | null => {
      for (const name of [configTokenName(config, key), ...fallbacks]) {
        if (name === undefined) continue;
        const id = tokenizer.token_to_id(name);
        if (id !== undefined) return id;
      }
      return null;
    };
    this.specialTokenIds = {
      pad: find('pad_token', ['[PAD]', '<pad>']),
      unk: find('unk_token', ['[UNK]', '<unk>']),
      cls: find('cls_token', ['[CLS]', '<s>']),
      sep: find('sep_token', ['[SEP]', '</s>']),
      mask: find('mask_token', ['[MASK]', '<mask>']),
    };
    const configured = config.model_max_length;
    this.modelMaxLength = typeof configured === 'number' && configured > 0 && configured < 1e6 ? configured : 512;
    ({ prefix: this.prefixIds, suffix: this.suffixIds } = this.probeTemplate());
  }

  /** Loads `dir/tokenizer.json` (+ `dir/tokenizer_config.json` if present). */
  static fromDir(dir: string): TextTokenizer {
    const tokenizerFile = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(tokenizerFile)) throw new Error(`tokenizer file not found: ${tokenizerFile}`);
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = fs.existsSync(configFile) ? readJsonObject(configFile) : {};
    return TextTokenizer.fromJson(readJsonObject(tokenizerFile), config, tokenizerFile);
  }

  /** From already parsed JSON; `source` names the origin in error messages. */
  static fromJson(tokenizerJson: JsonRecord, config: JsonRecord = {}, source = 'tokenizer.json'): TextTokenizer {
    const model = tokenizerJson.model;
    if (typeof model !== 'object' || model === null || typeof (model as JsonRecord).vocab !== 'object') {
      throw new Error(`malformed ${source}: missing "model" with a "vocab"`);
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (error) {
      throw new Error(`cannot build tokenizer from ${source}: ${(error as Error).message}`);
    }
    return new TextTokenizer(tokenizer, config, source);
  }

  /** Finds the special ids wrapped around a single sequence by comparing with/without specials. */
  private probeTemplate(): { prefix: number[]; suffix: number[] } {
    const probe = 'a b';
    const bare = this.tokenizer.encode(probe, { add_special_tokens: false }).ids;
    const full = this.tokenizer.encode(probe, { add_special_tokens: true }).ids;
    const added = full.length - bare.length;
    for (let start = 0; start <= added; start++) {
      if (bare.every((id, i) => full[start + i] === id)) {
        return { prefix: full.slice(0, start), suffix: full.slice(start + bare.length) };
      }
    }
    throw new Error(`cannot locate the sequence inside the post-processor template of ${this.source}`);
  }

  /** Tokens and ids with special tokens added, no truncation. */
  encode(text: string): EncodedText {
    const encoding = this.tokenizer.encode(text, { add_special_tokens: true });
    return { ids: encoding.ids, tokens: encoding.tokens };
  }

  /** Ids without special tokens. */
  encodeWithoutSpecials(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    return this.tokenizer.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): EncodedBatch {
    return packBatch(texts.map((text) => this.encodeWithoutSpecials(text)), {
      ...options, maxLength: options.maxLength ?? this.modelMaxLength, prefix: this.prefixIds, suffix: this.suffixIds,
      pad: this.specialTokenIds.pad, source: this.source,
    });
  }

  /**
   * Byte-level BPE (RoBERTa) encodes a word after a space differently ('\u0120word'), WordPiece
   * does not: whether the words after the first need the space is probed once, on 'a b'.
   */
  private get spaceMarksWords(): boolean {
    if (this.spaceProbe === undefined) {
      const joined = this.encodeWithoutSpecials('a b');
      const apart = [...this.encodeWithoutSpecials('a'), ...this.encodeWithoutSpecials('b')];
      this.spaceProbe = joined.length !== apart.length || joined.some((id, i) => id !== apart[i]);
    }
    return this.spaceProbe;
  }
  private spaceProbe: boolean | undefined;

  encodeWordsBatch(rows: readonly (readonly string[])[], options: BatchEncodeOptions = {}): WordEncodedBatch {
    const unk = this.specialTokenIds.unk;
    const spaced = this.spaceMarksWords;
    const words = rows.map((row) => row.map((word, i) => {
      const ids = this.encodeWithoutSpecials(spaced && i > 0 ? ` ${word}` : word);
      if (ids.length > 0) return ids;
      if (unk === null) throw new Error(`${this.source}: the word ${JSON.stringify(word)} encodes to no token and the tokenizer has no unknown token`);
      return [unk];
    }));
    return packWords(words, {
      ...options, maxLength: options.maxLength ?? this.modelMaxLength, prefix: this.prefixIds, suffix: this.suffixIds,
      pad: this.specialTokenIds.pad, source: this.source,
    });
  }
}
