/** Cuts long documents into passages of whole sentences, for the SOTU and Brown built-ins. */

export interface ChunkOptions {
  /** Close a passage once it reaches this many words. */
  targetWords: number;
  /** Never exceed this many words; longer sentences are cut at word boundaries. */
  maxWords: number;
}

export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Sentence split on . ! ? (optionally followed by closing quotes/brackets) before whitespace. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]["'\u201d\u2019)\]]*)\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Greedy packing of sentences into passages of about targetWords (at most maxWords). A short
 * tail is merged into the previous passage when that stays within maxWords, so documents do
 * not end in scraps.
 */
export function chunkSentences(sentences: readonly string[], options: ChunkOptions): string[] {
  const pieces = sentences.flatMap((s) => splitLongSentence(s, options.maxWords));
  const chunks: string[] = [];
  let current: string[] = [];
  let words = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push(current.join(' '));
    current = [];
    words = 0;
  };
  for (const piece of pieces) {
    const n = wordCount(piece);
    if (words > 0 && words + n > options.maxWords) flush();
    current.push(piece);
    words += n;
    if (words >= options.targetWords) flush();
  }
  if (current.length > 0) {
    const previous = chunks[chunks.length - 1];
    if (previous !== undefined && words < options.targetWords / 2 && wordCount(previous) + words <= options.maxWords) {
      chunks[chunks.length - 1] = `${previous} ${current.join(' ')}`;
    } else {
      flush();
    }
  }
  return chunks;
}

function splitLongSentence(sentence: string, maxWords: number): string[] {
  const words = sentence.split(/\s+/).filter((w) => w !== '');
  if (words.length <= maxWords) return [words.join(' ')];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += maxWords) out.push(words.slice(i, i + maxWords).join(' '));
  return out;
}
