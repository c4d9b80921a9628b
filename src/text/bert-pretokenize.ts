/**
 * TypeScript versions of HF tokenizers' BertNormalizer (clean_text, handle_chinese_chars,
 * strip_accents following lowercase, lowercase) and BertPreTokenizer (split on whitespace, every
 * punctuation character its own word). Used for vocabulary training; encoding at run time goes
 * through @huggingface/tokenizers with the same components declared in tokenizer.json.
 */

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null means "same as lowercase", as in HF. */
  stripAccents: boolean | null;
  lowercase: boolean;
}

export const DEFAULT_BERT_NORMALIZER: BertNormalizerOptions = {
  cleanText: true,
  handleChineseChars: true,
  stripAccents: null,
  lowercase: true,
};

/** Same CJK blocks as HF's `is_chinese_char`. */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const WHITESPACE = /^[\t\n\r\p{Zs}]$/u;
// HF is_control: Cc/Cf/Cn/Co except \t \n \r.
const CONTROL = /^[\p{Cc}\p{Cf}\p{Cn}\p{Co}]$/u;

export function bertNormalize(text: string, options: BertNormalizerOptions = DEFAULT_BERT_NORMALIZER): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (options.cleanText) {
      if (cp === 0 || cp === 0xfffd) continue;
      if (WHITESPACE.test(ch)) {
        out += ' ';
        continue;
      }
      if (CONTROL.test(ch)) continue;
    }
    out += options.handleChineseChars && isChineseChar(cp) ? ` ${ch} ` : ch;
  }
  if (options.stripAccents ?? options.lowercase) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
  if (options.lowercase) out = out.toLowerCase();
  return out;
}

/** Rust's `char::is_ascii_punctuation() || char::is_punctuation()` (Unicode P*). */
export function isBertPunctuation(ch: string): boolean {
  return /^[!-/:-@[-`{-~\p{P}]$/u.test(ch);
}

/** BertPreTokenizer: whitespace splits (removed), punctuation isolated. */
export function bertPreTokenize(normalized: string): string[] {
  return normalized.match(/[!-/:-@[-`{-~\p{P}]|[^\s!-/:-@[-`{-~\p{P}]+/gu) ?? [];
}
