/**
 * SentencePieceTokenizer: the SentencePiece unigram tokenizer of Google's Universal Sentence
 * Encoder Lite (USE-Lite), as a SequenceTokenizer.
 *
 * The encoder is a port of the tokenizer in the npm package @energetic-ai/embeddings@0.2.0
 * (lib/trie.ts + lib/tokenizer.ts, Apache-2.0; itself derived from TensorFlow.js models'
 * universal-sentence-encoder, Copyright 2019 Google LLC, Apache-2.0). Its ids are what the
 * pretrained USE-Lite embedding matrix was trained with, so this port keeps the package's quirks
 * ON PURPOSE and returns byte-for-byte the same ids (test/text-sentencepiece.test.ts checks it
 * against the package itself):
 *   - NFKC, then ' ' -> '\u2581' and one '\u2581' in front (the empty string stays empty; tabs and
 *     newlines are not spaces here and stay as they are);
 *   - symbols are code points (for..of), the trie holds the pieces from id `reservedCount` (6) on,
 *     and a later duplicate piece overwrites an earlier one (the vocab has '\u201d5' three times;
 *     the last id, 4464, wins);
 *   - a position where no piece starts gets the unk id 0 with score 0 for one symbol;
 *   - the lattice keeps a candidate when `best[end] === 0 || score >= best[end]`: ties go to the
 *     later candidate (candidates for one end are visited by start ascending, i.e. longest
 *     first), and a best score of exactly 0 — unset, or reached through pieces scored 0/null such
 *     as '\u2581:' — is overwritten by any later candidate;
 *   - null scores (7 pieces with ':') count as 0, ':30' scores +30;
 *   - the backtrack steps back by the piece's UTF-16 length, not its symbol count (the same for
 *     the USE-Lite vocab, which has no astral pieces; different for a vocab that has some);
 *   - runs of consecutive unk ids are merged into one.
 * Unlike the package (which slices the symbol array at every position, quadratic in the text
 * length), this walks the trie in place and relaxes the lattice forwards in one pass — the same
 * candidates in the same order, so the same result — in time linear in the text length.
 *
 * Storage is Hugging Face-style: tokenizer.json with a "Unigram" model (NFKC normalizer,
 * Metaspace pre-tokenizer/decoder) and tokenizer_config.json; see buildUnigramTokenizerFiles.
 * USE-Lite adds no special tokens (no CLS/SEP); padding uses id 0 (the unk piece) with
 * attention mask 0.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { BatchEncodeOptions, EncodedBatch, EncodedText, SequenceTokenizer, SpecialTokenIds, WordEncodedBatch } from './types';
import { packBatch, packWords } from './batch';
import { readJsonObject } from './json-object';

/** One vocabulary entry: [piece, log-probability score]; null scores act as 0. */
export type UnigramVocabEntry = readonly [string, number | null];
export type UnigramVocab = readonly UnigramVocabEntry[];

export interface SentencePieceOptions {
  /** Names the origin in error messages. Default 'vocabulary'. */
  source?: string;
  /** Default 128 (the original USE-Lite graph's window). */
  modelMaxLength?: number;
  /** Leading ids left out of the trie (unk, <s>, </s>, extra_token_id_1..3). Default 6. */
  reservedCount?: number;
}

/** The piece separator SentencePiece puts in place of spaces. */
export const SENTENCEPIECE_SPACE = '\u2581';
export const USE_LITE_RESERVED_COUNT = 6;
export const USE_LITE_MAX_LENGTH = 128;
const UNK_ID = 0;

interface TrieNode {
  children: Map<number, TrieNode> | undefined;
  /** Id of the piece ending here, -1 if none. */
  id: number;
  score: number;
}

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks that `vocab` is an array of [string, finite number | null] pairs. */
function validateVocab(vocab: unknown, source: string, where = 'vocabulary'): UnigramVocabEntry[] {
  if (!Array.isArray(vocab)) throw new Error(`malformed ${source}: ${where} must be an array of [piece, score] pairs`);
  vocab.forEach((entry: unknown, i) => {
    const ok =
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === 'string' &&
      (entry[1] === null || (typeof entry[1] === 'number' && Number.isFinite(entry[1])));
    if (!ok) {
      throw new Error(`malformed ${source}: ${where}[${i}] is ${JSON.stringify(entry)}, expected [string, number|null]`);
    }
  });
  return vocab as UnigramVocabEntry[];
}

function checkMaxLength(value: number, source: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${source}: model_max_length must be a positive integer, got ${value}`);
  return value;
}

/**
 * The files of a USE-Lite tokenizer folder: tokenizer.json (HF tokenizers' Unigram format, the
 * reserved ids as special added tokens, null scores written as 0 — same behaviour) and
 * tokenizer_config.json. Keys are file names, values their contents.
 */
export function buildUnigramTokenizerFiles(vocab: readonly [string, number | null][], modelMaxLength = USE_LITE_MAX_LENGTH): Record<string, string> {
  const entries = validateVocab(vocab, 'vocabulary');
  checkMaxLength(modelMaxLength, 'buildUnigramTokenizerFiles');
  if (entries.length <= USE_LITE_RESERVED_COUNT) {
    throw new Error(`vocabulary has ${entries.length} entries, expected more than the ${USE_LITE_RESERVED_COUNT} reserved ids`);
  }
  const metaspace = { type: 'Metaspace', replacement: SENTENCEPIECE_SPACE, prepend_scheme: 'always', split: false };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: entries.slice(0, USE_LITE_RESERVED_COUNT).map(([content], id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFKC' },
    pre_tokenizer: metaspace,
    post_processor: null,
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: UNK_ID, vocab: '@@VOCAB@@', byte_fallback: false },
  };
  // Indented like HF writes it, but one [piece, score] pair per line (8000 pairs).
  const vocabText = `[\n${entries.map(([piece, score]) => `      ${JSON.stringify([piece, score ?? 0])}`).join(',\n')}\n    ]`;
  const tokenizerJson = JSON.stringify(tokenizer, null, 2).replace('"@@VOCAB@@"', () => vocabText);
  const unk = entries[UNK_ID]?.[0] ?? '\ufffd';
  const config = {
    tokenizer_class: 'UseLiteTokenizer',
    model_max_length: modelMaxLength,
    unk_token: unk,
    pad_token: unk,
    clean_up_tokenization_spaces: false,
  };
  return {
    'tokenizer.json': `${tokenizerJson}\n`,
    'tokenizer_config.json': `${JSON.stringify(config, null, 2)}\n`,
  };
}

export class SentencePieceTokenizer implements SequenceTokenizer {
  readonly source: string;
  /** Number of pieces (8000 for USE-Lite; the pretrained embedding matrix has 8002 rows, see the model config). */
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  readonly specialTokenIds: SpecialTokenIds = { pad: UNK_ID, unk: UNK_ID, cls: null, sep: null, mask: null };
  readonly reservedCount: number;
  private readonly pieces: string[];
  /** UTF-16 length of each piece: what the package's backtrack steps by. */
  private readonly pieceLengths: Int32Array;
  private readonly root: TrieNode = { children: new Map(), id: -1, score: 0 };

  private constructor(vocab: UnigramVocab, options: SentencePieceOptions) {
    this.source = options.source ?? 'vocabulary';
    this.modelMaxLength = options.modelMaxLength ?? USE_LITE_MAX_LENGTH;
    this.reservedCount = options.reservedCount ?? USE_LITE_RESERVED_COUNT;
    this.pieces = vocab.map(([piece]) => piece);
    this.pieceLengths = Int32Array.from(this.pieces, (p) => p.length);
    this.vocabSize = vocab.length;
    for (let id = this.reservedCount; id < vocab.length; id++) {
      const [piece, score] = vocab[id] as UnigramVocabEntry;
      this.insert(piece, score ?? 0, id);
    }
  }

  /** From [piece, score] pairs (the package's vocab.json); ids are the array indices. */
  static fromVocab(vocab: readonly (readonly [string, number | null])[], options: SentencePieceOptions = {}): SentencePieceTokenizer {
    const source = options.source ?? 'vocabulary';
    const entries = validateVocab(vocab, source);
    const reservedCount = options.reservedCount ?? USE_LITE_RESERVED_COUNT;
    if (!Number.isInteger(reservedCount) || reservedCount < 1 || reservedCount > entries.length) {
      throw new Error(`${source}: reservedCount must be an integer in [1, ${entries.length}], got ${reservedCount}`);
    }
    if (options.modelMaxLength !== undefined) checkMaxLength(options.modelMaxLength, source);
    return new SentencePieceTokenizer(entries, { ...options, source, reservedCount });
  }

  /** Loads `dir/tokenizer.json` (a Unigram model) + `dir/tokenizer_config.json` if present. */
  static fromDir(dir: string): SentencePieceTokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(file)) throw new Error(`tokenizer file not found: ${file}`);
    const json = readJsonObject(file);
    const model = json.model;
    if (!isRecord(model) || model.type !== 'Unigram') throw new Error(`malformed ${file}: "model" must be an object with "type": "Unigram"`);
    if ((model.unk_id ?? UNK_ID) !== UNK_ID) {
      throw new Error(`unsupported ${file}: model.unk_id must be ${UNK_ID} (the USE-Lite encoder's unk id), got ${JSON.stringify(model.unk_id)}`);
    }
    if (model.byte_fallback === true) throw new Error(`unsupported ${file}: model.byte_fallback is not supported`);
    const normalizer = json.normalizer;
    if (!isRecord(normalizer) || normalizer.type !== 'NFKC') {
      throw new Error(`unsupported ${file}: only the USE-Lite pipeline is supported (normalizer {"type":"NFKC"})`);
    }
    const pre = json.pre_tokenizer;
    if (!isRecord(pre) || pre.type !== 'Metaspace' || (pre.replacement ?? SENTENCEPIECE_SPACE) !== SENTENCEPIECE_SPACE) {
      throw new Error(`unsupported ${file}: only the USE-Lite pipeline is supported (pre_tokenizer Metaspace with "${SENTENCEPIECE_SPACE}")`);
    }
    const vocab = validateVocab(model.vocab, file, 'model.vocab');
    const reservedCount = SentencePieceTokenizer.reservedFromAddedTokens(json.added_tokens, vocab, file);

    const configFile = path.join(dir, 'tokenizer_config.json');
    let modelMaxLength = USE_LITE_MAX_LENGTH;
    if (fs.existsSync(configFile)) {
      const config = readJsonObject(configFile);
      const configured = config.model_max_length;
      if (configured !== undefined && configured !== null) {
        // HF writes a huge sentinel (1e30) for "no limit"; treat it as absent like TextTokenizer.
        if (typeof configured !== 'number' || configured <= 0) {
          throw new Error(`malformed ${configFile}: model_max_length must be a positive integer, got ${JSON.stringify(configured)}`);
        }
        if (configured < 1e6) modelMaxLength = checkMaxLength(configured, configFile);
      }
    }
    return new SentencePieceTokenizer(vocab, { source: file, modelMaxLength, reservedCount });
  }

  /** The reserved ids are the special added tokens; they must be ids 0..k-1 and match the vocab. */
  private static reservedFromAddedTokens(added: unknown, vocab: UnigramVocab, file: string): number {
    if (added === undefined || added === null) return Math.min(USE_LITE_RESERVED_COUNT, vocab.length);
    if (!Array.isArray(added)) throw new Error(`malformed ${file}: added_tokens must be an array`);
    const ids = new Set<number>();
    added.forEach((token: unknown, i) => {
      if (!isRecord(token) || typeof token.id !== 'number' || typeof token.content !== 'string') {
        throw new Error(`malformed ${file}: added_tokens[${i}] needs a numeric "id" and a string "content"`);
      }
      if (vocab[token.id]?.[0] !== token.content) {
        throw new Error(`malformed ${file}: added_tokens[${i}] (${JSON.stringify(token.content)}) is not model.vocab[${token.id}]`);
      }
      ids.add(token.id);
    });
    for (let id = 0; id < ids.size; id++) {
      if (!ids.has(id)) throw new Error(`unsupported ${file}: added_tokens must be the ids 0..${ids.size - 1} (the reserved pieces), ${id} is missing`);
    }
    if (ids.size === 0) throw new Error(`unsupported ${file}: added_tokens must hold at least the unk piece (id 0)`);
    return ids.size;
  }

  private insert(piece: string, score: number, id: number): void {
    if (piece.length === 0) return; // the package's insert loop does nothing for ''
    let node = this.root;
    for (const symbol of piece) {
      const cp = symbol.codePointAt(0) as number;
      node.children ??= new Map();
      let child = node.children.get(cp);
      if (child === undefined) {
        child = { children: undefined, id: -1, score: 0 };
        node.children.set(cp, child);
      }
      node = child;
    }
    // A duplicate piece overwrites the earlier one, as in the package.
    node.id = id;
    node.score = score;
  }

  /** The package's Tokenizer.encode: ids, no special tokens. */
  private encodeIds(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const input = SENTENCEPIECE_SPACE + normalized.replace(/ /g, SENTENCEPIECE_SPACE);
    const symbols: number[] = [];
    for (const symbol of input) symbols.push(symbol.codePointAt(0) as number);
    const n = symbols.length;

    // best[e] / words[e]: score and last piece of the best segmentation of symbols[0, e).
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    const relax = (end: number, score: number, id: number): void => {
      if (best[end] === 0 || score >= (best[end] as number)) {
        best[end] = score;
        words[end] = id;
      }
    };
    // Forward pass by start position. The package visits, for each end, the candidates by start
    // ascending; relaxing from each start in ascending order reaches every best[end] with the
    // same candidates in the same order, and best[start] is final when start is visited.
    for (let start = 0; start < n; start++) {
      const base = best[start] as number;
      let matched = false;
      let node = this.root.children?.get(symbols[start] as number);
      let pos = start;
      while (node !== undefined) {
        pos++;
        if (node.id >= 0) {
          matched = true;
          relax(pos, node.score + base, node.id);
        }
        if (pos >= n) break;
        node = node.children?.get(symbols[pos] as number);
      }
      if (!matched) relax(start + 1, base, UNK_ID); // [[symbol], 0, 0]: unk, score 0
    }

    // Backtrack by the piece's UTF-16 length (the package's vocabulary[id][0].length), merging
    // consecutive unk ids.
    const reversed: number[] = [];
    let previousUnk = false;
    for (let pos = n; pos > 0; ) {
      const id = words[pos] as number;
      if (!(previousUnk && id === UNK_ID)) reversed.push(id);
      previousUnk = id === UNK_ID;
      pos -= this.pieceLengths[id] as number;
    }
    return reversed.reverse();
  }

  /** Tokens and ids; USE-Lite adds no special tokens, so this is encodeWithoutSpecials plus the pieces. */
  encode(text: string): EncodedText {
    const ids = this.encodeIds(text);
    return { ids, tokens: ids.map((id) => this.pieces[id] as string) };
  }

  encodeWithoutSpecials(text: string): number[] {
    return this.encodeIds(text);
  }

  /** The piece of an id (the unk piece '\ufffd' for 0), undefined outside the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  /** The id the encoder uses for a piece (for a duplicate piece, the last one), undefined if none. */
  tokenToId(token: string): number | undefined {
    for (let id = 0; id < this.reservedCount; id++) if (this.pieces[id] === token) return id;
    let node: TrieNode | undefined = this.root;
    for (const symbol of token) {
      node = node.children?.get(symbol.codePointAt(0) as number);
      if (node === undefined) return undefined;
    }
    return node.id >= 0 && token.length > 0 ? node.id : undefined;
  }

  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): EncodedBatch {
    return packBatch(texts.map((text) => this.encodeIds(text)), {
      ...options, maxLength: options.maxLength ?? this.modelMaxLength, pad: this.specialTokenIds.pad ?? UNK_ID, source: this.source,
    });
  }

  /** A word alone encodes as inside the sentence: the '\u2581' prefix every word gets either way. */
  encodeWordsBatch(rows: readonly (readonly string[])[], options: BatchEncodeOptions = {}): WordEncodedBatch {
    const words = rows.map((row) => row.map((word) => {
      const ids = this.encodeIds(word);
      return ids.length > 0 ? ids : [UNK_ID];
    }));
    return packWords(words, {
      ...options, maxLength: options.maxLength ?? this.modelMaxLength, pad: this.specialTokenIds.pad ?? UNK_ID, source: this.source,
    });
  }

  /**
   * Joins the pieces, '\u2581' -> ' ', and drops the leading space (HF's Metaspace decoder).
   * skipSpecialTokens (default true, like TextTokenizer) drops the reserved ids — including 0,
   * which is both unk and padding; with false they appear as their pieces ('\ufffd', '<s>', ...).
   */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const piece = this.pieces[id];
      if (!Number.isInteger(id) || piece === undefined) throw new Error(`id ${id} at ${i} is outside the vocabulary of ${this.source} (size ${this.vocabSize})`);
      if (skip && id < this.reservedCount) continue;
      text += piece;
    }
    text = text.split(SENTENCEPIECE_SPACE).join(' ');
    return text.startsWith(' ') ? text.slice(1) : text;
  }
}
