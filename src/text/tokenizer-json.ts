/**
 * Serialises a trained WordPiece vocabulary as the files HF tooling expects in a model folder:
 * tokenizer.json (full pipeline, loadable by @huggingface/tokenizers and HF Python
 * `PreTrainedTokenizerFast`), vocab.txt (one token per line, line number = id, for `BertTokenizer`),
 * tokenizer_config.json and special_tokens_map.json.
 */
import { CONTINUING_SUBWORD_PREFIX, SPECIAL_TOKENS, type TrainedWordPieceVocab } from './wordpiece-trainer';

export const MAX_INPUT_CHARS_PER_WORD = 100;

/** JSON value type for the generated documents (keeps exported signatures free of `any`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function specialId(vocab: TrainedWordPieceVocab, token: string): number {
  const id = vocab.tokens.indexOf(token);
  if (id < 0) throw new Error(`vocabulary lacks special token ${token}`);
  return id;
}

export function buildTokenizerJson(vocab: TrainedWordPieceVocab): JsonObject {
  const vocabMap: JsonObject = {};
  vocab.tokens.forEach((token, id) => (vocabMap[token] = id));
  const cls = specialId(vocab, '[CLS]');
  const sep = specialId(vocab, '[SEP]');
  const special = (id: number, type_id: number): JsonObject => ({ SpecialToken: { id: vocab.tokens[id] as string, type_id } });
  const sequence = (id: 'A' | 'B', type_id: number): JsonObject => ({ Sequence: { id, type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((token) => ({
      id: specialId(vocab, token),
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: vocab.normalizer.cleanText,
      handle_chinese_chars: vocab.normalizer.handleChineseChars,
      strip_accents: vocab.normalizer.stripAccents,
      lowercase: vocab.normalizer.lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
      pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: CONTINUING_SUBWORD_PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: CONTINUING_SUBWORD_PREFIX,
      max_input_chars_per_word: MAX_INPUT_CHARS_PER_WORD,
      vocab: vocabMap,
    },
  };
}

export function buildVocabTxt(vocab: TrainedWordPieceVocab): string {
  return `${vocab.tokens.join('\n')}\n`;
}

export function buildSpecialTokensMap(): JsonObject {
  return { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };
}

export function buildTokenizerConfig(vocab: TrainedWordPieceVocab, modelMaxLength = 512): JsonObject {
  const addedTokensDecoder: JsonObject = {};
  for (const token of SPECIAL_TOKENS) {
    addedTokensDecoder[String(specialId(vocab, token))] = {
      content: token,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: true,
    };
  }
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: vocab.normalizer.lowercase,
    strip_accents: vocab.normalizer.stripAccents,
    tokenize_chinese_chars: vocab.normalizer.handleChineseChars,
    clean_up_tokenization_spaces: true,
    model_max_length: modelMaxLength,
    ...buildSpecialTokensMap(),
    added_tokens_decoder: addedTokensDecoder,
  };
}

/** File name → contents for a tokenizer folder. */
export function buildTokenizerFiles(vocab: TrainedWordPieceVocab, modelMaxLength = 512): Record<string, string> {
  const json = (value: JsonValue): string => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'tokenizer.json': json(buildTokenizerJson(vocab)),
    'vocab.txt': buildVocabTxt(vocab),
    'tokenizer_config.json': json(buildTokenizerConfig(vocab, modelMaxLength)),
    'special_tokens_map.json': json(buildSpecialTokensMap()),
  };
}
